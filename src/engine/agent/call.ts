/**
 * An agent call: the root actor of the agent-call statechart for one call on one agent's desk, the leg it
 * views, and the call object the desk sees. It follows its leg (answered, held, ended) and tells its device
 * whenever what the agent can see changes: state, call type, capabilities, linkage or user data.
 */
import { createActor, type Actor, type Snapshot, type StateValue } from 'xstate';
import {
  agentCallMachine,
  agentCallState,
  OPERATIONS,
  type AgentCallEmitted,
  type AgentCallEvent,
  type AgentCallState,
  type ConsultView,
  type CallType,
  type ConsultRole,
  type OperationName,
} from '../../../machines/agentCall';
import { State } from '../../../machines/vocabulary';
import { newAgentCallId, newConnId } from '../ids';
import type { ActorOptions, Leg } from '../leg';
import { recordTimers } from '../actorTimers';
import type { ConsultRun } from './consult';
import type { Inspectable, MachineName } from '../inspection';
import { participant, type AgentCallObject, type NotificationType } from './notifications';

export type AgentCallActor = Actor<typeof agentCallMachine>;

/** Capabilities by state, role, consult view and whether the call rings a phone (see AgentCall.capabilities). */
const CAPABILITIES = new Map<string, readonly OperationName[]>();
const NONE: readonly OperationName[] = [];
const NO_CONSULT: ConsultView = { targetAnswered: false, talking: false, conference: false };

/** An accepted operation's effect, as the agent-call chart emits it. */
export type AgentCallCommand = Exclude<AgentCallEmitted, { type: 'dataChanged' }>;

/** What an agent call needs from its device. */
export interface AgentCallOwner {
  readonly phoneNumber: string;
  readonly deviceUri: string;
  readonly callsUri: string;
  now(): number;
  notify(call: AgentCall, type: NotificationType): void;
  /** Carry out an accepted operation's effect (the chart has decided it). */
  carryOut(call: AgentCall, command: AgentCallCommand): void;
  released(call: AgentCall): void;
  /** The leg the call shows, while it does, and the consult it is part of (the registry's relations). */
  legOf(call: AgentCall): Leg | null;
  consultOf(call: AgentCall): ConsultRun | null;
}

export interface AgentCallSpec {
  leg: Leg;
  start: 'Ringing' | 'Dialing';
  callType: CallType;
  role?: ConsultRole;
  /** The other party's number. */
  party: string;
  dnis: string;
  parentCallUri?: string;
  /** The network rings the agent's own phone for this call: the agent answers there (not from the desk). */
  phone?: boolean;
  /** When a restarted node restores the call (durable.ts): its ids, age, chart snapshot and consult view. */
  restore?: AgentCallRestore;
}

export interface AgentCallRestore {
  id: string;
  connId: string;
  createdAt: number;
  legCallId: string;
  snapshot: unknown;
  consultSent: ConsultView | null;
}

export class AgentCall implements Inspectable {
  readonly id: string;
  readonly connId: string;
  readonly actor: AgentCallActor;
  readonly createdAt: number;
  /** The call id of the leg this call first viewed (it stays after the agent has left the leg). */
  readonly legCallId: string;
  parentCallUri: string | undefined;
  readonly party: string;
  readonly dnis: string;
  /** Effects the chart has emitted and send() has not carried out yet. */
  private readonly effects: AgentCallCommand[] = [];
  /** The consult view last sent to the chart (see consultChanged()). */
  consultSent: ConsultView | null = null;
  /** What the desk last saw of the call (see changed()). */
  private seen: {
    state: string;
    callType: CallType;
    parentCallUri: string | undefined;
    capabilities: readonly OperationName[];
  } | null = null;

