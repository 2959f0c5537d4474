// createSipNetwork against SIPp: a SIPp caller reaches the application, which transfers it to a SIPp far end;
// rows of docs/behaviour.md §3 over real SIP, with the channel states, transferCause(), the exact callbacks in
// order, SIPp's verdict on both sides, and nothing left behind (sb.stats(), dialogs, legs).
import {
  Cause,
  createSipNetwork,
  createSwitchboard,
  State,
  TransferCause,
  type BandwidthCallback,
  type Channel,
  type SipNetwork,
  type NetworkIndications,
  type Switchboard,
} from '../../src';
import { userOf } from '../../src/sip/network';
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
async function callAndTransfer(
  r: Run,
  caller: string,
  transport: Transport,
  transfer: (a: Channel, b: Channel) => Promise<State>,
) {
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
  /** A network whose services and gateway point at nothing (for calls that never leave SIPp's side). */
  async function inboundOnly(): Promise<Run> {
    return start(transport, { port: 9, done: Promise.resolve({ code: 0, successful: 0, failed: 0, output: '' }) });
  }

  test('row 1a: B answers (A re-INVITEd to B), then B hangs up: A retrieved (re-INVITEd back), NORMAL', async () => {
    const farEnd = await startSipp('uas-answer-hangup.xml', { transport });
    const r = await start(transport, farEnd);
    const { a, b, callerRun, result } = await callAndTransfer(r, 'uac-transfer.xml', transport, (a, b) =>
      a.transferToInboundService(b, 'voicemail'),
    );
    expect(await result).toBe(State.TRANSFERRED);
    expect(a.state).toBe(State.TRANSFERRED);
    expect(b.state).toBe(State.ANSWERED);
    expect(a.transferCause()).toBe(TransferCause.NORMAL);
    expect(await a.waitForTransferredCallRetrieval()).toBe(State.ANSWERED);
    expect(b.state).toBe(State.IDLE);
    expect(a.transferCause()).toBe(TransferCause.NORMAL);
    expect(await a.hangUp()).toBe(State.IDLE);
    expect(summary(r)).toEqual([
      ['initiate', undefined],
      ['transferAnswer', undefined],
      ['transferDisconnect', 'hangup'],
      ['transferComplete', 'hangup'],
      ['disconnect', 'hangup'],
    ]);
    expect(await callerRun.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(await farEnd.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expectClean(r);
  }, 20000);

  test('row 1b: B answers, the app retrieves A: A re-INVITEd back, B BYEd, NORMAL', async () => {
    const farEnd = await startSipp('uas-basic.xml', { transport });
    const r = await start(transport, farEnd);
    const { a, b, callerRun, result } = await callAndTransfer(r, 'uac-transfer.xml', transport, (a, b) =>
      a.transferToInboundService(b, 'voicemail'),
    );
    expect(await result).toBe(State.TRANSFERRED);
    expect(await a.retrieveTransferredCall()).toBe(State.ANSWERED);
    expect(b.state).toBe(State.IDLE);
    expect(a.transferCause()).toBe(TransferCause.NORMAL);
    expect(await a.hangUp()).toBe(State.IDLE);
    expect(summary(r)).toEqual([
      ['initiate', undefined],
      ['transferAnswer', undefined],
      ['transferDisconnect', 'hangup'],
      ['transferComplete', 'hangup'],
      ['disconnect', 'hangup'],
    ]);
    expect(await callerRun.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(await farEnd.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expectClean(r);
  }, 20000);

  test('row 1c: B answers, then A hangs up (BYE): B BYEd, both IDLE, NORMAL', async () => {
    const farEnd = await startSipp('uas-basic.xml', { transport });
    const r = await start(transport, farEnd);
    const { a, b, callerRun, result } = await callAndTransfer(r, 'uac-transferred-hangup.xml', transport, (a, b) =>
      a.transferToInboundService(b, 'voicemail'),
    );
    expect(await result).toBe(State.TRANSFERRED);
    expect(await a.waitForIdle()).toBe(State.IDLE);
    expect(b.state).toBe(State.IDLE);
    expect(a.transferCause()).toBe(TransferCause.NORMAL);
    expect(summary(r)).toEqual([
      ['initiate', undefined],
      ['transferAnswer', undefined],
      ['transferDisconnect', 'hangup'],
      ['disconnect', 'hangup'],
    ]);
    expect(await callerRun.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(await farEnd.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expectClean(r);
  }, 20000);

  test('row 6: the app hangs up A while B rings: B CANCELled (487), A BYEd, HANGUP', async () => {
    const farEnd = await startSipp('uas-cancel.xml', { transport });
    const r = await start(transport, farEnd);
    const ringing = new Promise<void>((resolve) =>
      r.sb.on('legState', (c) => {
        if (c.state === State.RING_OUTGOING) resolve();
      }),
    );
    const { a, b, callerRun, result } = await callAndTransfer(r, 'uac-bye-from-sut.xml', transport, (a, b) =>
      a.transferToInboundService(b, 'voicemail'),
    );
    await ringing;
    expect(await a.hangUp()).toBe(State.IDLE);
    expect(await result).toBe(State.IDLE);
    expect(b.state).toBe(State.IDLE);
    expect(a.transferCause()).toBe(TransferCause.HANGUP);
    expect(summary(r)).toEqual([
      ['initiate', undefined],
      ['transferDisconnect', 'cancel'],
      ['disconnect', 'hangup'],
    ]);
    expect(await callerRun.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(await farEnd.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expectClean(r);
  }, 20000);

  test('row 8: unknown service: no INVITE, FAIL, transferDisconnect(error + errorMessage)', async () => {
    const r = await inboundOnly();
    const { a, b, callerRun, result } = await callAndTransfer(r, 'uac-bye-from-sut.xml', transport, (a, b) =>
      a.transferToInboundService(b, 'nosuch'),
    );
    expect(await result).toBe(State.ANSWERED);
    expect(b.state).toBe(State.IDLE);
    expect(a.transferCause()).toBe(TransferCause.FAIL);
    expect(r.callbacks[1]).toMatchObject({
      eventType: 'transferDisconnect',
      cause: 'error',
      errorMessage: "No inbound service named 'nosuch'",
    });
    expect(await a.hangUp()).toBe(State.IDLE);
    expect(summary(r)).toEqual([
      ['initiate', undefined],
      ['transferDisconnect', 'error'],
      ['transferComplete', 'error'],
      ['disconnect', 'hangup'],
    ]);
    expect(await callerRun.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expectClean(r);
  }, 20000);

  test('sb.close() with a call up: BYE with Q.850 16, disconnect, and the port is free again', async () => {
    const r = await inboundOnly();
    const caller = await startSipp('uac-bye-from-sut.xml', { target: `127.0.0.1:${r.port}`, transport });
    const a = await r.a;
    await a.answer();
    await r.sb.close();
    expect(summary(r)).toEqual([
      ['initiate', undefined],
      ['disconnect', 'hangup'],
    ]);
    expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    const again = createSipNetwork({ listen: [`${transport}:127.0.0.1:${r.port}`] });
    await expect(again.listening).resolves.toEqual([
      { protocol: transport.toUpperCase(), host: '127.0.0.1', port: r.port },
    ]);
    await again.close();
  }, 20000);

  test('sb.close() while an outgoing call rings: CANCEL, 487 ACKed before the sockets close', async () => {
    const farEnd = await startSipp('uas-cancel.xml', { transport });
    const r = await start(transport, farEnd);
    const ringing = new Promise<void>((resolve) =>
      r.sb.on('legState', (c) => {
        if (c.state === State.RING_OUTGOING) resolve();
      }),
    );
    const c = r.sb.createChannel();
    const dialled = c.call('+15557770000');
    await ringing;
    await r.sb.close();
    expect(await dialled).toBe(State.IDLE);
    expect(summary(r)).toEqual([['disconnect', 'cancel']]);
    expect(await farEnd.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(r.network.legCount).toBe(0);
  }, 20000);

  test.each([
    ['row 2: B busy (486)', 'uas-busy.xml', {}, TransferCause.TARGETREJECT, 'busy'],
    ['row 3: B rejects (180, then 603)', 'uas-reject.xml', {}, TransferCause.TARGETREJECT, 'rejected'],
    [
      'row 4: no answer within secondsTimeout (our CANCEL, 487)',
      'uas-cancel.xml',
      { secondsTimeout: 1 },
      TransferCause.TIMEOUT,
      'timeout',
    ],
  ] as const)(
    '%s: A retrieved, app hangs up A',
    async (_label, farEndScenario, options, tc, cause) => {
      const farEnd = await startSipp(farEndScenario, { transport });
      const r = await start(transport, farEnd);
      const { a, b, callerRun, result } = await callAndTransfer(r, 'uac-bye-from-sut.xml', transport, (a, b) =>
        a.retrievableTransfer(b, '+15557770000', options),
      );
      expect(await result).toBe(State.ANSWERED);
      expect(a.state).toBe(State.ANSWERED);
      expect(b.state).toBe(State.IDLE);
      expect(a.transferCause()).toBe(tc);
      expect(await a.hangUp()).toBe(State.IDLE);
      expect(summary(r)).toEqual([
        ['initiate', undefined],
        ['transferDisconnect', cause],
        ['transferComplete', cause],
        ['disconnect', 'hangup'],
      ]);
      // B's INVITE went to sip:{to}@gateway.
      expect(r.callbacks[1]).toMatchObject({ transferTo: '+15557770000' });
      expect(await callerRun.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
      expect(await farEnd.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
      expectClean(r);
    },
    20000,
  );

  test('row 5: A hangs up (BYE) while B rings: B CANCELled (487), HANGUP, both IDLE', async () => {
    const farEnd = await startSipp('uas-cancel.xml', { transport });
    const r = await start(transport, farEnd);
    const { a, b, callerRun, result } = await callAndTransfer(
      r,
      'uac-hangup-while-transferred.xml',
      transport,
      (a, b) => a.transferToInboundService(b, 'voicemail'),
    );
    expect(await result).toBe(State.IDLE);
    expect(a.state).toBe(State.IDLE);
    expect(b.state).toBe(State.IDLE);
    expect(a.transferCause()).toBe(TransferCause.HANGUP);
    expect(summary(r)).toEqual([
      ['initiate', undefined],
      ['transferDisconnect', 'cancel'],
      ['disconnect', 'hangup'],
    ]);
    expect(await callerRun.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(await farEnd.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expectClean(r);
  }, 20000);

  test('inbound: ring and answer from inside the incomingCall listener (before offer returns); caller BYE', async () => {
    const r = await inboundOnly();
    r.sb.on('incomingCall', (a) => {
      void a.ring();
      void a.answer();
    });
    const caller = await startSipp('uac-basic.xml', { target: `127.0.0.1:${r.port}`, transport });
    const a = await r.a;
    expect(await a.waitForIdle()).toBe(State.IDLE);
    expect(summary(r)).toEqual([
      ['initiate', undefined],
      ['disconnect', 'hangup'],
    ]);
    expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(r.network.legCount).toBe(0);
    expect(r.network.dialogCount).toBe(0);
  }, 20000);

  test('inbound: the application rejects with cause BUSY → 486, leg IDLE, disconnect(busy)', async () => {
    const r = await inboundOnly();
    const caller = await startSipp('uac-busy.xml', { target: `127.0.0.1:${r.port}`, transport });
    const a = await r.a;
    expect(await a.reject({ cause: Cause.BUSY })).toBe(State.IDLE);
    expect(summary(r)).toEqual([
      ['initiate', undefined],
      ['disconnect', 'busy'],
    ]);
    expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(r.sb.stats()).toMatchObject({ legs: 0, transfers: 0, timers: 0, terminalEvents: 1 });
    expect(r.network.legCount).toBe(0);
  }, 20000);

  test('inbound: the caller CANCELs while we ring → 200 + 487, leg IDLE, disconnect(cancel)', async () => {
    const r = await inboundOnly();
    const caller = await startSipp('uac-cancel.xml', { target: `127.0.0.1:${r.port}`, transport });
    const a = await r.a;
    await a.ring();
    expect(await a.waitForIdle()).toBe(State.IDLE);
    expect(summary(r)).toEqual([
      ['initiate', undefined],
      ['disconnect', 'cancel'],
    ]);
    expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(r.network.legCount).toBe(0);
  }, 20000);

  test('inbound: the caller holds (re-INVITE sendonly, answered recvonly), then hangs up', async () => {
    const r = await inboundOnly();
    const caller = await startSipp('uac-hold.xml', { target: `127.0.0.1:${r.port}`, transport });
    const a = await r.a;
    await a.ring();
    await a.answer();
    const engine = (r.network as unknown as { engine: NetworkIndications }).engine;
    const remoteHold = jest.spyOn(engine, 'remoteHold');
    expect(await a.waitForIdle()).toBe(State.IDLE);
    expect(remoteHold.mock.calls).toEqual([[expect.any(String)]]);
    expect(summary(r)).toEqual([
      ['initiate', undefined],
      ['disconnect', 'hangup'],
    ]);
    expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(r.network.dialogCount).toBe(0);
  }, 20000);

  test('outbound: call() to sip:{to}@gateway, answered; hold re-INVITEs sendonly; hang-up BYEs', async () => {
    const farEnd = await startSipp('uas-hold.xml', { transport });
    const r = await start(transport, farEnd);
    const c = r.sb.createChannel();
    expect(await c.call('+15557770000')).toBe(State.ANSWERED);
    expect(await c.hold()).toBe(State.ON_HOLD);
    expect(await c.hangUp()).toBe(State.IDLE);
    expect(summary(r)).toEqual([
      ['answer', undefined],
      ['disconnect', 'hangup'],
    ]);
    expect(await farEnd.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(r.network.legCount).toBe(0);
    expect(r.network.dialogCount).toBe(0);
  }, 20000);

  test('outbound: 183 with SDP is progress with earlyMedia; hold then unhold are re-INVITEs sendonly, sendrecv', async () => {
    const farEnd = await startSipp('uas-early-hold.xml', { transport });
    const r = await start(transport, farEnd);
    const engine = (r.network as unknown as { engine: NetworkIndications }).engine;
    const progress = jest.spyOn(engine, 'progress');
    const c = r.sb.createChannel();
    expect(await c.call('+15557770000')).toBe(State.ANSWERED);
    expect(progress.mock.calls).toEqual([[expect.any(String), { earlyMedia: true }]]);
    expect(await c.hold()).toBe(State.ON_HOLD);
    expect(await c.unhold()).toBe(State.ANSWERED);
    expect(await c.hangUp()).toBe(State.IDLE);
    expect(summary(r)).toEqual([
      ['answer', undefined],
      ['disconnect', 'hangup'],
    ]);
    expect(await farEnd.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(r.network.dialogCount).toBe(0);
  }, 20000);

  test('outbound: an unknown service is unobtainable without any SIP', async () => {
    const r = await inboundOnly();
    const c = r.sb.createChannel();
    expect(await c.call('not a number')).toBe(State.IDLE);
    expect(c.cause()).toBe(Cause.UNOBTAINABLE);
    expect(r.network.legCount).toBe(0);
  });
});

describe('createSipNetwork options', () => {
  test('listening rejects when the port is taken', async () => {
    const first = createSipNetwork({ listen: ['udp:127.0.0.1:0'] });
    const [bound] = await first.listening;
    const second = createSipNetwork({ listen: [`udp:127.0.0.1:${bound.port}`] });
    await expect(second.listening).rejects.toThrow(/EADDRINUSE/);
    await second.close();
    await first.close();
  });

  test.each([
    [{ listen: [] }, /non-empty array/],
    [{ listen: ['sctp:127.0.0.1:5060'] }, /listen entry/],
    [{ listen: ['udp:127.0.0.1:5060', 'tcp:127.0.0.1:5062'] }, /same host and port/],
    [{ listen: ['udp:127.0.0.1:0'], gateway: 'http://x' }, /gateway must be a SIP URI/],
    [{ listen: ['udp:127.0.0.1:0'], services: { vm: 'nope' } }, /service 'vm'/],
    [{ listen: ['udp:127.0.0.1:0'], media: { ports: [30000, 20000] } }, /media.ports/],
  ])('bad options %j: a clear error', (options, message) => {
    expect(() => createSipNetwork(options as never)).toThrow(message);
  });
});

test.each([
  ['sip:+15551234567@carrier.example;user=phone', '+15551234567'],
  ['sips:alice%20b@example.com', 'alice b'],
  ['sip:bad%zz@example.com', 'bad%zz'],
  ['sip:example.com', 'sip:example.com'],
  [undefined, ''],
])('callback from/to: the user part of %s is %j', (uri, user) => {
  expect(userOf(uri)).toBe(user);
});
