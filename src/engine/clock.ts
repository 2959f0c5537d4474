/**
 * The engine's clock: the one source of time and timers for every actor and for the simulated network.
 *
 * It wraps any XState clock (a `SimulatedClock` in tests, the real timers by default) and keeps its own
 * queue of timers ordered by due time, arming a single wake-up on the base clock for the earliest one. So:
 * - timers always fire in due order, and on a simulated clock each fires *at its own due time*: `now()` reads
 *   that time while it runs, and timers it sets are due relative to it. One `increment(10_000)` gives the
 *   same order and event times as ten increments of 1 000;
 * - pending timers are counted, so "no timer is left after a call ends" can be asserted;
 * - each firing runs as an engine turn (see turns.ts), so what it causes is delivered before the next fires;
 * - with 100,000 timers pending the base clock still holds one, so advancing it stays cheap.
 */
import { BinaryHeap } from './heap';

/** XState's clock shape (what `createActor(logic, { clock })` takes); `SimulatedClock` is one. */
export interface Clock {
  setTimeout(fn: (...args: unknown[]) => void, timeout: number): unknown;
  clearTimeout(id: unknown): void;
}

/** A clock XState can use, plus `now()` in epoch milliseconds. */
export interface EngineClockSource extends Clock {
  now?(): number;
}

interface Timer {
  due: number;
  seq: number;
  fn: () => void;
  state: 'pending' | 'fired' | 'cleared';
}

const realTimers: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};

const byDue = (a: Timer, b: Timer) => a.due - b.due || a.seq - b.seq;

export class EngineClock implements Clock {
  private readonly base: EngineClockSource;
  private readonly virtual: boolean;
  private readonly queue = new BinaryHeap<Timer>(byDue);
  private firingAt: number | undefined;
  private seq = 0;
  private live = 0;
  private wake: { due: number; handle: unknown } | null = null;
  /** Wraps each firing (the engine makes it a turn). */
  private runTurn: (fn: () => void) => void = (fn) => fn();

  constructor(source?: EngineClockSource) {
    this.base = source ?? realTimers;
    // A source with its own now() keeps virtual time (SimulatedClock); real timers read the wall clock.
    this.virtual = typeof source?.now === 'function';
  }

  /** @internal The engine runs every firing as a turn. */
  setTurnRunner(run: (fn: () => void) => void): void {
    this.runTurn = run;
  }

  /** Epoch milliseconds (0 = 1970-01-01 on a fresh SimulatedClock). */
  now(): number {
    if (this.firingAt !== undefined) return this.firingAt;
    return this.baseNow();
  }

  setTimeout(fn: (...args: unknown[]) => void, ms: number): unknown {
    const timer: Timer = { due: this.now() + Math.max(0, ms), seq: this.seq++, fn: fn as () => void, state: 'pending' };
    this.queue.push(timer);
    this.live++;
    this.arm();
    return timer;
  }

  clearTimeout(handle: unknown): void {
    const timer = handle as Timer | undefined;
    if (!timer || timer.state !== 'pending') return;
    timer.state = 'cleared';
    this.live--;
    if (this.live === 0) {
      this.queue.clear();
      this.disarm();
    }
  }

  /** Timers set through this clock that have neither fired nor been cleared. */
  get pendingTimers(): number {
    return this.live;
  }

  private baseNow(): number {
    return this.virtual ? (this.base.now as () => number)() : Date.now();
  }

  private nextPending(): Timer | undefined {
    let top = this.queue.peek();
    while (top && top.state !== 'pending') {
      this.queue.pop();
      top = this.queue.peek();
    }
    return top;
  }

  /** Make sure the base clock wakes us no later than the earliest pending timer. */
  private arm(): void {
    if (this.firingAt !== undefined) return; // the running wake-up re-arms when it is done
    const top = this.nextPending();
    if (!top) return this.disarm();
    if (this.wake && this.wake.due <= top.due) return;
    this.disarm();
    const due = top.due;
    this.wake = { due, handle: this.base.setTimeout(() => this.onWake(), Math.max(0, due - this.baseNow())) };
  }

  private disarm(): void {
    if (!this.wake) return;
    this.base.clearTimeout(this.wake.handle);
    this.wake = null;
  }

  /** Run every timer due by the base clock's now, in due order, each at its own time, each as a turn. */
  private onWake(): void {
    this.wake = null;
    const limit = this.baseNow();
    for (let top = this.nextPending(); top && top.due <= limit; top = this.nextPending()) {
      this.queue.pop();
      top.state = 'fired';
      this.live--;
      const timer = top;
      this.firingAt = this.virtual ? timer.due : undefined;
      try {
        this.runTurn(timer.fn);
      } finally {
        this.firingAt = undefined;
      }
    }
    this.arm();
  }
}
