/**
 * The network port: what the engine asks of a signalling network, and what a network tells the engine.
 * The simulated network (`src/network/simulated.ts`) is the embedded default; a SIP adapter implements the
 * same two interfaces. Every method is synchronous and may answer at once (re-entrantly) or later.
 */
import type { EndCause } from '../../machines/vocabulary';
import type { Channel } from './channel';
import type { EngineClock } from './clock';

/** Where an outgoing leg goes: a number/address, or the name of an inbound service. */
export interface Destination {
  kind: 'address' | 'service';
  to: string;
}

/** Commands from the engine. */
export interface Network {
  /** Connects the network to an engine; called once by `createSwitchboard`. */
  attach(engine: NetworkIndications, clock: EngineClock): void;
  /** Start an outgoing leg; answer with progress / connected / cleared. */
  dial(callId: string, destination: Destination, from: string): void;
  /** Signal ringing on an incoming leg. */
  ring(callId: string): void;
  /** Answer an incoming leg; answer with `connected`. */
  answer(callId: string): void;
  /** Put a leg on hold; answer with `held`. */
  hold(callId: string): void;
  unhold(callId: string): void;
  /** Reconnect a retrieved leg's media; answer with `connected`. */
  reconnect(callId: string): void;
  /** The leg has ended (cleared `by` this side or the far end): release it and forget it. */
  release(callId: string, cause: EndCause, by: 'local' | 'remote'): void;
}

/** Indications from the network. Indications for a leg that has already ended are ignored. */
export interface NetworkIndications {
  /** An inbound call arrives for the application; returns the application's channel for it (CALL_INCOMING). */
  offer(call: { from: string; to: string }): Channel;
  progress(callId: string): void;
  connected(callId: string): void;
  held(callId: string): void;
  /** The far end ended the leg with a definite cause (busy, rejected, unobtainable…). */
  cleared(callId: string, cause: EndCause, errorMessage?: string): void;
  /** The far end hung up (the engine derives the cause: `hangup`, or `cancel` before answer). */
  hungUp(callId: string): void;
  /** A signalling failure on the leg (it goes to ERROR; the application must hang up). */
  failed(callId: string, message: string): void;
}
