// createSipNetwork against SIPp: a SIPp caller reaches the application, which transfers it to a SIPp far end;
// rows of docs/behaviour.md §3 over real SIP, with the channel states, transferCause(), the exact callbacks in
// order, SIPp's verdict on both sides, and nothing left behind (sb.stats(), dialogs, legs).
import {
  createSipNetwork,
  createSwitchboard,
  State,
  TransferCause,
  type BandwidthCallback,
  type Channel,
  type SipNetwork,
  type Switchboard,
} from '../../src';
import { startSipp, type SippRun } from '../support/sipp';

type Transport = 'udp' | 'tcp';

interface Run {
  sb: Switchboard<SipNetwork>;
  network: SipNetwork;
  callbacks: BandwidthCallback[];
  /** The inbound channel (A), once SIPp's call has arrived. */
  a: Promise<Channel>;
  port: number;
}

const open: Run[] = [];

/** A SIP network listening on a free port of 127.0.0.1, with `voicemail` and the gateway at `farEnd`'s port. */
async function start(transport: Transport, farEnd: SippRun): Promise<Run> {
  const t = transport === 'tcp' ? ';transport=tcp' : '';
  const network = createSipNetwork({
    listen: [`${transport}:127.0.0.1:0`],
    services: { voicemail: `sip:voicemail@127.0.0.2:${farEnd.port}${t}` },
    gateway: `sip:127.0.0.2:${farEnd.port}${t}`,
  });
  const [bound] = await network.listening;
  const sb = createSwitchboard({ network });
  const callbacks: BandwidthCallback[] = [];
  sb.on('callback', (c) => callbacks.push(c));
  const a = new Promise<Channel>((resolve) => sb.once('incomingCall', resolve));
  const run = { sb, network, callbacks, a, port: bound.port };
  open.push(run);
  return run;
}

afterEach(async () => {
  for (const run of open.splice(0)) await run.sb.close();
});

const summary = (r: Run) => r.callbacks.map((c) => [c.eventType, 'cause' in c ? c.cause : undefined]);

/** Everything has ended: no leg, transfer or timer in the engine, no leg or dialog in the network. */
function expectClean(r: Run): void {
  expect(r.sb.stats()).toEqual({ legs: 0, agentCalls: 0, transfers: 0, timers: 0, terminalEvents: 2 });
  expect(r.network.legCount).toBe(0);
  expect(r.network.dialogCount).toBe(0);
}

/** SIPp calls in; the application rings, answers and starts `transfer`; returns A, B and the transfer's result. */
async function callAndTransfer(r: Run, caller: string, transport: Transport,
  transfer: (a: Channel, b: Channel) => Promise<State>) {
  const callerRun = await startSipp(caller, { target: `127.0.0.1:${r.port}`, transport });
  const a = await r.a;
  expect(a.state).toBe(State.CALL_INCOMING);
  await a.ring();
  expect(await a.answer()).toBe(State.ANSWERED);
  // Callback `from`/`to` are the user parts of the INVITE's From and To (SIPp's `sipp` and `-s sut`).
  expect(r.callbacks[0]).toMatchObject({ eventType: 'initiate', from: 'sipp', to: 'sut' });
  a.createTonePlayer();
  const b = r.sb.createChannel();
  return { a, b, callerRun, result: transfer(a, b) };
}

describe.each(['udp', 'tcp'] as const)('SIP network over %s', (transport) => {
  test('row 1a: B answers (A re-INVITEd to B), then B hangs up: A retrieved (re-INVITEd back), NORMAL', async () => {
    const farEnd = await startSipp('uas-answer-hangup.xml', { transport });
    const r = await start(transport, farEnd);
    const { a, b, callerRun, result } = await callAndTransfer(r, 'uac-transfer.xml', transport,
      (a, b) => a.transferToInboundService(b, 'voicemail'));
    expect(await result).toBe(State.TRANSFERRED);
    expect(a.state).toBe(State.TRANSFERRED);
    expect(b.state).toBe(State.ANSWERED);
    expect(a.transferCause()).toBe(TransferCause.NORMAL);
    expect(await a.waitForTransferredCallRetrieval()).toBe(State.ANSWERED);
    expect(b.state).toBe(State.IDLE);
    expect(a.transferCause()).toBe(TransferCause.NORMAL);
    expect(await a.hangUp()).toBe(State.IDLE);
    expect(summary(r)).toEqual([
      ['initiate', undefined], ['transferAnswer', undefined], ['transferDisconnect', 'hangup'], ['transferComplete', 'hangup'],
      ['disconnect', 'hangup'],
    ]);
    expect(await callerRun.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(await farEnd.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expectClean(r);
  }, 20000);
});
