/**
 * docs/behaviour.md §3, row by row: channel states, transferCause(), the resolved value and the exact callbacks
 * (type, cause, callId/parentCallId, field set, order), on the SimulatedClock. Every row runs with the
 * default secondsTimeout and with `secondsTimeout: null`; row 4 with `null` never fires.
 */
import { Cause, State, TransferCause } from '../src';
import type { TransferCompleteCallback, TransferDisconnectCallback } from '../src';
import { answeredCall, expectFields, makeHarness } from './harness';

const TIMEOUTS = [
  ['secondsTimeout 120 (default)', undefined],
  ['secondsTimeout null', null],
] as const;

const TRANSFER_ANSWER_FIELDS = ['parentCallId', 'startTime', 'answerTime', 'transferCallerId', 'transferTo'];
const transferDisconnectFields = (answered: boolean, error = false) => [
  'parentCallId',
  'startTime',
  ...(answered ? ['answerTime'] : []),
  'endTime',
  'transferCallerId',
  'transferTo',
  'cause',
  ...(error ? ['errorMessage', 'errorId'] : []),
];
const transferCompleteFields = (error = false) => [
  'startTime',
  'answerTime',
  'transferCallerId',
  'transferTo',
  'cause',
  ...(error ? ['errorMessage', 'errorId'] : []),
];
const DISCONNECT_ANSWERED = ['startTime', 'answerTime', 'endTime', 'cause'];

