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
  type: 'dial' | 'ring' | 'answer' | 'hold' | 'unhold' | 'reconnect' | 'release';
  callId: string;
  to?: string;
}

export class ManualNetwork implements Network {
  readonly commands: NetworkCommand[] = [];
  private engine: NetworkIndications | null = null;

  attach(engine: NetworkIndications, _clock: EngineClock): void {
    this.engine = engine;
  }

  /** The engine's side, to deliver indications with. */
  get indications(): NetworkIndications {
    if (!this.engine) throw new Error('not attached');
    return this.engine;
  }

  offer(from: string, to: string): Channel {
    return this.indications.offer({ from, to });
  }

  dial(callId: string, destination: Destination): void {
    this.commands.push({ type: 'dial', callId, to: destination.to });
  }
  ring(callId: string): void {
    this.commands.push({ type: 'ring', callId });
  }
  answer(callId: string): void {
    this.commands.push({ type: 'answer', callId });
  }
  hold(callId: string): void {
    this.commands.push({ type: 'hold', callId });
  }
  unhold(callId: string): void {
    this.commands.push({ type: 'unhold', callId });
  }
  reconnect(callId: string): void {
    this.commands.push({ type: 'reconnect', callId });
  }
  release(callId: string, _cause: EndCause, _by: 'local' | 'remote'): void {
    this.commands.push({ type: 'release', callId });
  }
}