  constructor(
    readonly owner: AgentCallOwner,
    spec: AgentCallSpec,
    actorOptions: ActorOptions,
  ) {
    const restore = spec.restore;
    this.id = restore?.id ?? newAgentCallId();
    this.connId = restore?.connId ?? newConnId();
    this.legCallId = restore?.legCallId ?? spec.leg.callId;
    this.party = spec.party;
    this.dnis = spec.dnis;
    this.parentCallUri = spec.parentCallUri;
    // A call born into a consult (C2) starts, as its chart does, from nothing answered, not talking.
    if (spec.role && spec.role !== 'none') this.consultSent = NO_CONSULT;
    if (restore) this.consultSent = restore.consultSent;
    this.createdAt = restore?.createdAt ?? owner.now();
    this.actor = createActor(agentCallMachine, {
      ...actorOptions,
      input: { start: spec.start, callType: spec.callType, role: spec.role ?? 'none', phone: spec.phone },
      ...(restore ? { snapshot: restore.snapshot as Snapshot<unknown> } : {}),
    });
    recordTimers(this.actor, actorOptions.clock, 'agentCall', this.id);
    this.actor.on('*', (emitted) => {
      if (emitted.type === 'dataChanged') owner.notify(this, 'AttachedDataChanged');
      else this.effects.push(emitted);
    });
    this.actor.subscribe(() => this.changed());
  }

  get inspectedMachine(): MachineName {
    return 'agent-call';
  }

  get inspectedId(): string {
    return this.id;
  }

  inspectedValue(value: StateValue): AgentCallState {
    return agentCallState(value);
  }

  inspectedCallIds(): string[] {
    return [this.legCallId];
  }

  start(): void {
    this.actor.start();
  }

  /** The leg this call views (the registry's relation); null once the agent has left it. */
  get leg(): Leg | null {
    return this.owner.legOf(this);
  }

  /** The consult this call is part of, while it runs (the registry's relation). */
  get consult(): ConsultRun | null {
    return this.owner.consultOf(this);
  }

  get uri(): string {
    return `${this.owner.callsUri}/${this.id}`;
  }

  get state(): AgentCallState {
    return agentCallState(this.actor.getSnapshot().value);
  }

  get callType(): CallType {
    return this.actor.getSnapshot().context.callType;
  }

  get role(): ConsultRole {
    return this.actor.getSnapshot().context.role;
  }

  get released(): boolean {
    return this.actor.getSnapshot().status !== 'active';
  }

  /**
   * Operations the chart accepts now: the call's capabilities. Released calls have none. The chart's guards
   * read only the call's role, its consult view and whether it rings the agent's phone (never an operation's
   * parameters), so the answer depends on (state, role, consult view, phone) alone and is computed once for each.
   */
  capabilities(): OperationName[] {
    return [...this.allowed()];
  }

  /** Whether the chart accepts this operation now: exactly when it is in the capabilities. */
  can(event: AgentCallEvent): boolean {
    return (this.allowed() as readonly string[]).includes(event.type);
  }

  /** The capabilities, shared (never handed out: `capabilities()` copies them). */
  private allowed(): readonly OperationName[] {
    const snapshot = this.actor.getSnapshot();
    if (snapshot.status !== 'active') return NONE;
    const { role, consult, phone } = snapshot.context;
    const view = consult ? `${+consult.targetAnswered}${+consult.talking}${+consult.conference}` : '-';
    const key = `${agentCallState(snapshot.value)}|${role}|${view}|${+phone}`;
    let capabilities = CAPABILITIES.get(key);
    if (!capabilities) {
      capabilities = OPERATIONS.filter((name) => snapshot.can({ type: name } as AgentCallEvent));
      CAPABILITIES.set(key, capabilities);
    }
    return capabilities;
  }

  /**
   * Send an event to the chart, then carry out the effects it emitted, in order, once the chart has settled
   * (so the call's own state change comes before what the effects cause elsewhere).
   */
  send(event: AgentCallEvent): void {
    if (this.released) return;
    this.actor.send(event);
    let effect: AgentCallCommand | undefined;
    while ((effect = this.effects.shift())) this.owner.carryOut(this, effect);
  }

  /** The agent's phone answered (a SIP phone mapped to the DN): the chart answers the call if it rings. */
  phoneAnswered(): void {
    this.send({ type: 'PHONE.ANSWERED' });
  }

  /** Whether the agent answers this call on the phone the network rings for it (not from the desk). */
  get answersOnPhone(): boolean {
    return this.actor.getSnapshot().context.phone;
  }

  /** The agent's phone hung up: the agent's Hangup, if offered now. */
  phoneOperation(op: 'Hangup'): void {
    if (this.can({ type: op })) this.send({ type: op });
  }

