/**
 * Transfer paths beyond the table: the application hangs up B, B fails mid-transfer, a retrieval wait that
 * times out, and transferring again with the same channels.
 */
import { Cause, State, TransferCause } from '../src';
import { answeredCall, makeHarness } from './harness';

test('the application hangs up B while it rings → TARGETHANGUP, transferDisconnect(B, cancel)', async () => {
  const h = makeHarness();
  h.sb.network.addEndpoint('+15557770000', { outcome: 'noAnswer' });
  const { a, b } = await answeredCall(h);
  const result = a.retrievableTransfer(b, '+15557770000');
  await h.advance(2);
  await b.hangUp();
  expect(await result).toBe(State.ANSWERED);
  expect(a.transferCause()).toBe(TransferCause.TARGETHANGUP);
  expect(h.summary().slice(-2)).toEqual([
    ['transferDisconnect', b.callId, 'cancel'],
    ['transferComplete', a.callId, 'cancel'],
  ]);
  await h.assertClean();
});

test('the application hangs up B after it answered → A is retrieved (like the far end hanging up)', async () => {
  const h = makeHarness();
  h.sb.network.addEndpoint('+15557770000', { outcome: 'answer', ringFor: 1 });
  const { a, b } = await answeredCall(h);
  const result = a.retrievableTransfer(b, '+15557770000');
  await h.advance(1);
  expect(await result).toBe(State.TRANSFERRED);
  const waited = a.waitForTransferredCallRetrieval({ secondsTimeout: 60 });
  await b.hangUp();
  expect(await waited).toBe(State.ANSWERED);
  expect(h.summary().slice(-2)).toEqual([
    ['transferDisconnect', b.callId, 'hangup'],
    ['transferComplete', a.callId, 'hangup'],
  ]);
  await h.assertClean();
});

test("B's signalling fails while it rings → FAIL, transferDisconnect(B, error) with the message", async () => {
  const h = makeHarness();
  h.sb.network.addEndpoint('+15557770000', { outcome: 'noAnswer' });
  const { a, b } = await answeredCall(h);
  const result = a.retrievableTransfer(b, '+15557770000');
  h.sb.network.farEnd(b.callId as string).fail('488 Not Acceptable Here');
  expect(await result).toBe(State.ANSWERED);
  expect(a.transferCause()).toBe(TransferCause.FAIL);
  expect(b.cause()).toBe(Cause.ERROR);
  expect(h.callbacks.slice(-2)).toMatchObject([
    { eventType: 'transferDisconnect', cause: 'error', errorMessage: '488 Not Acceptable Here' },
    { eventType: 'transferComplete', cause: 'error', errorMessage: '488 Not Acceptable Here' },
  ]);
  await h.assertClean();
});

test('waitForTransferredCallRetrieval with secondsTimeout resolves TRANSFERRED when nothing happens', async () => {
  const h = makeHarness();
  h.sb.network.addEndpoint('+15557770000', { outcome: 'answer', ringFor: 1 });
  const { a, b } = await answeredCall(h);
  const result = a.retrievableTransfer(b, '+15557770000');
  await h.advance(1);
  await result;
  const waited = a.waitForTransferredCallRetrieval({ secondsTimeout: 10 });
  await h.advance(10);
  expect(await waited).toBe(State.TRANSFERRED);
  expect(b.state).toBe(State.ANSWERED);
  await h.assertClean();
});

test('a channel transfers again after retrieval, reusing the same B channel', async () => {
  const h = makeHarness();
  h.sb.network.addEndpoint('+15557770000', { outcome: 'busy' });
  h.sb.network.addInboundService('voicemail', { outcome: 'answer', ringFor: 1 });
  const { a, b } = await answeredCall(h);
  expect(await a.retrievableTransfer(b, '+15557770000')).toBe(State.ANSWERED);
  expect(a.transferCause()).toBe(TransferCause.TARGETREJECT);
  const firstB = b.callId;

  const second = a.transferToInboundService(b, 'voicemail', { callFrom: '+15551112222', tag: 'vm' });
  expect(a.transferCause()).toBe(TransferCause.NONE);
  await h.advance(1);
  expect(await second).toBe(State.TRANSFERRED);
  expect(b.callId).not.toBe(firstB);
  expect(h.callbacks.at(-1)).toMatchObject({
    eventType: 'transferAnswer',
    callId: b.callId,
    parentCallId: a.callId,
    transferCallerId: '+15551112222',
    transferTo: 'voicemail',
    tag: 'vm',
  });
  expect(await a.retrieveTransferredCall()).toBe(State.ANSWERED);
  await h.assertClean();
});
