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
 *
 * Every timer is data: a `TimerRecord` (absolute deadline, target, plain event). When it falls due the clock
 * looks up the dispatcher registered for the target's kind and hands it the record; no closure is captured
 * when a timer is set, so `pending()` is everything a store needs to re-arm them (docs/durability.md).
 * `setTimeout(fn, ms)` (XState's clock shape) is still accepted for callers outside the engine: such a timer
 * is a record of kind `callback` whose function stays in memory, and cannot be re-armed.
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

/** A JSON value (what a timer's event may hold). */
export type TimerValue = string | number | boolean | null | TimerValue[] | { [key: string]: TimerValue };

/** The plain event a timer delivers. */
export interface TimerEvent {
  type: string;
  [key: string]: TimerValue;
}

/**
 * Whom a timer is for. `kind` picks the dispatcher: `leg` (id = call id), `transfer` (transfer id), `consult`
 * (consult transfer id), `agentCall` (agent call id), `farEnd` (call id; the simulated network), `callback`.
 * An actor's delayed event also carries XState's send id, under which the actor can cancel it.
 */
export interface TimerTarget {
  kind: string;
  id: string;
  sendId?: string;
}

/** One pending timer, as data: JSON.stringify round-trips it. */
export interface TimerRecord {
  id: string;
  /** Epoch milliseconds on the engine clock at which it fires. */
  deadline: number;
  target: TimerTarget;
  event: TimerEvent;
}

/** Delivers a due timer to its target. */
export type TimerDispatch = (record: TimerRecord) => void;

/** The heap entry: the record's fields plus the order of setting and whether it is still pending. */
interface Timer extends TimerRecord {
  seq: number;
  state: 'pending' | 'fired' | 'cleared';
}

/** The handle `schedule` returns; pass it to `cancel`. */
export type TimerHandle = object;

const realTimers: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};

const byDue = (a: Timer, b: Timer) => a.deadline - b.deadline || a.seq - b.seq;

const CALLBACK = 'callback';
const CALL: TimerEvent = { type: 'call' };

export class EngineClock implements Clock {
  private readonly base: EngineClockSource;
  private readonly virtual: boolean;
  private readonly queue = new BinaryHeap<Timer>(byDue);
  private readonly dispatchers = new Map<string, TimerDispatch>();
  /** The functions of `callback` timers, by record id. */
  private readonly callbacks = new Map<string, () => void>();
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
    this.dispatchers.set(CALLBACK, (record) => this.runCallback(record));
  }

  /** @internal The engine runs every firing as a turn. */
  setTurnRunner(run: (fn: () => void) => void): void {
    this.runTurn = run;
  }

  /** Register how timers of one target kind are delivered (one dispatcher per kind). */
  setDispatcher(kind: string, dispatch: TimerDispatch): void {
    const known = this.dispatchers.get(kind);
    if (known && known !== dispatch) throw new Error(`A dispatcher for timers of kind '${kind}' is already set`);
    this.dispatchers.set(kind, dispatch);
  }

  /** Epoch milliseconds (0 = 1970-01-01 on a fresh SimulatedClock). */
  now(): number {
    if (this.firingAt !== undefined) return this.firingAt;
    return this.baseNow();
  }

  /** Deliver `event` to `target` in `ms` (at once if negative); `id` defaults to a fresh one. */
  schedule(target: TimerTarget, event: TimerEvent, ms: number, id?: string): TimerHandle {
    if (!this.dispatchers.has(target.kind)) throw new Error(`No dispatcher for timers of kind '${target.kind}'`);
    return this.add(id ?? `tm-${this.seq}`, this.now() + Math.max(0, ms), target, event);
  }

  /** Cancel a timer (no effect once it has fired or been cancelled). */
  cancel(handle: TimerHandle | undefined): void {
    const timer = handle as Timer | undefined;
    if (!timer || timer.state !== 'pending') return;
    timer.state = 'cleared';
    this.live--;
    if (timer.target.kind === CALLBACK) this.callbacks.delete(timer.id);
    if (this.live === 0) {
      this.queue.clear();
      this.disarm();
    }
  }

  /** XState's clock interface: an opaque callback, kept as a `callback` record (not re-armable). */
  setTimeout(fn: (...args: unknown[]) => void, ms: number): unknown {
    const id = `cb-${this.seq}`;
    this.callbacks.set(id, fn as () => void);
    return this.add(id, this.now() + Math.max(0, ms), { kind: CALLBACK, id }, CALL);
  }

  clearTimeout(handle: unknown): void {
    this.cancel(handle as TimerHandle | undefined);
  }

  /** Timers set through this clock that have neither fired nor been cleared. */
  get pendingTimers(): number {
    return this.live;
  }

  /** Every pending timer as a plain record (copies), in the order they will fire. */
  pending(): TimerRecord[] {
    return this.queue
      .toArray()
      .filter((timer) => timer.state === 'pending')
      .sort(byDue)
      .map((timer) => ({
        id: timer.id,
        deadline: timer.deadline,
        target: copyTarget(timer.target),
        event: structuredClone(timer.event),
      }));
  }

  private add(id: string, deadline: number, target: TimerTarget, event: TimerEvent): Timer {
    const timer: Timer = { id, deadline, target, event, seq: this.seq++, state: 'pending' };
    this.queue.push(timer);
    this.live++;
    this.arm();
    return timer;
  }

  private runCallback(record: TimerRecord): void {
    const fn = this.callbacks.get(record.id);
    this.callbacks.delete(record.id);
    fn?.();
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
    if (this.wake && this.wake.due <= top.deadline) return;
    this.disarm();
    const due = top.deadline;
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
    for (let top = this.nextPending(); top && top.deadline <= limit; top = this.nextPending()) {
      this.queue.pop();
      top.state = 'fired';
      this.live--;
      const timer = top;
      const dispatch = this.dispatchers.get(timer.target.kind) as TimerDispatch;
      this.firingAt = this.virtual ? timer.deadline : undefined;
      try {
        this.runTurn(() => dispatch(timer));
      } finally {
        this.firingAt = undefined;
      }
    }
    this.arm();
  }
}

function copyTarget(target: TimerTarget): TimerTarget {
  return target.sendId === undefined
    ? { kind: target.kind, id: target.id }
    : { kind: target.kind, id: target.id, sendId: target.sendId };
}
