/**
 * Every pending timer of a live call is a plain record on the engine clock (absolute deadline, target, event):
 * actors' delayed events addressed by their registry key, the simulated network's far-end scripts by call id.
 */
import { State, TransferCause } from '../src';
import type { TimerRecord } from '../src/engine/clock';
import { answeredCall, makeHarness } from './harness';

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);

test("a transfer with 20 s left: its timeout and the far end's answer are records with absolute deadlines", async () => {
  const h = makeHarness();
  h.clock.set(T0);
  h.sb.network.addEndpoint('+15557770000', { outcome: 'answer', ringFor: 25, hangUpAfter: 60 });
  const { a, b } = await answeredCall(h);
  const result = a.retrievableTransfer(b, '+15557770000', { secondsTimeout: 30 });
  await h.advance(10);

  const records = h.sb.clock.pending();
  expect(records).toEqual([
    {
      id: expect.any(String),
      deadline: T0 + 25_000,
      target: { kind: 'farEnd', id: b.callId },
      event: { type: 'answer', hangUpAfter: 60 },
    },
    {
      id: expect.any(String),
      deadline: T0 + 30_000,
      target: { kind: 'transfer', id: expect.stringMatching(/^t-/), sendId: 'transferTimeout' },
      event: { type: 'TIMEOUT' },
    },
  ]);
  expect(records[1].deadline - h.sb.clock.now()).toBe(20_000);
  expect(JSON.parse(JSON.stringify(records))).toEqual(records);
  expect(h.sb.network.scripts()).toEqual([records[0]]);
  // Records are copies: changing one changes no timer.
  records[1].deadline = 0;
  expect(h.sb.clock.pending()[1].deadline).toBe(T0 + 30_000);

  // The far end answers at its deadline; the answer schedules its hang-up as a new record, the timeout is gone.
  await h.advance(15);
  expect(await result).toBe(State.TRANSFERRED);
  expect(a.transferCause()).toBe(TransferCause.NORMAL);
  expect(h.sb.clock.pending()).toEqual([
    {
      id: expect.any(String),
      deadline: T0 + 85_000,
      target: { kind: 'farEnd', id: b.callId },
      event: { type: 'hangUp' },
    },
  ]);
  await h.advance(60);
  expect(b.state).toBe(State.IDLE);
  expect(h.sb.clock.pending()).toEqual([]);
  await h.assertClean();
});

test("the timeout record fires at its deadline and leaves nothing; a leg's call timeout is addressed by call id", async () => {
  const h = makeHarness();
  h.clock.set(T0);
  h.sb.network.addEndpoint('+15557770000', { outcome: 'noAnswer' });
  const { a, b } = await answeredCall(h);
  const transfer = a.retrievableTransfer(b, '+15557770000', { secondsTimeout: 30 });
  const out = h.sb.createChannel();
  const dialled = out.call('+15557770000', { secondsTimeout: 45 });
  const kinds = (records: TimerRecord[]) => records.map((r) => [r.target.kind, r.target.id, r.deadline]);
  expect(kinds(h.sb.clock.pending())).toEqual([
    ['transfer', expect.stringMatching(/^t-/), T0 + 30_000],
    ['leg', out.callId, T0 + 45_000],
  ]);
  expect(h.sb.clock.pending()[1]).toMatchObject({ target: { sendId: 'callTimeout' }, event: { type: 'CALL_TIMEOUT' } });
  expect(h.sb.clock.pending().some((r) => r.target.kind === 'callback')).toBe(false);

  await h.advance(30);
  expect(await transfer).toBe(State.ANSWERED);
  expect(a.transferCause()).toBe(TransferCause.TIMEOUT);
  expect(kinds(h.sb.clock.pending())).toEqual([['leg', out.callId, T0 + 45_000]]);
  await h.advance(15);
  expect(await dialled).toBe(State.IDLE);
  expect(h.sb.clock.pending()).toEqual([]);
  await h.assertClean();
});

test("a consult's timeout is a record addressed by the consult's id; cancelling it removes the record", async () => {
  const h = makeHarness();
  h.clock.set(T0);
  const agent = h.sb.agent({ phoneNumber: '5005', consultTimeout: 30 });
  h.sb.network.addEndpoint('5001', { outcome: 'answer', ringFor: 3 });
  h.sb.network.placeCall({ from: '5000', to: '5005' });
  const c1 = agent.calls()[0].id;
  await agent.operation(c1, { operationName: 'Answer' });
  await agent.operation(c1, { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } });
  const consult = h.sb.clock.pending().find((r) => r.target.kind === 'consult');
  expect(consult).toEqual({
    id: expect.any(String),
    deadline: T0 + 30_000,
    target: { kind: 'consult', id: expect.any(String), sendId: 'consultTimeout' },
    event: { type: 'TIMEOUT' },
  });
  await h.advance(3); // the target answers: the consult timeout is cancelled
  expect(h.sb.clock.pending().filter((r) => r.target.kind === 'consult')).toEqual([]);
  await h.assertClean();
});
