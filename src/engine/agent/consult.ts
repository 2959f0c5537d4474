/**
 * A running consult (two-step) or single-step transfer on an agent's desk: the root actor of the
 * consult-transfer statechart, wired to the caller's leg and agent call (C1) and to the consult leg and
 * agent call it dials (C2). It carries out the chart's commands, in the order the chart emits them, and
 * gives the legs the retrievable transfer's media once the agent has left (docs/consult-transfer.md):
 * while the caller waits for the target, ringback (or the target's early media); once both are up, the
 * caller and the target connected; nothing of ours while the agent consults (the caller is on hold).
 */
import { createActor, type Actor, type Snapshot } from 'xstate';
import { consultTransferMachine } from '../../../machines/consultTransfer';
import { State, type ClearedBy, type EndCause } from '../../../machines/vocabulary';
import type { TransferEndedInfo } from '../events';
import { recordTimers } from '../actorTimers';
import type { ActorOptions, Leg, LegTransfer } from '../leg';
import type { ConsultCommand } from '../../../machines/agentCall';
import type { AgentCall } from './call';
import type { AgentDevice } from './device';
import { isInternalNumber } from './notifications';
import type { MachineName } from '../inspection';
import type { MediaCommands } from '../transfer';
import type { ConsultSide } from '../relations';

/** What a consult run needs from the engine and the agent's device. */
export interface ConsultHost extends MediaCommands {
  /** Open the consult leg (outbound, parent = the caller's leg) and its agent call unless `blind`. */
  openConsultLeg(
    device: AgentDevice,
    parent: Leg,
    destination: string,
    consultOf: AgentCall | null,
  ): { leg: Leg; call: AgentCall | null };
  transferCompleted(parent: Leg, target: Leg): void;
  transferFinished(run: LegTransfer, ended: TransferEndedInfo): void;
  /** Whom the agent talks to through the phone the network rings for the caller's call (agentPhone.ts). */
  agentTalksTo(parent: Leg, to: Leg | 'caller' | 'nobody'): void;
  /** The ringback the caller hears while the target rings: the network's default, else `RINGBACK`. */
  ringbackTone(): string;
  /** The consult's agent call on that side, and joining or leaving a consult (the registry's relations). */
  callIn(run: ConsultRun, side: ConsultSide): AgentCall | null;
  joinConsult(call: AgentCall, run: ConsultRun, side: ConsultSide): void;
  leaveConsult(call: AgentCall): void;
}

/** The consult chart's event for each command an agent call's chart gives its consult. */
const COMMANDS = {
  cancel: 'CANCEL',
  complete: 'COMPLETE',
  swap: 'SWAP',
  abandon: 'ABANDON',
  conference: 'CONFERENCE',
  leave: 'LEAVE',
  remove: 'REMOVE',
} as const;

/**
 * What a restarted node gives a consult it restores (durable.ts): its chart snapshot, target and media (its
 * agent calls are relations the restore sets by id).
 */
export interface ConsultRestore {
  snapshot: unknown;
  target: Leg | null;
}

