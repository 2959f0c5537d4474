/**
 * A network for tests that drive every indication by hand: it records what the engine asks for (dial,
 * answer, hold…) and answers nothing by itself, so transient states (ANSWERING, HOLDING, RECONNECTING) can
 * be held and every transition of the statecharts taken one at a time against the real engine.
 */
import type { EndCause } from '../../machines/vocabulary';
import type { Channel } from '../../src/engine/channel';
import type { EngineClock } from '../../src/engine/clock';
import type { Destination, Network, NetworkIndications } from '../../src/engine/network';

export interface NetworkCommand {
  type:
    | 'dial'
    | 'ring'
    | 'answer'
    | 'hold'
    | 'unhold'
    | 'reconnect'
    | 'release'
    | 'bridge'
    | 'unbridge'
    | 'playTone'
    | 'stopTone';
  callId: string;
  to?: string;
}

export class ManualNetwork implements Network {
  readonly commands: NetworkCommand[] = [];
  private engine: NetworkIndications | null = null;
  private channelOf: ((callId: string) => Channel | undefined) | null = null;
  /** Commands that throw instead of being recorded (to test the engine's handling of a failing network). */
  readonly throwOn = new Set<NetworkCommand['type']>();
  /** Legs whose unhold has been sent and not yet confirmed. */
  private readonly awaitingUnhold = new Set<string>();

  attach(engine: NetworkIndications, _clock: EngineClock): void {
    this.engine = engine;
  }

  /** The engine's side, to deliver indications with. */
  get indications(): NetworkIndications {
    if (!this.engine) throw new Error('not attached');
    return this.engine;
  }

  /** Give the network a way to find a leg's channel (tests pass `sb`'s engine lookup through `useChannels`). */
  useChannels(channelOf: (callId: string) => Channel | undefined): void {
    this.channelOf = channelOf;
  }

  /**
   * An inbound call; returns the channel the engine made for it (found through the first leg's events). `phone`:
   * this network rings the agent's own phone for it (as a SIP network does for a mapped agent DN).
   */
  offer(from: string, to: string, phone = false): Channel {
    const callId = this.indications.offer(phone ? { from, to, phone } : { from, to });
    const channel = this.channelOf?.(callId);
    if (!channel) throw new Error('ManualNetwork.offer(): call useChannels() first');
    return channel;
  }

  /**
   * Confirm the last `dial`, `answer` or `reconnect` sent for this leg, as a network would: `answered`,
   * `accepted` or `reconnected` (`accepted` when there was none: the engine ignores it where not awaited).
   */
  connected(callId: string): void {
    const last = [...this.commands]
      .reverse()
      .find((c) => c.callId === callId && ['dial', 'answer', 'reconnect'].includes(c.type));
    if (last?.type === 'dial') this.indications.answered(callId);
    else if (last?.type === 'reconnect') this.indications.reconnected(callId);
    else this.indications.accepted(callId);
  }

  /** Confirm a hold. */
  held(callId: string): void {
    this.indications.holdResult(callId, { ok: true });
  }

  /** Confirm an unhold. */
  unheld(callId: string): void {
    this.awaitingUnhold.delete(callId);
    this.indications.unholdResult(callId, { ok: true });
  }

  /** Confirm every unhold not yet confirmed (for tests where unholds take at once). */
  unheldAll(): void {
    for (const callId of [...this.awaitingUnhold]) this.unheld(callId);
  }

  private record(command: NetworkCommand): void {
    if (this.throwOn.has(command.type)) throw new Error(`${command.type} refused by the test network`);
    this.commands.push(command);
  }

  dial(callId: string, destination: Destination): void {
    this.record({ type: 'dial', callId, to: destination.to });
  }
  ring(callId: string): void {
    this.record({ type: 'ring', callId });
  }
  answer(callId: string): void {
    this.record({ type: 'answer', callId });
  }
  hold(callId: string): void {
    this.record({ type: 'hold', callId });
  }
  unhold(callId: string): void {
    this.record({ type: 'unhold', callId });
    this.awaitingUnhold.add(callId);
  }
  reconnect(callId: string): void {
    this.record({ type: 'reconnect', callId });
  }
  release(callId: string, _cause: EndCause, _by: 'local' | 'remote'): void {
    this.awaitingUnhold.delete(callId);
    this.record({ type: 'release', callId });
  }
  bridge(a: string, b: string): void {
    this.record({ type: 'bridge', callId: a, to: b });
  }
  unbridge(a: string, b: string): void {
    this.record({ type: 'unbridge', callId: a, to: b });
  }
  playTone(callId: string, tone: string): void {
    this.record({ type: 'playTone', callId, to: tone });
  }
  stopTone(callId: string): void {
    this.record({ type: 'stopTone', callId });
  }
}