describe.each(TIMEOUTS)('retrievable transfer, %s', (_label, secondsTimeout) => {
  const opts = secondsTimeout === undefined ? {} : { secondsTimeout };

  test('row 1: B answers → A TRANSFERRED, B ANSWERED, NORMAL, transferAnswer(B)', async () => {
    const h = makeHarness();
    h.sb.network.addEndpoint('+15557770000', { outcome: 'answer', ringFor: 3 });
    const { a, b } = await answeredCall(h);
    const before = h.callbacks.length;

    const result = a.retrievableTransfer(b, '+15557770000', opts);
    expect(a.state).toBe(State.TRANSFERRING);
    expect(b.state).toBe(State.RING_OUTGOING);
    expect(a.transferCause()).toBe(TransferCause.NONE);
    expect(a.tonePlayer?.playing).toBe('RINGBACK');

    await h.advance(3);
    expect(await result).toBe(State.TRANSFERRED);
    expect(a.state).toBe(State.TRANSFERRED);
    expect(b.state).toBe(State.ANSWERED);
    expect(a.transferCause()).toBe(TransferCause.NORMAL);
    expect(a.tonePlayer?.playing).toBeNull();

    const events = h.callbacks.slice(before);
    expect(events.map((e) => e.eventType)).toEqual(['transferAnswer']);
    const answer = events[0];
    expectFields(answer, TRANSFER_ANSWER_FIELDS);
    expect(answer).toMatchObject({
      callId: b.callId,
      parentCallId: a.callId,
      direction: 'outbound',
      from: '+15550001111',
      to: '+15559990000',
      transferCallerId: '+15550001111',
      transferTo: '+15557770000',
      startTime: '1970-01-01T00:00:00.000Z',
      answerTime: '1970-01-01T00:00:03.000Z',
      eventTime: '1970-01-01T00:00:03.000Z',
      callUrl: `https://sb.example/api/v2/accounts/9900000/calls/${b.callId}`,
    });
    await h.assertClean();
  });

  test("row 1a: …then B's far end hangs up → A ANSWERED via RECONNECTING, retrieval wait resolves", async () => {
    const h = makeHarness();
    h.sb.network.addInboundService('voicemail', { outcome: 'answer', ringFor: 2, hangUpAfter: 20 });
    const { a, b } = await answeredCall(h);
    expect(await Promise.all([a.transferToInboundService(b, 'voicemail', opts), h.advance(2)])).toEqual([
      State.TRANSFERRED,
      undefined,
    ]);
    const aId = a.callId;
    const bId = b.callId;
    const before = h.callbacks.length;

    const waited = a.waitForTransferredCallRetrieval();
    await h.advance(20);
    expect(await waited).toBe(State.ANSWERED);
    expect(a.state).toBe(State.ANSWERED);
    expect(b.state).toBe(State.IDLE);
    expect(b.cause()).toBe(Cause.NORMAL);
    expect(a.transferCause()).toBe(TransferCause.NORMAL);
    expect(h.statesOf(aId)).toEqual([
      State.WAITING,
      State.CALL_INCOMING,
      State.ANSWERING,
      State.ANSWERED,
      State.TRANSFERRING,
      State.TRANSFERRED,
      State.RECONNECTING,
      State.ANSWERED,
    ]);
    expect(h.summary().slice(before)).toEqual([
      ['transferDisconnect', bId, 'hangup'],
      ['transferComplete', aId, 'hangup'],
    ]);
    const [disconnect, complete] = h.callbacks.slice(before) as [TransferDisconnectCallback, TransferCompleteCallback];
    expectFields(disconnect, transferDisconnectFields(true));
    expect(disconnect).toMatchObject({
      parentCallId: aId,
      transferTo: 'voicemail',
      endTime: '1970-01-01T00:00:22.000Z',
    });
    expectFields(complete, transferCompleteFields());
    expect(complete).toMatchObject({
      direction: 'inbound',
      transferTo: 'voicemail',
      eventTime: '1970-01-01T00:00:22.000Z',
    });
    await h.assertClean();
  });

  test('row 1b: …then the app calls retrieveTransferredCall → ANSWERED', async () => {
    const h = makeHarness();
    h.sb.network.addEndpoint('+15557770000', { outcome: 'answer', ringFor: 1 });
    const { a, b } = await answeredCall(h);
    const transferred = a.retrievableTransfer(b, '+15557770000', opts);
    await h.advance(1);
    expect(await transferred).toBe(State.TRANSFERRED);
    const before = h.callbacks.length;

    expect(await a.retrieveTransferredCall()).toBe(State.ANSWERED);
    expect(a.state).toBe(State.ANSWERED);
    expect(b.state).toBe(State.IDLE);
    expect(a.transferCause()).toBe(TransferCause.NORMAL);
    expect(h.statesOf(a.callId).slice(-3)).toEqual([State.TRANSFERRED, State.RECONNECTING, State.ANSWERED]);
    expect(h.summary().slice(before)).toEqual([
      ['transferDisconnect', b.callId, 'hangup'],
      ['transferComplete', a.callId, 'hangup'],
    ]);
    await h.assertClean();
  });

  test("row 1c: …then A's far end hangs up → both IDLE, transferDisconnect(B) before disconnect(A)", async () => {
    const h = makeHarness();
    h.sb.network.addEndpoint('+15557770000', { outcome: 'answer', ringFor: 1 });
    const { a, b } = await answeredCall(h);
    const transferred = a.retrievableTransfer(b, '+15557770000', opts);
    await h.advance(1);
    expect(await transferred).toBe(State.TRANSFERRED);
    const before = h.callbacks.length;

    h.sb.network.farEnd(a.callId as string).hangUp();
    expect(await a.waitForIdle()).toBe(State.IDLE);
    expect(b.state).toBe(State.IDLE);
    expect(a.transferCause()).toBe(TransferCause.NORMAL);
    expect(a.cause()).toBe(Cause.NORMAL);
    expect(h.summary().slice(before)).toEqual([
      ['transferDisconnect', b.callId, 'hangup'],
      ['disconnect', a.callId, 'hangup'],
    ]);
    expectFields(h.callbacks[before + 1], DISCONNECT_ANSWERED);
    await h.assertClean();
  });

  test.each([
    ['row 2: B busy', { outcome: 'busy' } as const, Cause.BUSY, 'busy', 0],
    ['row 3: B rejects', { outcome: 'reject', ringFor: 4 } as const, Cause.REJECTED, 'rejected', 4],
    [
      'row 7: B clears normally before answering',
      { outcome: 'clearBeforeAnswer', ringFor: 5 } as const,
      Cause.NORMAL,
      'hangup',
      5,
    ],
  ])('%s → A ANSWERED, B IDLE, resolves ANSWERED', async (_row, behaviour, bCause, wireCause, after) => {
    const h = makeHarness();
    h.sb.network.addEndpoint('+15557770000', behaviour);
    const { a, b } = await answeredCall(h);
    const before = h.callbacks.length;

    const result = a.retrievableTransfer(b, '+15557770000', opts);
    await h.advance(after);
    expect(await result).toBe(State.ANSWERED);
    expect(a.state).toBe(State.ANSWERED);
    expect(b.state).toBe(State.IDLE);
    expect(b.cause()).toBe(bCause);
    expect(a.transferCause()).toBe(
      behaviour.outcome === 'clearBeforeAnswer' ? TransferCause.TARGETHANGUP : TransferCause.TARGETREJECT,
    );
    expect(h.summary().slice(before)).toEqual([
      ['transferDisconnect', b.callId, wireCause],
      ['transferComplete', a.callId, wireCause],
    ]);
    expectFields(h.callbacks[before], transferDisconnectFields(false));
    expectFields(h.callbacks[before + 1], transferCompleteFields());
    expect(h.callbacks[before]).toMatchObject({ parentCallId: a.callId, direction: 'outbound' });
    expect(a.tonePlayer?.playing).toBeNull();
    await h.assertClean();
  });

  test("row 5: A's far end hangs up while B rings → both IDLE, HANGUP, resolves IDLE", async () => {
    const h = makeHarness();
    h.sb.network.addEndpoint('+15557770000', { outcome: 'noAnswer' });
    const { a, b } = await answeredCall(h);
    const aId = a.callId as string;
    const before = h.callbacks.length;

    const result = a.retrievableTransfer(b, '+15557770000', opts);
    await h.advance(5);
    expect(b.state).toBe(State.RING_OUTGOING);
    h.sb.network.farEnd(aId).hangUp();
    expect(await result).toBe(State.IDLE);
    expect(a.state).toBe(State.IDLE);
    expect(b.state).toBe(State.IDLE);
    expect(a.transferCause()).toBe(TransferCause.HANGUP);
    expect(h.summary().slice(before)).toEqual([
      ['transferDisconnect', b.callId, 'cancel'],
      ['disconnect', aId, 'hangup'],
    ]);
    expectFields(h.callbacks[before], transferDisconnectFields(false));
    expectFields(h.callbacks[before + 1], DISCONNECT_ANSWERED);
    await h.assertClean();
  });

  test('row 6: the app hangs up A while B rings → both IDLE, HANGUP, resolves IDLE', async () => {
    const h = makeHarness();
    h.sb.network.addEndpoint('+15557770000', { outcome: 'noAnswer' });
    const { a, b } = await answeredCall(h);
    const aId = a.callId as string;
    const before = h.callbacks.length;

    const result = a.retrievableTransfer(b, '+15557770000', opts);
    await h.advance(5);
    expect(await a.hangUp()).toBe(State.IDLE);
    expect(await result).toBe(State.IDLE);
    expect(b.state).toBe(State.IDLE);
    expect(a.transferCause()).toBe(TransferCause.HANGUP);
    expect(h.summary().slice(before)).toEqual([
      ['transferDisconnect', b.callId, 'cancel'],
      ['disconnect', aId, 'hangup'],
    ]);
    expect(h.hangups.map((e) => e.cause)).toEqual(['ORIGINATOR_CANCEL', 'NORMAL_CLEARING']);
    await h.assertClean();
  });

  test.each([
    ['unknown inbound service', 'service'],
    ['unobtainable target', 'address'],
  ] as const)('row 8: %s → FAIL, B IDLE (UNOBTAINABLE), error with errorMessage', async (_label, kind) => {
    const h = makeHarness();
    h.sb.network.addEndpoint('+15550000404', { outcome: 'unobtainable' });
    const { a, b } = await answeredCall(h);
    const before = h.callbacks.length;

    const result =
      kind === 'service'
        ? a.transferToInboundService(b, 'NoSuchService', opts)
        : a.retrievableTransfer(b, '+15550000404', opts);
    expect(await result).toBe(State.ANSWERED);
    expect(a.state).toBe(State.ANSWERED);
    expect(b.state).toBe(State.IDLE);
    expect(b.cause()).toBe(Cause.UNOBTAINABLE);
    expect(a.transferCause()).toBe(TransferCause.FAIL);
    expect(h.summary().slice(before)).toEqual([
      ['transferDisconnect', b.callId, 'error'],
      ['transferComplete', a.callId, 'error'],
    ]);
    const [disconnect, complete] = h.callbacks.slice(before) as [TransferDisconnectCallback, TransferCompleteCallback];
    expectFields(disconnect, transferDisconnectFields(false, true));
    expectFields(complete, transferCompleteFields(true));
    expect(disconnect.errorMessage).toBe(
      kind === 'service' ? "No inbound service named 'NoSuchService'" : 'The number +15550000404 is unobtainable',
    );
    expect(complete.errorMessage).toBe(disconnect.errorMessage);
    expect(complete.errorId).toBe(disconnect.errorId);
    expect(h.hangups.at(-1)).toMatchObject({ callId: b.callId, cause: 'UNALLOCATED_NUMBER' });
    await h.assertClean();
  });
});

