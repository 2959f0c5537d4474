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
