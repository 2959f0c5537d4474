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

test('own delayed events are records (re-scheduling one id replaces it); a child\'s use a callback record', () => {
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

test('stopping the actor cancels its records and its child\'s timers', () => {
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
