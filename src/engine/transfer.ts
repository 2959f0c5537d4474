/**
 * A running retrievable transfer: the root actor of the retrievable-transfer statechart, wired to its two
 * legs. While it runs, the engine hands it every end of A or B; it carries out the chart's commands on the
 * legs in the order the chart emits them, and reports the end to the supervisor.
 */
import { createActor, type Actor, type Snapshot } from 'xstate';
import type { ChannelEvent } from '../../machines/channel';
import { retrievableTransferMachine } from '../../machines/retrievableTransfer';
import type { ClearedBy, EndCause } from '../../machines/vocabulary';
import type { TransferEndedInfo } from './events';
import { recordTimers } from './actorTimers';
import { newTransferId } from './ids';
import type { ActorOptions, Leg, LegCommands, LegTransfer } from './leg';
import type { TonePlayer } from './tonePlayer';
import type { MachineName } from './inspection';

export type TransferActor = Actor<typeof retrievableTransferMachine>;

/** Media commands to the network, as transfers issue them (the engine runs them as network commands). */
export interface MediaCommands extends LegCommands {
  playTone(leg: Leg, tone: string): void;
  stopTone(leg: Leg): void;
  bridge(a: Leg, b: Leg): void;
  unbridge(a: Leg, b: Leg): void;
}

/** What a transfer run needs from the engine. */
export interface TransferHost extends MediaCommands {
  dialTarget(target: Leg): void;
  /** The transfer ended while A is up: send transferComplete. */
  transferCompleted(parent: Leg, target: Leg): void;
  transferFinished(run: LegTransfer, ended: TransferEndedInfo): void;
}

/**
 * What a restarted node gives a transfer it restores (durable.ts): its id and chart snapshot (which says what
 * A hears: our ringback, B's early media, B).
 */
export interface TransferRestore {
  id: string;
  snapshot: unknown;
}

export class TransferRun implements LegTransfer {
  /** The transfer's registry key (its timers are addressed by it). */
  readonly id: string;
  /** Its id in the engine's relations and its store key: `transfer:<id>`. */
  readonly registryId: string;
  readonly actor: TransferActor;
  private readonly host: TransferHost;

  constructor(
    readonly parent: Leg,
    readonly target: Leg,
    secondsTimeout: number | null,
    readonly ringback: { player: TonePlayer; tone: string },
    host: TransferHost,
    actorOptions: ActorOptions,
    restore?: TransferRestore,
  ) {
    this.host = host;
    this.id = restore?.id ?? newTransferId();
    this.registryId = `transfer:${this.id}`;
    this.actor = createActor(retrievableTransferMachine, {
      ...actorOptions,
      input: { secondsTimeout },
      ...(restore ? { snapshot: restore.snapshot as Snapshot<unknown> } : {}),
    });
    recordTimers(this.actor, actorOptions.clock, 'transfer', this.id);
    host.joinTransfer(parent, this);
    host.joinTransfer(target, this);
    const a = (event: ChannelEvent) => host.sendToLeg(parent, event);
    const b = (event: ChannelEvent) => host.sendToLeg(target, event);
    this.actor.on('*', (command) => {
      switch (command.type) {
        case 'dialTarget':
          host.dialTarget(target);
          break;
        case 'ringback':
          ringback.player.playing = command.playing ? ringback.tone : null;
          if (command.playing) host.playTone(parent, ringback.tone);
          else host.stopTone(parent);
          break;
        case 'bridge':
          host.bridge(parent, target);
          break;
        case 'unbridge':
          host.unbridge(parent, target);
          break;
        case 'parentTransferred':
          a({ type: 'TRANSFER.CONNECTED' });
          break;
        case 'parentFailed':
          a({ type: 'TRANSFER.FAILED', transferCause: command.transferCause });
          break;
        case 'reconnectParent':
          a({ type: 'TRANSFER.RECONNECT', transferCause: command.transferCause });
          break;
        case 'clearTarget':
          host.leaveTransfer(target);
          b({ type: 'CLEAR', cause: command.cause, by: command.by, errorMessage: command.errorMessage });
          break;
        case 'clearParent':
          host.leaveTransfer(parent);
          a({ type: 'CLEAR', cause: command.cause, by: command.by, transferCause: command.transferCause });
          break;
        case 'ended':
          host.leaveTransfer(parent);
          host.leaveTransfer(target);
          // transferComplete only while A is really still up.
          if (command.parentUp && parent.endTime === undefined) host.transferCompleted(parent, target);
          host.transferFinished(this, {
            kind: 'retrievable',
            parentCallId: parent.callId,
            targetCallId: target.callId,
            transferCause: command.transferCause,
            targetCause: command.targetCause,
          });
          break;
      }
    });
  }

  /** Whether the chart still decides (false once it has reached its end). */
  get running(): boolean {
    return this.actor.getSnapshot().status === 'active';
  }

  get inspectedMachine(): MachineName {
    return 'retrievable-transfer';
  }

  get inspectedId(): string {
    return `transfer:${this.parent.callId}:${this.target.callId}`;
  }

  inspectedCallIds(): string[] {
    return [this.parent.callId, this.target.callId];
  }

  start(): void {
    this.host.sendToLeg(this.parent, { type: 'TRANSFER.START' });
    this.actor.start();
  }

  /** A leg of this transfer ended (either side); the chart decides what follows. */
  legCleared(leg: Leg, cause: EndCause, by: ClearedBy, errorMessage?: string): void {
    if (leg === this.parent) this.actor.send({ type: 'PARENT.CLEARED', cause, by });
    else this.actor.send({ type: 'TARGET.CLEARED', cause, by, errorMessage });
  }

  /**
   * B rings, or (already ringing) sends early media: the chart decides what A hears (our ringback, or B's early
   * media), from whether B has sent media of its own.
   */
  targetProgress(): void {
    this.actor.send({ type: 'TARGET.PROGRESS', earlyMedia: this.target.earlyMedia });
  }

  targetAnswered(): void {
    this.actor.send({ type: 'TARGET.ANSWERED' });
  }

  legState(): void {}

  retrieve(): void {
    this.actor.send({ type: 'RETRIEVE' });
  }
}
