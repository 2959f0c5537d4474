/** XState delayed events as records: a root actor's own ones are records addressed by its key; others keep XState's path. */
import { createActor, createMachine, raise } from 'xstate';
import { SimulatedClock } from '../src';
import { recordTimers } from '../src/engine/actorTimers';
import { EngineClock } from '../src/engine/clock';

const child = createMachine({
  initial: 'waiting',
  states: { waiting: { after: { 1500: 'done' } }, done: { type: 'final' } },
});

const root = createMachine({
  initial: 'a',
  invoke: { src: child },
  states: {
    a: {
      entry: [raise({ type: 'GO' }, { delay: 1000 }), raise({ type: 'LATER' }, { delay: 5000, id: 'later' })],
      on: { GO: 'b' },
    },
    b: { entry: raise({ type: 'LATER' }, { delay: 2000, id: 'later' }), on: { LATER: 'c' } },
    c: {},
  },
});

test("own delayed events are records (re-scheduling one id replaces it); a child's use a callback record", () => {
  const sim = new SimulatedClock();
  const clock = new EngineClock(sim);
  const actor = createActor(root, { clock });
  recordTimers(actor, clock, 'leg', 'c-1');
  actor.start();
  const view = () => clock.pending().map((r) => [r.target.kind, r.target.sendId ?? null, r.event.type, r.deadline]);
  expect(view()).toEqual([
    ['leg', expect.any(String), 'GO', 1000],
    ['callback', null, 'call', 1500],
    ['leg', 'later', 'LATER', 5000],
  ]);
  expect(Object.keys(actor.system.getSnapshot()._scheduledEvents)).toHaveLength(3);
  sim.increment(1000);
  expect(actor.getSnapshot().value).toBe('b');
  expect(view()).toEqual([
    ['callback', null, 'call', 1500],
    ['leg', 'later', 'LATER', 3000],
  ]);
  sim.increment(2000);
  expect(actor.getSnapshot().value).toBe('c');
  expect(clock.pending()).toEqual([]);
  expect(actor.system.getSnapshot()._scheduledEvents).toEqual({});
});

test("stopping the actor cancels its records and its child's timers", () => {
  const sim = new SimulatedClock();
  const clock = new EngineClock(sim);
  const actor = createActor(root, { clock });
  recordTimers(actor, clock, 'leg', 'c-2');
  actor.start();
  expect(clock.pendingTimers).toBe(3);
  actor.stop();
  expect(clock.pendingTimers).toBe(0);
  expect(actor.system.getSnapshot()._scheduledEvents).toEqual({});
  sim.increment(10_000);
  expect(actor.getSnapshot().value).toBe('a');
});

const waiting = createMachine({
  initial: 'a',
  states: {
    a: { entry: raise({ type: 'TIMEOUT' }, { delay: 30_000, id: 'tm' }), on: { TIMEOUT: 'timedOut' } },
    timedOut: {},
  },
});

test('a record has what re-arming needs: a restored actor gets its timer back at the original deadline', () => {
  const sim = new SimulatedClock();
  const clock = new EngineClock(sim);
  const actor = createActor(waiting, { clock });
  recordTimers(actor, clock, 'transfer', 't-1');
  actor.start();
  sim.increment(10_000);
  const stored = JSON.parse(JSON.stringify({ snapshot: actor.getPersistedSnapshot(), timers: clock.pending() }));
  actor.stop();

  // A fresh engine 5 s later (the process was down): XState restores the state but arms no timer (xstate#5331).
  const sim2 = new SimulatedClock();
  sim2.set(15_000);
  const clock2 = new EngineClock(sim2);
  const restored = createActor(waiting, { clock: clock2, snapshot: stored.snapshot });
  recordTimers(restored, clock2, 'transfer', 't-1');
  restored.start();
  expect(clock2.pending()).toEqual([]);
  for (const record of stored.timers) {
    const delay = Math.max(0, record.deadline - clock2.now());
    restored.system.scheduler.schedule(restored, restored, record.event, delay, record.target.sendId);
  }
  expect(clock2.pending()).toEqual([{ ...stored.timers[0], id: expect.any(String) }]);
  sim2.increment(14_999);
  expect(restored.getSnapshot().value).toBe('a');
  sim2.increment(1);
  expect(restored.getSnapshot().value).toBe('timedOut');
  expect(clock2.pending()).toEqual([]);
});