describe('row 4: no answer within secondsTimeout', () => {
  test('secondsTimeout 30 → A ANSWERED, B IDLE (TIMEOUT), TIMEOUT, timeout events', async () => {
    const h = makeHarness();
    h.sb.network.addEndpoint('+15557770000', { outcome: 'noAnswer' });
    const { a, b } = await answeredCall(h);
    const before = h.callbacks.length;

    const result = a.retrievableTransfer(b, '+15557770000', { secondsTimeout: 30 });
    await h.advance(29.9);
    expect(a.state).toBe(State.TRANSFERRING);
    await h.advance(0.1);
    expect(await result).toBe(State.ANSWERED);
    expect(b.state).toBe(State.IDLE);
    expect(b.cause()).toBe(Cause.TIMEOUT);
    expect(a.transferCause()).toBe(TransferCause.TIMEOUT);
    expect(h.summary().slice(before)).toEqual([
      ['transferDisconnect', b.callId, 'timeout'],
      ['transferComplete', a.callId, 'timeout'],
    ]);
    expect(h.callbacks[before]).toMatchObject({ endTime: '1970-01-01T00:00:30.000Z' });
    await h.assertClean();
  });

  test('the default secondsTimeout is 120 s', async () => {
    const h = makeHarness();
    h.sb.network.addEndpoint('+15557770000', { outcome: 'noAnswer' });
    const { a, b } = await answeredCall(h);
    const result = a.retrievableTransfer(b, '+15557770000');
    await h.advance(119.9);
    expect(a.state).toBe(State.TRANSFERRING);
    await h.advance(0.1);
    expect(await result).toBe(State.ANSWERED);
    expect(a.transferCause()).toBe(TransferCause.TIMEOUT);
    await h.assertClean();
  });

  test('secondsTimeout null: no timer is armed and the transfer never times out', async () => {
    const h = makeHarness();
    h.sb.network.addEndpoint('+15557770000', { outcome: 'noAnswer' });
    const { a, b } = await answeredCall(h);
    const timersBefore = h.sb.stats().timers;
    const result = a.retrievableTransfer(b, '+15557770000', { secondsTimeout: null });
    expect(h.sb.stats().timers).toBe(timersBefore);
    h.clock.increment(24 * 3600 * 1000);
    expect(a.state).toBe(State.TRANSFERRING);
    expect(b.state).toBe(State.RING_OUTGOING);
    expect(a.transferCause()).toBe(TransferCause.NONE);
    await a.hangUp();
    expect(await result).toBe(State.IDLE);
    await h.assertClean();
  });
});