export class ConsultRun implements LegTransfer {
  readonly actor: Actor<typeof consultTransferMachine>;
  target: Leg | null = null;
  /** Whether the target has joined the caller's call (a conference). */
  private conferenced = false;
  /** Whom the agent's phone talks to (a network that rings agents' phones: see syncPhone). */
  private phoneTalk: 'caller' | 'target' | 'nobody' = 'caller';
  constructor(
    /** Unique among this switchboard's consults (for inspection): `consult:N`. */
    readonly inspectedId: string,
    readonly device: AgentDevice,
    readonly parent: Leg,
    /** The caller's call on the desk (C1), if any: it joins the consult. */
    parentCall: AgentCall | null,
    readonly destination: string,
    readonly blind: boolean,
    secondsTimeout: number | null,
    private readonly host: ConsultHost,
    actorOptions: ActorOptions,
    restore?: ConsultRestore,
    /** InitiateConference (with `blind`, SingleStepConference); a restored run's chart knows it already. */
    conference = false,
  ) {
    this.actor = createActor(consultTransferMachine, {
      ...actorOptions,
      input: { secondsTimeout, blind, conference },
      ...(restore ? { snapshot: restore.snapshot as Snapshot<unknown> } : {}),
    });
    if (restore) {
      this.target = restore.target;
      this.conferenced = this.actor.getSnapshot().matches({ conference: 'joined' });
    }
    recordTimers(this.actor, actorOptions.clock, 'consult', inspectedId);
    this.actor.subscribe(() => this.syncPhone());
    host.joinTransfer(parent, this);
    if (parentCall) host.joinConsult(parentCall, this, 'parent');
    this.actor.subscribe(() => this.syncCalls());
    this.actor.on('*', (command) => {
      const target = this.target;
      switch (command.type) {
        case 'holdParent':
          // Already held (a consult of a held call): nothing to wait for. Else the hold's outcome comes back
          // through legState (at once from a network that answers inside the command, or later).
          if (isHeld(parent)) this.actor.send({ type: 'PARENT.HELD' });
          else host.sendToLeg(parent, { type: 'HOLD' });
          break;
        case 'holdFailed':
          // The network refused the hold: no consult. The desk is told C1's state again (Established).
          if (this.parentCall) this.parentCall.owner.notify(this.parentCall, 'StatusChange');
          break;
        case 'retrieveParent':
          host.sendToLeg(parent, { type: 'UNHOLD' });
          break;
        case 'holdTarget':
          if (target) host.sendToLeg(target, { type: 'HOLD' });
          break;
        case 'retrieveTarget':
          if (target) host.sendToLeg(target, { type: 'UNHOLD' });
          break;
        case 'dialTarget': {
          this.parentCall?.setRole('parent', this.parentCall.callType);
          const opened = host.openConsultLeg(device, parent, destination, blind ? null : this.parentCall);
          this.target = opened.leg;
          if (opened.call) host.joinConsult(opened.call, this, 'consult');
          host.joinTransfer(opened.leg, this);
          host.sendToLeg(opened.leg, { type: 'DIAL', secondsTimeout: null });
          break;
        }
        case 'releaseConsultCall':
          this.leaveCall(this.consultCall);
          break;
        case 'conferenceJoined':
          this.conferenced = true;
          this.parentCall?.setRole('conference', this.parentCall.callType);
          if (this.parentCall) this.parentCall.owner.notify(this.parentCall, 'ParticipantsUpdated');
          break;
        case 'releaseAgentCalls': {
          const { parentCall, consultCall } = this;
          this.leaveCall(parentCall);
          this.leaveCall(consultCall);
          break;
        }
        case 'detachTarget': {
          if (target) host.leaveTransfer(target);
          const consultCall = this.consultCall;
          if (consultCall) {
            host.leaveConsult(consultCall);
            consultCall.setRole('none', isInternalNumber(destination) ? 'Internal' : 'Outbound', undefined);
          }
          break;
        }
        case 'ringback':
          if (command.playing) host.playTone(parent, host.ringbackTone());
          else host.stopTone(parent);
          break;
        case 'bridge':
          if (target) host.bridge(parent, target);
          break;
        case 'unbridge':
          if (target) host.unbridge(parent, target);
          break;
        case 'clearTarget':
          if (target) {
            host.leaveTransfer(target);
            host.sendToLeg(target, {
              type: 'CLEAR',
              cause: command.cause,
              by: command.by,
              errorMessage: command.errorMessage,
            });
          }
          break;
        case 'clearParent':
          host.leaveTransfer(parent);
          host.sendToLeg(parent, { type: 'CLEAR', cause: command.cause, by: command.by });
          break;
        case 'reportComplete':
          if (target && parent.endTime === undefined) host.transferCompleted(parent, target);
          break;
        case 'ended': {
          host.leaveTransfer(parent, this);
          if (target) host.leaveTransfer(target, this);
          if (command.parentUp && target && parent.endTime === undefined) host.transferCompleted(parent, target);
          const parentCall = this.parentCall;
          if (parentCall) {
            host.leaveConsult(parentCall);
            parentCall.setRole('none', parentCall.callType);
            // The target has left the conference: the caller's call goes on with its one participant.
            if (this.conferenced && !parentCall.released) parentCall.owner.notify(parentCall, 'ParticipantsUpdated');
          }
          // Every relation left to this consult (its consult call's) is cleared as it finishes.
          host.transferFinished(this, {
            kind: this.conference ? 'conference' : blind ? 'blind' : 'consult',
            parentCallId: parent.callId,
            targetCallId: target?.callId ?? null,
            transferCause: command.transferCause,
            targetCause: command.targetCause,
          });
          break;
        }
      }
    });
  }

