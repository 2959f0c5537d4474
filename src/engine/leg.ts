/**
 * A leg: one call leg's facts (ids, parties, times, how it ended) and the root actor running its channel
 * statechart. The engine keeps live legs in its registry; a leg leaves the registry, and its actor stops,
 * the moment it goes IDLE.
 */
import { createActor, type Actor, type InspectionEvent, type Observer, type Snapshot, type StateValue } from 'xstate';
import { channelMachine, channelState, type ChannelEvent } from '../../machines/channel';
import { State, type Direction, type EndCause } from '../../machines/vocabulary';
import type { LegFacts } from './callbacks';
import type { EngineClock } from './clock';
import { recordTimers } from './actorTimers';
import type { ConfirmedCommand, Destination } from './network';
import type { CallbackUrls } from './events';
import type { ClearedBy } from '../../machines/vocabulary';
import type { Inspectable, MachineName } from './inspection';

export type LegActor = Actor<typeof channelMachine>;

/** A running transfer a leg belongs to (retrievable or consult): the engine routes the leg's ends to it. */
export interface LegTransfer extends Inspectable {
  /** Its id in the engine's registry and in the store: `transfer:<id>` or `consult:<n>`. */
  readonly registryId: string;
  readonly parent: Leg;
  readonly target: Leg | null;
  /** Whether the transfer's chart still decides (false once it has reached its end). */
  readonly running: boolean;
  legCleared(leg: Leg, cause: EndCause, by: ClearedBy, errorMessage?: string): void;
  targetProgress(): void;
  targetAnswered(): void;
  /** A leg of this transfer entered `state` (reported after the leg's agent call has seen it). */
  legState(leg: Leg, state: State): void;
}

/**
 * The one path into a leg's statechart for everything that is not the engine itself (transfers, consults, the
 * agent desk): the engine owns it, so every command to a leg passes through one place.
 */
export interface LegCommands {
  sendToLeg(leg: Leg, event: ChannelEvent): void;
  /** `leg` belongs to `run` from now on (the registry's relation: relations.ts). */
  joinTransfer(leg: Leg, run: LegTransfer): void;
  /** `leg` belongs to no transfer any more; with `only`, just if it belonged to that one. */
  leaveTransfer(leg: Leg, only?: LegTransfer): void;
}

/** Options every root actor of the engine is created with. */
export interface ActorOptions {
  clock: EngineClock;
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

export interface LegSpec {
  callId: string;
  direction: Direction;
  from: string;
  to: string;
  tag?: string;
  /** Where an outbound leg goes. */
  destination?: Destination;
  /** For a transfer's target leg: the parent leg. */
  parent?: Leg;
  startTime: number;
  /** A persisted snapshot of the leg's actor, when the leg is restored after a restart (durable.ts). */
  snapshot?: unknown;
}

export class Leg implements LegFacts, Inspectable {
  readonly callId: string;
  readonly direction: Direction;
  readonly from: string;
  readonly to: string;
  readonly tag?: string;
  readonly destination?: Destination;
  readonly parent?: Leg;
  readonly startTime: number;
  answerTime?: number;
  endTime?: number;
  endCause?: EndCause;
  errorMessage?: string;
  errorId?: string;
  readonly actor: LegActor;
  /** Callback URLs this leg's transfer asked for (they override the application's). */
  callbackUrls?: CallbackUrls;
  /** The last state reported to the supervisor. */
  lastState: State = State.IDLE;
  /** The far end sends early media while it rings (SIP 183 with SDP). */
  earlyMedia = false;
  /** The far end has put this leg on hold (a far-end re-INVITE). */
  remoteHeld = false;
  /** Commands sent to the network for this leg whose confirmation has not come back (at most one per kind). */
  readonly outstanding = new Set<ConfirmedCommand>();

  constructor(spec: LegSpec, options: ActorOptions) {
    this.callId = spec.callId;
    this.direction = spec.direction;
    this.from = spec.from;
    this.to = spec.to;
    if (spec.tag !== undefined) this.tag = spec.tag;
    if (spec.destination !== undefined) this.destination = spec.destination;
    if (spec.parent !== undefined) this.parent = spec.parent;
    this.startTime = spec.startTime;
    this.actor = createActor(channelMachine, {
      ...options,
      input: { direction: spec.direction, callId: spec.callId, transferTarget: spec.parent !== undefined },
      id: spec.callId,
      ...(spec.snapshot === undefined ? {} : { snapshot: spec.snapshot as Snapshot<unknown> }),
    });
    recordTimers(this.actor, options.clock, 'leg', spec.callId);
  }

  /** The leg's channel state now (Aculab `State`). */
  get state(): State {
    return channelState(this.actor.getSnapshot().value);
  }

  get parentCallId(): string | undefined {
    return this.parent?.callId;
  }

  get inspectedMachine(): MachineName {
    return 'channel';
  }

  get inspectedId(): string {
    return this.callId;
  }

  inspectedValue(value: StateValue): State {
    return channelState(value);
  }

  inspectedCallIds(): string[] {
    return [this.callId];
  }
}
