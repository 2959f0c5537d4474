/**
 * Regression tests, each named after the path that once broke (found by review and fuzzing).
 * Listeners used to run in the middle of a transition; now callbacks are delivered after each engine turn.
 */
import { State, TransferCause } from '../src';
import { answeredCall, flush, makeHarness } from './harness';

test('listener hangs up A on transferDisconnect after a busy target: A still ends with disconnect', async () => {
  const h = makeHarness();
  h.sb.network.addEndpoint('+1777', { outcome: 'busy' });
  const { a, b } = await answeredCall(h);
  let hungUp: Promise<State> | undefined;
  h.sb.on('transferDisconnect', () => {
    hungUp = a.hangUp();
  });
  // Busy answers at once: the transfer ends within the call, the listener's hang-up runs right after that
  // turn, so by the time retrievableTransfer returns the channel is (truthfully) IDLE.
  expect(await a.retrievableTransfer(b, '+1777')).toBe(State.IDLE);
  expect(await hungUp).toBe(State.IDLE);
  expect(h.summary().map(([type, , cause]) => `${type}:${cause ?? ''}`)).toEqual([
    'initiate:',
    'transferDisconnect:busy',
    'transferComplete:busy',
    'disconnect:hangup',
  ]);
  expect(a.transferCause()).toBe(TransferCause.TARGETREJECT);
  await h.assertClean();
});

test("listener fails B's signalling on transferAnswer: transferDisconnect(error) precedes transferComplete(error)", async () => {
  const h = makeHarness();
  h.sb.network.addEndpoint('+1777', { outcome: 'answer', ringFor: 1 });
  const { a, b } = await answeredCall(h);
  h.sb.on('transferAnswer', (p) => h.sb.network.farEnd(p.callId).fail('488 Not Acceptable'));
  const result = a.retrievableTransfer(b, '+1777');
  await h.advance(1);
  expect(await result).toBe(State.TRANSFERRED);
  await flush();
  expect(a.state).toBe(State.ANSWERED);
  expect(h.callbacks.slice(-2)).toMatchObject([
    { eventType: 'transferDisconnect', callId: b.callId, cause: 'error', errorMessage: '488 Not Acceptable' },
    { eventType: 'transferComplete', callId: a.callId, cause: 'error', errorMessage: '488 Not Acceptable' },
  ]);
  expect(a.transferCause()).toBe(TransferCause.NORMAL);
  await h.assertClean();
});

test('listener hangs up A on transferComplete: the callback stream keeps A’s disconnect last', async () => {
  const h = makeHarness();
  h.sb.network.addEndpoint('+1777', { outcome: 'reject', ringFor: 1 });
  const { a, b } = await answeredCall(h);
  h.sb.on('transferComplete', () => void a.hangUp());
  const result = a.retrievableTransfer(b, '+1777');
  await h.advance(1);
  await result;
  await flush();
  expect(h.summary().map(([type]) => type)).toEqual([
    'initiate',
    'transferDisconnect',
    'transferComplete',
    'disconnect',
  ]);
  await h.assertClean();
});

test('far end fails while an outgoing call rings: call() settles ERROR instead of hanging', async () => {
  const h = makeHarness();
  h.sb.network.addEndpoint('+1777', { outcome: 'noAnswer' });
  const channel = h.sb.createChannel();
  const result = channel.call('+1777');
  h.sb.network.farEnd(channel.callId as string).fail('503 Service Unavailable');
  expect(await result).toBe(State.ERROR);
  await channel.hangUp();
  expect(h.callbacks.at(-1)).toMatchObject({
    eventType: 'disconnect',
    cause: 'error',
    errorMessage: '503 Service Unavailable',
  });
  await h.assertClean();
});

test('far end fails while the call is on hold: the channel goes to ERROR', async () => {
  const h = makeHarness();
  const { channel, farEnd } = h.sb.network.placeCall({ from: '+1555', to: '+1666' });
  await channel.answer();
  await channel.hold();
  farEnd.fail('dialog lost');
  expect(channel.state).toBe(State.ERROR);
  await h.assertClean();
});

test('one large clock jump fires chained far-end timers in due order', async () => {
  const h = makeHarness();
  h.sb.network.addEndpoint('+1001', { outcome: 'answer', ringFor: 1, hangUpAfter: 1 });
  h.sb.network.addEndpoint('+1002', { outcome: 'answer', ringFor: 3 });
  const c1 = h.sb.createChannel();
  const c2 = h.sb.createChannel();
  void c1.call('+1001');
  void c2.call('+1002', { secondsTimeout: null });
  h.clock.increment(10_000);
  await flush();
  expect(
    h.callbacks.map((c) => `${c.eventType}@${c.eventTime.slice(17, 19)}:${c.callId === c1.callId ? 'c1' : 'c2'}`),
  ).toEqual(['answer@01:c1', 'disconnect@02:c1', 'answer@03:c2']);
  await h.assertClean();
});

test('B answers and hangs up in the same instant: A TRANSFERRED, then retrieved (row 1a), NORMAL', async () => {
  const h = makeHarness();
  h.sb.network.addInboundService('voicemail', { outcome: 'answer', ringFor: 0, hangUpAfter: 0 });
  const { a, b } = await answeredCall(h);
  const before = h.callbacks.length;
  // Everything happens within the call: by the time it returns, A has been transferred and retrieved.
  expect(await a.transferToInboundService(b, 'voicemail')).toBe(State.ANSWERED);
  expect(a.transferCause()).toBe(TransferCause.NORMAL);
  expect(b.state).toBe(State.IDLE);
  expect(h.statesOf(a.callId).slice(3)).toEqual([
    State.ANSWERED,
    State.TRANSFERRING,
    State.TRANSFERRED,
    State.RECONNECTING,
    State.ANSWERED,
  ]);
  expect(h.statesOf(b.callId)).toEqual([State.CALL_OUTGOING, State.RING_OUTGOING, State.ANSWERED, State.IDLE]);
  expect(h.summary().slice(before)).toEqual([
    ['transferAnswer', b.callId],
    ['transferDisconnect', b.callId, 'hangup'],
    ['transferComplete', a.callId, 'hangup'],
  ]);
  await h.assertClean();
});
