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

/** What a restarted node gives a transfer it restores (durable.ts): its id, chart snapshot and media. */
export interface TransferRestore {
  id: string;
  snapshot: unknown;
  toneOn: boolean;
  bridged: boolean;
  ringing: boolean;
}

export class TransferRun implements LegTransfer {
  /** The transfer's registry key (its timers are addressed by it). */
  readonly id: string;
  /** Its id in the engine's relations and its store key: `transfer:<id>`. */
  readonly registryId: string;
  readonly actor: TransferActor;
  private readonly host: TransferHost;
  /** Whether our ringback tone is playing to A (B rings without early media). */
  toneOn = false;
  /**
   * Whether A's and B's media are connected: from B's answer (parentTransferred), or already while B rings
   * when B sends early media (A hears it instead of our ringback), until B or A is cleared.
   */
  bridged = false;
  /** Connects A's and B's media (once). */
  private bridgeMedia: (() => void) | null = null;

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
    const bridge = () => {
      if (this.bridged) return;
      this.bridged = true;
      host.bridge(parent, target);
    };
    const unbridge = () => {
      if (!this.bridged) return;
      this.bridged = false;
      host.unbridge(parent, target);
    };
    if (restore) {
      this.toneOn = restore.toneOn;
      this.bridged = restore.bridged;
      if (restore.ringing) this.bridgeMedia = bridge;
    }
    this.actor.on('*', (command) => {
      switch (command.type) {
        case 'dialTarget':
          host.dialTarget(target);
          break;
        case 'ringback':
          if (command.playing) this.ringbackOrEarlyMedia(bridge);
          else this.stopRingback();
          break;
        case 'parentTransferred':
          bridge();
          a({ type: 'TRANSFER.CONNECTED' });
          break;
        case 'parentFailed':
          a({ type: 'TRANSFER.FAILED', transferCause: command.transferCause });
          break;
        case 'reconnectParent':
          a({ type: 'TRANSFER.RECONNECT', transferCause: command.transferCause });
          break;
        case 'clearTarget':
          unbridge();
          host.leaveTransfer(target);
          b({ type: 'CLEAR', cause: command.cause, by: command.by, errorMessage: command.errorMessage });
          break;
        case 'clearParent':
          unbridge();
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

  /** Whether B rings and A's media follow it (ringback now, B's early media if it sends some later). */
  get ringing(): boolean {
    return this.bridgeMedia !== null;
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

  targetProgress(): void {
    this.actor.send({ type: 'TARGET.PROGRESS' });
    // B rang without media, and now sends early media (180, then 183 with SDP): A hears B's instead.
    if (this.toneOn && this.target.earlyMedia && this.bridgeMedia) {
      this.stopRingback();
      this.bridgeMedia();
    }
  }

  /** B rings: A hears B's early media if B sends any (the network bridges it), else our ringback tone. */
  private ringbackOrEarlyMedia(bridge: () => void): void {
    this.bridgeMedia = bridge;
    if (this.target.earlyMedia) {
      bridge();
      return;
    }
    this.toneOn = true;
    this.ringback.player.playing = this.ringback.tone;
    this.host.playTone(this.parent, this.ringback.tone);
  }

  private stopRingback(): void {
    if (!this.toneOn) return;
    this.toneOn = false;
    this.ringback.player.playing = null;
    this.host.stopTone(this.parent);
  }

  targetAnswered(): void {
    this.actor.send({ type: 'TARGET.ANSWERED' });
  }

  legState(): void {}

  retrieve(): void {
    this.actor.send({ type: 'RETRIEVE' });
  }
}