  /** The leg this call views changed state. */
  legState(state: State): void {
    if (state === State.ANSWERED) this.send({ type: 'LEG.CONNECTED' });
    else if (state === State.ON_HOLD) this.send({ type: 'LEG.HELD' });
    else if (state === State.IDLE) this.release();
    else if (state === State.ERROR) this.send({ type: 'LEG.FAILED' });
  }

  /** The call is over for this agent (its leg ended, or the agent left it): its relations go with it. */
  release(): void {
    this.send({ type: 'RELEASE' });
  }

  /**
   * What the call's consult looks like changed (sent only when it differs from what the chart has). Nothing is
   * sent before the call has its consult role (the consult waits for the caller's hold before it dials and sets
   * it): the chart would ignore it, and it starts from nothing answered, not talking, when the role comes.
   */
  consultChanged(view: ConsultView): void {
    const sent = this.consultSent;
    if (
      !sent ||
      (sent.targetAnswered === view.targetAnswered &&
        sent.talking === view.talking &&
        sent.conference === view.conference)
    )
      return;
    this.consultSent = view;
    this.send({ type: 'CONSULT', ...view });
  }

  setRole(role: ConsultRole, callType: CallType, parentCallUri?: string): void {
    // The chart starts a pair's view as nothing answered, not talking (and keeps it on a change of role).
    this.consultSent = role === 'none' ? null : role === 'conference' ? NO_CONSULT : (this.consultSent ?? NO_CONSULT);
    this.parentCallUri = parentCallUri;
    this.send({ type: 'ROLE', role, callType });
  }

  /** The call object as the desk sees it now. */
  view(): AgentCallObject {
    const snapshot = this.actor.getSnapshot();
    const state = this.state;
    const call: AgentCallObject = {
      id: this.id,
      state,
      callUuid: this.id,
      connId: this.connId,
      deviceUri: this.owner.deviceUri,
      participants: this.participantNumbers().map(participant),
      dnis: this.dnis,
      callType: snapshot.context.callType,
      capabilities: this.capabilities(),
      duration: String(Math.max(0, Math.floor((this.owner.now() - this.createdAt) / 1000))),
      mute: 'Off',
      supervisorListeningIn: false,
      monitoredUserMuted: false,
      uri: this.uri,
      path: `/calls/${this.id}`,
      userData: { ...snapshot.context.userData },
    };
    if (this.parentCallUri !== undefined) {
      // Keep Genesys's field order: parentCallUri comes right after capabilities.
      const { duration, mute, supervisorListeningIn, monitoredUserMuted, uri, path, userData, ...head } = call;
      Object.assign(head, {
        parentCallUri: this.parentCallUri,
        duration,
        mute,
        supervisorListeningIn,
        monitoredUserMuted,
      });
      return Object.assign(head, state === 'Released' ? { monitoring: false } : {}, {
        uri,
        path,
        userData,
      }) as AgentCallObject;
    }
    if (state === 'Released') {
      const { uri, path, userData, ...head } = call;
      return { ...head, monitoring: false, uri, path, userData };
    }
    return call;
  }

  /**
   * The call's other parties: the far party; for the conference call, the caller, the agent and the target
   * (in the order they were connected).
   */
  participantNumbers(): string[] {
    const target = this.consult?.target;
    if (this.role === 'conference' && target) return [this.party, this.owner.phoneNumber, target.to];
    return [this.party];
  }

  /** Notify the desk when what it can see has changed (never twice for the same view). */
  private changed(): void {
    const snapshot = this.actor.getSnapshot();
    const state = agentCallState(snapshot.value);
    const { callType } = snapshot.context;
    const capabilities = this.allowed();
    const seen = this.seen;
    if (
      seen &&
      seen.state === state &&
      seen.callType === callType &&
      seen.parentCallUri === this.parentCallUri &&
      sameList(seen.capabilities, capabilities)
    )
      return;
    this.seen = { state, callType, parentCallUri: this.parentCallUri, capabilities };
    this.owner.notify(this, 'StatusChange');
    if (snapshot.status !== 'active') this.owner.released(this);
  }
}

/** Same operations in the same order (capability lists are shared per state and role: usually the same array). */
function sameList(a: readonly OperationName[], b: readonly OperationName[]): boolean {
  return a === b || (a.length === b.length && a.every((name, i) => name === b[i]));
}
