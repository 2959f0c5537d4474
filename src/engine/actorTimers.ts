/**
 * XState delayed events as timer records on the engine clock.
 *
 * XState schedules a delayed event (`raise(event, { delay, id })`, `after`) through its system's scheduler,
 * `schedule(source, target, event, delay, id)`, which hands the clock an opaque callback. `recordTimers`
 * replaces that scheduler's `schedule` and `cancel` for one root actor, so that each of its delayed events to
 * itself becomes a record `{ deadline, target: { kind, id, sendId }, event }` on the engine clock, addressed by
 * the actor's registry key (leg call id, transfer id, consult id, agent call id). When the record falls due,
 * the dispatcher for its kind finds the actor by that key and relays the event as XState's own timer would.
 * XState's `_scheduledEvents` (the system snapshot) is kept as XState keeps it, so its `cancelAll` on stop
 * still cancels everything. A delayed event to another actor (none of our charts sends one) keeps XState's path.
 */
import type { AnyActorRef, EventObject } from 'xstate';
import type { EngineClock, TimerEvent, TimerHandle, TimerRecord } from './clock';

/** The actors whose delayed events are records; each kind's id is its registry key. */
export type ActorTimerKind = 'leg' | 'transfer' | 'consult' | 'agentCall';
const KINDS: readonly ActorTimerKind[] = ['leg', 'transfer', 'consult', 'agentCall'];

type Schedule = (source: AnyActorRef, target: AnyActorRef, event: EventObject, delay: number, id?: string) => void;
type Cancel = (source: AnyActorRef, id: string) => void;

/** The parts of XState's actor system this relies on (packages/core/src/system.ts). */
interface XStateSystem {
  scheduler: { schedule: Schedule; cancel: Cancel };
  _relay(source: AnyActorRef | undefined, target: AnyActorRef, event: EventObject): void;
  _snapshot: { _scheduledEvents: Record<string, unknown> };
}

/** An actor with pending delayed events: its pending timers by XState send id. */
interface Entry {
  actor: AnyActorRef;
  handles: Map<string, TimerHandle>;
}

/** The actors of one engine clock that have pending timers, by `kind:id`. */
class ActorTimers {
  private readonly actors = new Map<string, Entry>();

  constructor(private readonly clock: EngineClock) {
    const fire = (record: TimerRecord) => this.fire(record);
    for (const kind of KINDS) clock.setDispatcher(kind, fire);
  }

  install(actor: AnyActorRef, kind: ActorTimerKind, id: string): void {
    const system = actor.system as unknown as XStateSystem;
    const scheduler = system.scheduler;
    const xstateSchedule = scheduler.schedule;
    const xstateCancel = scheduler.cancel;
    const key = `${kind}:${id}`;
    scheduler.schedule = (source, target, event, delay, sendId = Math.random().toString(36).slice(2)) => {
      if (source !== actor || target !== actor) return xstateSchedule(source, target, event, delay, sendId);
      system._snapshot._scheduledEvents[`${source.sessionId}.${sendId}`] = {
        source,
        target,
        event,
        delay,
        id: sendId,
        startedAt: this.clock.now(),
      };
      let entry = this.actors.get(key);
      if (!entry) this.actors.set(key, (entry = { actor, handles: new Map() }));
      this.clock.cancel(entry.handles.get(sendId));
      entry.handles.set(sendId, this.clock.schedule({ kind, id, sendId }, event as TimerEvent, delay));
    };
    scheduler.cancel = (source, sendId) => {
      const entry = source === actor ? this.actors.get(key) : undefined;
      const handle = entry?.handles.get(sendId);
      if (!entry || handle === undefined) return xstateCancel(source, sendId);
      delete system._snapshot._scheduledEvents[`${source.sessionId}.${sendId}`];
      this.clock.cancel(handle);
      this.forget(key, entry, sendId);
    };
  }

  /** The pending timers of one actor, as data (send id, absolute deadline, event). */
  records(kind: ActorTimerKind, id: string): ActorTimerRecord[] {
    const entry = this.actors.get(`${kind}:${id}`);
    if (!entry) return [];
    return [...entry.handles].map(([sendId, handle]) => {
      const { deadline, event } = handle as TimerRecord;
      return { sendId, deadline, event: structuredClone(event) };
    });
  }

  private fire(record: TimerRecord): void {
    // A pending actor record always has its entry and send id (cancel and fire remove both together).
    const { kind, id, sendId } = record.target as Required<TimerRecord['target']>;
    const key = `${kind}:${id}`;
    const entry = this.actors.get(key) as Entry;
    this.forget(key, entry, sendId);
    const actor = entry.actor;
    const system = actor.system as unknown as XStateSystem;
    delete system._snapshot._scheduledEvents[`${actor.sessionId}.${sendId}`];
    system._relay(actor, actor, record.event);
  }

  private forget(key: string, entry: Entry, sendId: string): void {
    entry.handles.delete(sendId);
    if (entry.handles.size === 0) this.actors.delete(key);
  }
}

/** One pending delayed event of an actor, as a store keeps it. */
export interface ActorTimerRecord {
  sendId: string;
  deadline: number;
  event: TimerEvent;
}

const byClock = new WeakMap<EngineClock, ActorTimers>();

/** The pending delayed events of the actor with registry key `{ kind, id }` on `clock`. */
export function actorTimerRecords(clock: EngineClock, kind: ActorTimerKind, id: string): ActorTimerRecord[] {
  return byClock.get(clock)?.records(kind, id) ?? [];
}

/**
 * Arm a restored actor's stored delayed events at their original deadlines (at once for one that has passed),
 * through its scheduler, so the chart can still cancel them by send id. Call after `recordTimers` and `start()`.
 */
export function rearmTimers(actor: AnyActorRef, clock: EngineClock, timers: readonly ActorTimerRecord[]): void {
  const scheduler = (actor.system as unknown as XStateSystem).scheduler;
  for (const { sendId, deadline, event } of timers)
    scheduler.schedule(actor, actor, event, Math.max(0, deadline - clock.now()), sendId);
}

/** Make the delayed events a root actor sends itself records on `clock`, addressed as `{ kind, id }`. */
export function recordTimers(actor: AnyActorRef, clock: EngineClock, kind: ActorTimerKind, id: string): void {
  let timers = byClock.get(clock);
  if (!timers) byClock.set(clock, (timers = new ActorTimers(clock)));
  timers.install(actor, kind, id);
}
