/**
 * Turns: the engine's unit of work, and the order in which the outside world hears about it.
 *
 * Every entry into the engine (a timer firing, a network indication, an application call) runs as a turn.
 * What the engine has to tell listeners (callbacks, notifications, state changes) is built during the turn
 * but delivered only when the outermost turn ends, in one global first-in, first-out order. So a listener
 * never runs in the middle of a transition, and whatever it does (hang up, transfer, answer) is a new turn
 * whose events queue behind everything already queued.
 *
 * Steps: work that must not run in the middle of the actor transition that asked for it (routing a leg's
 * end to its transfer, which then clears that very leg) waits in the inbox and runs, within the same
 * outermost turn, once the work running now has settled (every actor has taken every event sent to it).
 *
 * Hooks (a durable switchboard's, durable.ts): `ended` runs as each outermost turn ends, before its deliveries
 * (the turn's changes are written then), `drained` once the delivery queue is empty. Without hooks, nothing runs.
 */
export interface TurnHooks {
  ended(): void;
  drained(): void;
}

export class Turns {
  private depth = 0;
  private draining = false;
  private outbox: Array<() => void> = [];
  private readonly inbox: Array<() => void> = [];
  /** Set by a durable switchboard. */
  hooks: TurnHooks | null = null;

  /** Run `fn` as a turn (or as part of the turn already running). */
  run<T>(fn: () => T): T {
    this.depth++;
    try {
      const result = fn();
      if (this.depth === 1) this.settle();
      return result;
    } finally {
      this.depth--;
      if (this.depth === 0) {
        this.hooks?.ended();
        this.drain();
      }
    }
  }

  /** Run `step` once the work running now has settled (at once, as a turn, when no turn is running). */
  step(step: () => void): void {
    if (this.depth === 0) this.run(step);
    else this.inbox.push(step);
  }

  /** Run the waiting steps in order; a step may queue more, which run after it. */
  private settle(): void {
    for (let next = this.inbox.shift(); next; next = this.inbox.shift()) next();
  }

  /** Deliver after the current turn (at once when no turn is running). */
  defer(delivery: () => void): void {
    this.outbox.push(delivery);
    if (this.depth === 0) this.drain();
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      // Deliveries may queue more (listeners start new turns); they are taken in order by the same loop.
      for (let i = 0; i < this.outbox.length; i++) this.outbox[i]();
    } finally {
      this.outbox = [];
      this.draining = false;
      this.hooks?.drained();
    }
  }
}
