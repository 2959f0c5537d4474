/** The engine clock: timers counted, and chained simulated timers fire at their own due times. */
import { SimulatedClock } from '../src';
import { EngineClock } from '../src/engine/clock';

test('pending timers are counted until they fire or are cleared', () => {
  const sim = new SimulatedClock();
  const clock = new EngineClock(sim);
  const fired: number[] = [];
  clock.setTimeout(() => fired.push(1), 1000);
  const second = clock.setTimeout(() => fired.push(2), 2000);
  expect(clock.pendingTimers).toBe(2);
  clock.clearTimeout(second);
  clock.clearTimeout(second);
  expect(clock.pendingTimers).toBe(1);
  sim.increment(5000);
  expect(fired).toEqual([1]);
  expect(clock.pendingTimers).toBe(0);
});

test('a timer set while another fires is due relative to the firing time, in one big increment', () => {
  const sim = new SimulatedClock();
  const clock = new EngineClock(sim);
  const seen: Array<[string, number]> = [];
  clock.setTimeout(() => {
    seen.push(['first', clock.now()]);
    clock.setTimeout(() => seen.push(['second', clock.now()]), 3000);
  }, 2000);
  clock.setTimeout(() => seen.push(['other', clock.now()]), 4000);
  sim.increment(60_000);
  expect(seen).toEqual([
    ['first', 2000],
    ['other', 4000],
    ['second', 5000],
  ]);
  expect(clock.now()).toBe(60_000);
});

test('without a source it runs on real timers and the wall clock', async () => {
  const clock = new EngineClock();
  expect(Math.abs(clock.now() - Date.now())).toBeLessThan(1000);
  const handle = clock.setTimeout(() => undefined, 60_000);
  expect(clock.pendingTimers).toBe(1);
  clock.clearTimeout(handle);
  expect(clock.pendingTimers).toBe(0);
});

test('timers are records: the dispatcher of their kind gets each at its deadline, in order', () => {
  const sim = new SimulatedClock();
  sim.set(50_000);
  const clock = new EngineClock(sim);
  expect(() => clock.schedule({ kind: 'probe', id: 'x' }, { type: 'PING' }, 1000)).toThrow(
    "No dispatcher for timers of kind 'probe'",
  );
  expect(clock.pendingTimers).toBe(0);
  const seen: Array<[string, string, number]> = [];
  clock.setDispatcher('probe', (record) => seen.push([record.target.id, record.event.type, clock.now()]));
  expect(() => clock.setDispatcher('probe', () => undefined)).toThrow(
    "A dispatcher for timers of kind 'probe' is already set",
  );
  clock.schedule({ kind: 'probe', id: 'b' }, { type: 'LATE', n: [1, { deep: true }] }, 3000, 'late');
  const cancelled = clock.schedule({ kind: 'probe', id: 'c' }, { type: 'NEVER' }, 2000);
  clock.schedule({ kind: 'probe', id: 'a' }, { type: 'EARLY' }, 1000, 'early');
  const records = clock.pending();
  expect(records.map((r) => [r.id, r.deadline])).toEqual([
    ['early', 51_000],
    [expect.any(String), 52_000],
    ['late', 53_000],
  ]);
  expect(records[2]).toEqual({
    id: 'late',
    deadline: 53_000,
    target: { kind: 'probe', id: 'b' },
    event: { type: 'LATE', n: [1, { deep: true }] },
  });
  expect(JSON.parse(JSON.stringify(records))).toEqual(records);
  clock.cancel(cancelled);
  expect(clock.pending().map((r) => r.id)).toEqual(['early', 'late']);
  sim.increment(10_000);
  expect(seen).toEqual([
    ['a', 'EARLY', 51_000],
    ['b', 'LATE', 53_000],
  ]);
  expect(clock.pending()).toEqual([]);
});

test('an opaque setTimeout callback is a record of kind callback', () => {
  const clock = new EngineClock(new SimulatedClock());
  clock.setTimeout(() => undefined, 500);
  expect(clock.pending()).toEqual([
    {
      id: expect.any(String),
      deadline: 500,
      target: { kind: 'callback', id: expect.any(String) },
      event: { type: 'call' },
    },
  ]);
});