  get inspectedMachine(): MachineName {
    return 'consult-transfer';
  }

  get registryId(): string {
    return this.inspectedId;
  }

  /** The caller's call on the desk (C1), while it is part of this consult (the registry's relation). */
  get parentCall(): AgentCall | null {
    return this.host.callIn(this, 'parent');
  }

  /** The consult call on the desk (C2), while it is part of this consult. */
  get consultCall(): AgentCall | null {
    return this.host.callIn(this, 'consult');
  }

  /** A conference (InitiateConference or SingleStepConference), as its chart was started. */
  get conference(): boolean {
    return this.actor.getSnapshot().context.conference;
  }

  inspectedCallIds(): string[] {
    return this.target ? [this.parent.callId, this.target.callId] : [this.parent.callId];
  }

  start(): void {
    this.actor.start();
    this.syncCalls();
  }

  get running(): boolean {
    return this.actor.getSnapshot().status === 'active';
  }

  /** The other call of the pair, seen from `call`. */
  otherOf(call: AgentCall): AgentCall | null {
    return call === this.parentCall ? this.consultCall : call === this.consultCall ? this.parentCall : null;
  }

  /** An operation on a call of the pair, as its agent-call chart decided it. */
  command(command: ConsultCommand): void {
    this.actor.send({ type: COMMANDS[command] });
  }

  /**
   * Tell the pair's calls what their charts need to know of the consult (has the target answered, which
   * call the agent talks to), after each step of the consult's chart; only what changed is sent.
   */
  private syncCalls(): void {
    const snapshot = this.actor.getSnapshot();
    if (!snapshot.matches('consulting')) return;
    const targetAnswered = snapshot.matches({ consulting: 'connected' });
    const active = snapshot.context.active;
    const { conference } = this;
    this.parentCall?.consultChanged({ targetAnswered, talking: active === 'parent', conference });
    this.consultCall?.consultChanged({ targetAnswered, talking: active === 'consult', conference });
  }

  legCleared(leg: Leg, cause: EndCause, by: ClearedBy, errorMessage?: string): void {
    if (leg === this.parent) this.actor.send({ type: 'PARENT.CLEARED', cause, by });
    else this.actor.send({ type: 'TARGET.CLEARED', cause, by, errorMessage });
  }

  /** The target rings, or sends early media: the chart decides what the caller hears (after completion). */
  targetProgress(): void {
    if (this.target) this.actor.send({ type: 'TARGET.PROGRESS', earlyMedia: this.target.earlyMedia });
  }

  /** The caller's hold took (ON_HOLD) or was refused (ANSWERED again) while the consult waits for it. */
  legState(leg: Leg, state: State): void {
    if (leg !== this.parent || !this.actor.getSnapshot().matches({ consulting: 'holding' })) return;
    if (state === State.ON_HOLD) this.actor.send({ type: 'PARENT.HELD' });
    else if (state === State.ANSWERED) this.actor.send({ type: 'PARENT.HOLD_FAILED' });
  }

  targetAnswered(): void {
    this.actor.send({ type: 'TARGET.ANSWERED' });
  }

  /**
   * Whom the agent hears through its phone, as the chart's state says: the target while the agent consults it
   * once it has answered; nobody in a joined conference (no mixer: the caller and the target are connected to
   * each other); else the caller (held or not). Once the agent has left (completed) the phone is gone.
   */
  private syncPhone(): void {
    const snapshot = this.actor.getSnapshot();
    if (snapshot.matches('completed')) {
      this.phoneTalk = 'caller';
      return;
    }
    const talksToTarget = snapshot.matches({ consulting: 'connected' }) && snapshot.context.active === 'consult';
    const want = talksToTarget ? 'target' : snapshot.matches({ conference: 'joined' }) ? 'nobody' : 'caller';
    if (want === this.phoneTalk || !this.target) return;
    this.phoneTalk = want;
    this.host.agentTalksTo(this.parent, want === 'target' ? this.target : want);
  }

  /** The agent leaves a call of the pair: Released on the desk, while its leg goes on. */
  private leaveCall(call: AgentCall | null): void {
    if (!call) return;
    this.host.leaveConsult(call);
    call.release();
  }
}

/** On hold, with no unhold under way (a HOLD would change nothing). */
function isHeld(leg: Leg): boolean {
  return leg.state === State.ON_HOLD && !leg.actor.getSnapshot().context.unholdPending;
}
