// Rows of docs/behaviour.md §3 (retrievable transfer) over UDP with SIPp dropping 10% of what it sends and receives
// on both sides (`-lost 10`): retransmissions (ours and SIPp's) absorb the loss, and the states, transferCause(),
// the exact callbacks in order and SIPp's verdicts are those of the loss-free runs in sipNetwork.test.ts.
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
import { startSipp } from '../support/sipp';

const LOSSY = ['-lost', '10', '-default_behaviors', 'all,-abortunexp'];

interface Run {
  sb: Switchboard<SipNetwork>;
  network: SipNetwork;
  callbacks: BandwidthCallback[];
}

let run: Run | undefined;
afterEach(async () => {
  await run?.sb.close();
  run = undefined;
});

const summary = (r: Run) => r.callbacks.map((c) => [c.eventType, 'cause' in c ? c.cause : undefined]);

/** SIPp (lossy) calls in, the application answers and starts the transfer to a lossy SIPp far end. */
async function lossyTransfer(
  caller: string,
  farEndScenario: string,
  transfer: (a: Channel, b: Channel) => Promise<State>,
) {
  const farEnd = await startSipp(farEndScenario, { extra: LOSSY, timeoutSeconds: 40 });
  const network = createSipNetwork({
    listen: ['udp:127.0.0.1:0'],
    services: { voicemail: `sip:voicemail@127.0.0.2:${farEnd.port}` },
    gateway: `sip:127.0.0.2:${farEnd.port}`,
  });
  const [bound] = await network.listening;
  const sb = createSwitchboard({ network });
  const r: Run = { sb, network, callbacks: [] };
  run = r;
  sb.on('callback', (c) => r.callbacks.push(c));
  const incoming = new Promise<Channel>((resolve) => sb.once('incomingCall', resolve));
  const callerRun = await startSipp(caller, { target: `127.0.0.1:${bound.port}`, extra: LOSSY, timeoutSeconds: 40 });
  const a = await incoming;
  await a.ring();
  expect(await a.answer()).toBe(State.ANSWERED);
  a.createTonePlayer();
  const b = sb.createChannel();
  return { r, a, b, farEnd, callerRun, result: transfer(a, b) };
}

function expectClean(r: Run): void {
  expect(r.sb.stats()).toEqual({ legs: 0, agentCalls: 0, transfers: 0, timers: 0, terminalEvents: 2 });
  expect(r.network.legCount).toBe(0);
  expect(r.network.dialogCount).toBe(0);
}

describe('retrievable transfer under SIPp -lost 10 (UDP, both sides)', () => {
  test('row 1a: B answers, then B hangs up: A retrieved, NORMAL', async () => {
    const { r, a, b, farEnd, callerRun, result } = await lossyTransfer(
      'uac-transfer-lossy.xml',
      'uas-answer-hangup-lossy.xml',
      (a, b) => a.transferToInboundService(b, 'voicemail'),
    );
    expect(await result).toBe(State.TRANSFERRED);
    expect(a.transferCause()).toBe(TransferCause.NORMAL);
    expect(await a.waitForTransferredCallRetrieval()).toBe(State.ANSWERED);
    expect(b.state).toBe(State.IDLE);
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
  }, 60000);

  test('row 1b: B answers, the application retrieves A: B BYEd, NORMAL', async () => {
    const { r, a, b, farEnd, callerRun, result } = await lossyTransfer(
      'uac-transfer-lossy.xml',
      'uas-lossy.xml',
      (a, b) => a.transferToInboundService(b, 'voicemail'),
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
  }, 60000);

  test('row 1c: B answers, then A hangs up (BYE): B BYEd, both IDLE, NORMAL', async () => {
    const { r, a, b, farEnd, callerRun, result } = await lossyTransfer(
      'uac-transferred-hangup-lossy.xml',
      'uas-lossy.xml',
      (a, b) => a.transferToInboundService(b, 'voicemail'),
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
  }, 60000);

  test('row 5: A hangs up (BYE) while B rings: B CANCELled (487), HANGUP', async () => {
    const { r, a, b, farEnd, callerRun, result } = await lossyTransfer(
      'uac-hangup-while-transferred.xml',
      'uas-cancel-lossy.xml',
      (a, b) => a.transferToInboundService(b, 'voicemail'),
    );
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
  }, 60000);

  test('row 6: the application hangs up A while B rings: B CANCELled (487), A BYEd, HANGUP', async () => {
    const { r, a, b, farEnd, callerRun, result } = await lossyTransfer(
      'uac-bye-from-sut-lossy.xml',
      'uas-cancel-lossy.xml',
      (a, b) => a.transferToInboundService(b, 'voicemail'),
    );
    await new Promise<void>((resolve) => {
      if (b.state === State.RING_OUTGOING) return resolve();
      r.sb.on('legState', (c) => c.state === State.RING_OUTGOING && resolve());
    });
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
  }, 60000);

  test.each([
    ['row 2: B busy (486)', 'uas-busy-lossy.xml', {}, TransferCause.TARGETREJECT, 'busy'],
    ['row 3: B rejects (180, then 603)', 'uas-reject-lossy.xml', {}, TransferCause.TARGETREJECT, 'rejected'],
    [
      'row 4: no answer in secondsTimeout (CANCEL, 487)',
      'uas-cancel-lossy.xml',
      { secondsTimeout: 1 },
      TransferCause.TIMEOUT,
      'timeout',
    ],
  ] as const)(
    '%s: A retrieved',
    async (_label, farEndScenario, options, tc, cause) => {
      const { r, a, b, farEnd, callerRun, result } = await lossyTransfer(
        'uac-bye-from-sut-lossy.xml',
        farEndScenario,
        (a, b) => a.retrievableTransfer(b, '+15557770000', options),
      );
      expect(await result).toBe(State.ANSWERED);
      expect(b.state).toBe(State.IDLE);
      expect(a.transferCause()).toBe(tc);
      expect(await a.hangUp()).toBe(State.IDLE);
      expect(summary(r)).toEqual([
        ['initiate', undefined],
        ['transferDisconnect', cause],
        ['transferComplete', cause],
        ['disconnect', 'hangup'],
      ]);
      expect(await callerRun.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
      expect(await farEnd.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
      expectClean(r);
    },
    60000,
  );
});
