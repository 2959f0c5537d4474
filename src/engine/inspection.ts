/**
 * Inspection of the engine's statecharts, for the live inspector and for tools: while at least one watcher
 * is attached, every root actor (each leg's channel, each transfer, each agent call) reports each step it
 * takes (the event it processed and the state it is in after it), through XState's inspect API
 * (`actor.system.inspect`). Observers are attached to the live actors when the first watcher arrives and
 * detached when the last one leaves: while nobody watches, no actor has an observer, so XState does no
 * inspection work and the engine keeps no record.
 */
import type { SipLegFacts } from './network';
import type { AnyActorRef, EventObject, InspectionEvent, StateValue, Subscription } from 'xstate';
import type { EngineClock } from './clock';

/** The engine's statecharts, by the names the diagram command uses. */
export type MachineName = 'channel' | 'retrievable-transfer' | 'consult-transfer' | 'agent-call' | 'conference';

export type ActorStatus = 'active' | 'done' | 'error' | 'stopped';

/** Something the engine runs a root actor for (a leg, a transfer, an agent call). */
export interface Inspectable {
  readonly actor: AnyActorRef;
  readonly inspectedMachine: MachineName;
  /** Unique among the engine's actors: a leg's call id; `transfer:…`, `consult:…`, an agent call's id. */
  readonly inspectedId: string;
  /** The legs (call ids) this actor concerns now: a transfer concerns both its legs. */
  inspectedCallIds(): string[];
  /** The state a person sees, for a chart whose compound states only group its states (its active leaf). */
  inspectedValue?(value: StateValue): StateValue;
}

/** Where one actor is: its machine, its state value and the full ids of its active states. */
export interface ActorState {
  machine: MachineName;
  actorId: string;
  callIds: string[];
  /**
   * The state: the Aculab (channel) or Genesys (agent call) state name, whose chart groups its states only to
   * share transitions; XState's state value for the transfer charts, whose parent states are states too.
   */
  value: StateValue;
  /** Full XState ids of every active state, outermost first (`retrievableTransfer.awaitingAnswer`, …`.ringing`). */
  active: string[];
  status: ActorStatus;
}

/** One step of one actor: the event it processed and where it is after it. */
export interface MachineStep extends ActorState {
  /** Engine clock, epoch ms. */
  time: number;
  /** The event (`xstate.init` when the actor starts, `xstate.stop` when it is stopped). */
  event: EventObject;
  /** The event changed nothing: no transition took it (the state is as before). */
  ignored: boolean;
}

export type StepListener = (step: MachineStep) => void;

/** A live call leg, as the inspector lists it. */
export interface LiveCall {
  callId: string;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  /** The channel state (Aculab name). */
  state: string;
  /** Epoch ms on the engine clock. */
  startTime: number;
  /** For a transfer's target leg: the transferred call. */
  parentCallId?: string;
  /** The far end has put the call on hold (its own re-INVITE); the channel state does not show it. */
  remoteHold: boolean;
  /** On a SIP network: the leg's Call-ID, far end and transport. */
  sip?: SipLegFacts;
}

/** The public face (`switchboard.inspection`). */
export interface SwitchboardInspection {
  /** Whether anyone watches (observers are attached to the actors only then). */
  readonly watching: boolean;
  /** Receive every step of every actor until the returned function is called. */
  watch(listener: StepListener): () => void;
  /** Where each live actor concerning this call is now (its channel, its transfer, its agent call). */
  actorsOf(callId: string): ActorState[];
  /** The live call legs, oldest first. */
  liveCalls(): LiveCall[];
  /** One live call leg, or undefined if it is not live. */
  liveCall(callId: string): LiveCall | undefined;
}

export class Inspection implements SwitchboardInspection {
  private readonly watchers = new Set<StepListener>();
  private readonly attached = new Map<AnyActorRef, Subscription>();

  constructor(
    private readonly clock: EngineClock,
    /** The live actors, when the first watcher arrives and for `actorsOf`. */
    private readonly live: () => Iterable<Inspectable>,
    /** The live legs, and one of them by call id. */
    private readonly calls: { all(): LiveCall[]; one(callId: string): LiveCall | undefined },
  ) {}

