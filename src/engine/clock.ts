/**
 * The engine's clock: the one source of time and timers for every actor and for the simulated network.
 *
 * It wraps any XState clock (a `SimulatedClock` in tests, the real timers by default) and adds two things:
 * - it counts pending timers, so "no timer is left after a call ends" can be asserted;
 * - on a simulated clock, a timer fires *at its own due time*: `now()` reads that time while it runs, and
 *   timers it sets are due relative to it. `SimulatedClock.increment(10_000)` then gives the same event
 *   times as ten increments of 1 000, instead of stamping everything with the end of the jump.
 */
/** XState's clock shape (what `createActor(logic, { clock })` takes); `SimulatedClock` is one. */
export interface Clock {
  setTimeout(fn: (...args: unknown[]) => void, timeout: number): unknown;
  clearTimeout(id: unknown): void;
}

/** A clock XState can use, plus `now()` in epoch milliseconds. */
export interface EngineClockSource extends Clock {
  now?(): number;
}

type Handle = unknown;

const realTimers: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};

export class EngineClock implements Clock {
  private readonly base: EngineClockSource;
  private readonly virtual: boolean;
  private firingAt: number | undefined;
  private readonly live = new Set<Handle>();

  constructor(source?: EngineClockSource) {
    this.base = source ?? realTimers;
    // A source with its own now() keeps virtual time (SimulatedClock); real timers read the wall clock.
    this.virtual = typeof source?.now === 'function';
  }

  /** Epoch milliseconds (0 = 1970-01-01 on a fresh SimulatedClock). */
  now(): number {
    if (this.firingAt !== undefined) return this.firingAt;
    return this.virtual ? (this.base.now as () => number)() : Date.now();
  }

  setTimeout(fn: (...args: unknown[]) => void, ms: number): Handle {
    const due = this.now() + ms;
    const baseNow = this.virtual ? (this.base.now as () => number)() : due - ms;
    const handle: { id?: unknown } = {};
    const fire = () => {
      this.live.delete(handle);
      const outer = this.firingAt;
      this.firingAt = this.virtual ? due : undefined;
      try {
        fn();
      } finally {
        this.firingAt = outer;
      }
    };
    handle.id = this.base.setTimeout(fire, Math.max(0, due - baseNow));
    this.live.add(handle);
    return handle;
  }

  clearTimeout(handle: Handle): void {
    if (!this.live.delete(handle)) return;
    this.base.clearTimeout((handle as { id: unknown }).id);
  }

  /** Timers set through this clock that have neither fired nor been cleared. */
  get pendingTimers(): number {
    return this.live.size;
  }
}