  liveCalls(): LiveCall[] {
    return this.calls.all();
  }

  liveCall(callId: string): LiveCall | undefined {
    return this.calls.one(callId);
  }

  get watching(): boolean {
    return this.watchers.size > 0;
  }

  /** @internal An actor was created (call before it starts, so its first step is seen). */
  created(subject: Inspectable): void {
    if (this.watchers.size > 0) this.attach(subject);
  }

  watch(listener: StepListener): () => void {
    if (typeof listener !== 'function') throw new TypeError('inspection.watch(): listener must be a function');
    const first = this.watchers.size === 0;
    this.watchers.add(listener);
    if (first) for (const subject of this.live()) this.attach(subject);
    return () => {
      if (this.watchers.delete(listener) && this.watchers.size === 0) this.detachAll();
    };
  }

  actorsOf(callId: string): ActorState[] {
    const out: ActorState[] = [];
    for (const subject of this.live()) {
      const callIds = subject.inspectedCallIds();
      if (!callIds.includes(callId)) continue;
      const snapshot = subject.actor.getSnapshot() as { value: StateValue; status: ActorStatus };
      out.push(stateOf(subject, callIds, snapshot.value, snapshot.status));
    }
    return out;
  }

  private attach(subject: Inspectable): void {
    const { actor } = subject;
    if (this.attached.has(actor) || (actor.getSnapshot() as { status: ActorStatus }).status !== 'active') return;
    // A step is reported at each microstep (the state a transition led to, before anything it set off in
    // other actors, so steps arrive in causal order; XState reports an event no transition takes as a
    // microstep with no transitions), and at the start.
    const subscription = actor.system.inspect((event: InspectionEvent) => {
      if (event.actorRef !== actor) return;
      if (event.type === '@xstate.microstep') {
        this.report(subject, event.snapshot, event.event, event._transitions.length === 0);
      } else if (event.type === '@xstate.snapshot') {
        if (event.event.type === 'xstate.init') this.report(subject, event.snapshot, event.event, false);
        if ((event.snapshot as unknown as { status: ActorStatus }).status !== 'active') this.detach(actor);
      }
    });
    this.attached.set(actor, subscription);
  }

  private report(subject: Inspectable, snapshot: unknown, event: EventObject, ignored: boolean): void {
    const { value, status } = snapshot as { value: StateValue; status: ActorStatus };
    const step: MachineStep = {
      ...stateOf(subject, subject.inspectedCallIds(), value, status),
      time: this.clock.now(),
      event,
      ignored,
    };
    for (const watcher of [...this.watchers]) {
      try {
        watcher(step);
      } catch {
        // A watcher's failure is its own: the call carries on, and so do the other watchers.
      }
    }
  }

  private detach(actor: AnyActorRef): void {
    this.attached.get(actor)?.unsubscribe();
    this.attached.delete(actor);
  }

  private detachAll(): void {
    for (const subscription of this.attached.values()) subscription.unsubscribe();
    this.attached.clear();
  }

  /** @internal Actors with an observer attached (0 while nobody watches). */
  get attachedCount(): number {
    return this.attached.size;
  }
}

function stateOf(subject: Inspectable, callIds: string[], value: StateValue, status: ActorStatus): ActorState {
  return {
    machine: subject.inspectedMachine,
    actorId: subject.inspectedId,
    callIds,
    value: subject.inspectedValue ? subject.inspectedValue(value) : value,
    active: activeIds((subject.actor as unknown as { logic: { id: string } }).logic, value),
    status,
  };
}

/** Full state ids for a state value: `{ a: 'b' }` in machine `m` → [`m.a`, `m.a.b`]. */
export function activeIds(machine: { id: string }, value: StateValue): string[] {
  const out: string[] = [];
  const walk = (prefix: string, v: StateValue) => {
    if (typeof v === 'string') {
      out.push(`${prefix}.${v}`);
      return;
    }
    for (const [key, child] of Object.entries(v)) {
      out.push(`${prefix}.${key}`);
      if (child !== undefined) walk(`${prefix}.${key}`, child as StateValue);
    }
  };
  walk(machine.id, value);
  return out;
}
