/**
 * The network port: what the engine asks of a signalling network (`Network`, commands), and what a network
 * tells the engine (`NetworkIndications`). The simulated network (`src/network/simulated.ts`) is the
 * embedded default; a SIP adapter implements the same two interfaces. The port knows call ids, addresses,
 * causes and tones, nothing of the application's API (no `Channel`).
 *
 * The contract:
 * - Commands return nothing; their outcome comes back later as an indication that says what it answers:
 *   `dial` → `progress`* then `answered` (or `cleared` / `failed`); `answer` → `accepted` (our answer took:
 *   SIP's ACK); `reconnect` → `reconnected`; `hold` → `holdResult`; `unhold` → `unholdResult`. A leg has at
 *   most one command of each kind outstanding (the engine never sends a second before the first is
 *   confirmed), so the call id and the indication's name are the correlation: no command ids. A
 *   confirmation with no command of its kind outstanding (repeated, stale) is ignored.
 * - Hold and unhold are never outstanding together from the engine's side: an unhold asked for while the
 *   hold is unconfirmed is sent once the hold has taken, and a hold while the unhold is unconfirmed once the
 *   unhold has (one re-INVITE at a time).
 * - A network may answer at once, from inside the command (re-entrantly), or later. Indications for one leg
 *   are taken in the order they are sent.
 * - A command that throws does not escape the engine: the engine catches it and fails that leg in the same
 *   turn (as `failed(callId, …)`): a leg goes to ERROR, or a transfer's leg ends with cause `error` and its
 *   terminal callback. The exception is reported on the switchboard's `networkError` event.
 * - `release(callId)` is the last command for a leg, sent while the engine still knows the leg (so an
 *   indication sent from inside it is taken and ignored). From then on the network owns the call's clean-up:
 *   a 200 that crosses our CANCEL is ACKed and BYEd. An `answered`, `accepted` or `reconnected` that still
 *   arrives for a call id the engine no longer knows is answered with another `release(callId, 'cancel',
 *   'local')`, so an adapter that forgot the call can still end it. Other indications for it are ignored.
 * - A failed hold or unhold (`{ ok: false, status }`, e.g. 491 after the adapter's own glare retries) leaves
 *   the dialog up: the leg goes back to ANSWERED (hold) or stays ON_HOLD (unhold); both are reported on
 *   the switchboard's `networkError` event.
 * - Media: `playTone` / `stopTone` play a tone to one leg (ringback to the transferred caller while the target
 *   rings); `bridge(a, b)` connects two legs' media (the caller and the answered target), `unbridge` undoes
 *   it (retrieval), before `reconnect` asks to reconnect the caller to our own media.
 */
import type { EndCause } from '../../machines/vocabulary';
import type { EngineClock } from './clock';

/** Where an outgoing leg goes: a number/address, the name of an inbound service, or a conference room's name. */
export interface Destination {
  kind: 'address' | 'service' | 'room';
  to: string;
  /**
   * An agent's own call (Dial on the desk; `from` is the agent's DN): a network that rings agents' phones calls
   * the agent's phone first, then the destination once the phone has answered (click-to-dial).
   */
  byAgent?: boolean;
}

/** The commands whose outcome comes back as an indication; a leg has at most one of each kind outstanding. */
export type ConfirmedCommand = 'dial' | 'answer' | 'reconnect' | 'hold' | 'unhold';

/** How a re-INVITE-like command (hold, unhold) turned out. A failure leaves the dialog up. */
export type CommandResult = { ok: true } | { ok: false; status: number; reason?: string };

/** Whom an agent's phone talks to (`agentTalksTo`): another leg, the call's own far end, or nobody. */
export type AgentTalk = { leg: string } | 'caller' | 'nobody';

/** A SIP leg's signalling, as the inspector shows it (`LiveCall.sip`). */
export interface SipLegFacts {
  /** The dialog's Call-ID. */
  callId: string;
  /** The far end: the caller's From URI (inbound), or the Request-URI we sent the INVITE to (outbound). */
  remoteUri: string;
  /** The far end's address and port: where the INVITE came from, or the host of the URI we sent it to. */
  remoteAddress: string;
  transport: 'UDP' | 'TCP';
}

/** Commands from the engine. Each returns nothing; what follows comes back as an indication. */
export interface Network {
  /** Connects the network to an engine; called once by `createSwitchboard`. */
  attach(engine: NetworkIndications, clock: EngineClock): void;
  /** Start an outgoing leg; answer with `progress`* and `answered`, or `cleared` / `failed`. */
  dial(callId: string, destination: Destination, from: string): void;
  /** Signal ringing on an incoming leg (SIP 180); no answer is expected. */
  ring(callId: string): void;
  /** Answer an incoming leg (SIP 200); answer with `accepted` once the far end confirms (ACK). */
  answer(callId: string): void;
  /** Put a leg on hold; answer with `holdResult`. */
  hold(callId: string): void;
  /** Take a leg off hold; answer with `unholdResult`. */
  unhold(callId: string): void;
  /** Reconnect a retrieved leg to our media; answer with `reconnected`. */
  reconnect(callId: string): void;
  /** Connect the media of two live legs (the transferred caller `a` and the target `b`). */
  bridge(a: string, b: string): void;
  /** Undo `bridge(a, b)`. */
  unbridge(a: string, b: string): void;
  /** Play `tone` (e.g. `RINGBACK`) to a leg until `stopTone`. */
  playTone(callId: string, tone: string): void;
  /** Optional: the tones `playTone` plays; a transfer's `ringbackTone` outside them is refused up front. */
  readonly tones?: readonly string[];
  /** Optional: the ringback a transfer plays when it names no `ringbackTone` (default `RINGBACK`). */
  readonly ringbackTone?: string;
  stopTone(callId: string): void;
  /** The leg has ended (cleared `by` this side or the far end): release it; the last command for it. */
  release(callId: string, cause: EndCause, by: 'local' | 'remote'): void;
  /**
   * Optional: the agent has left a call that goes on (its agent call is Released while the leg lives: a completed
   * or single-step transfer). A network that rings agents' phones ends the phone's side of the call.
   */
  agentLeft?(callId: string): void;
  /**
   * Optional: whom the agent of the call on leg `callId` talks to through the phone the network rings for it (a
   * call to an agent's DN): another leg (the consult target), the call's own far end again, or nobody. Media only:
   * no indication follows.
   */
  agentTalksTo?(callId: string, to: AgentTalk): void;
  /** Optional: a live leg's SIP facts, for the inspector (a SIP network). */
  sipFacts?(callId: string): SipLegFacts | undefined;
  /** Optional: free the network's resources (sockets) once the switchboard has ended every leg (`sb.close()`). */
  close?(): Promise<void>;
  /**
   * Optional, for a durable switchboard (docs/durability.md): the network's own data for a live leg (JSON: the
   * simulated far end's script, a SIP dialog's identifiers), stored with the leg's record in the same per-turn
   * write; undefined when it has none. Read whenever the leg's record is written.
   */
  persistLeg?(callId: string): unknown;
  /**
   * Optional, with `persistLeg`: the restored legs' data (`data` undefined where none was stored), once every
   * restored actor runs, after a restart (`restart`) or when this node takes another's calls over (`takeover`).
   * The network resumes what it can and ends the rest itself: each leg it cannot continue gets its far end
   * ended (SIP: BYE or CANCEL) and a `cleared` indication, on a later macrotask, never from inside this call.
   * Returns the number of timers it re-armed. A network without it cannot carry restored or adopted calls.
   */
  restoreLegs?(legs: readonly RestoredLeg[], how: 'restart' | 'takeover'): number;
  /** Optional: the network's settings as data (the simulated far ends), stored when `onConfigChange` is told. */
  persistConfig?(): unknown;
  /** Optional: give back the settings a previous process of this node stored (before any call is restored). */
  restoreConfig?(config: unknown): void;
  /** Optional: set by a durable switchboard; the network calls it when its settings change. */
  onConfigChange?: (() => void) | null;
}

/** A restored leg, as `restoreLegs` gets it: its call id, state and what `persistLeg` returned for it. */
export interface RestoredLeg {
  callId: string;
  /** The leg's state when its record was last written (e.g. RING_OUTGOING, ANSWERED). */
  state: string;
  /** The call id of the leg it was dialled for (a transfer's target names its caller), or null. */
  parent: string | null;
  data: unknown;
}

/** Indications from the network. */
export interface NetworkIndications {
  /**
   * An inbound call arrives; the engine creates its leg (and hands the application its channel). Returns its call
   * id. `phone`: the network rings the agent's own phone for this call (to an agent's DN): the agent answers there.
   */
  offer(call: { from: string; to: string; phone?: boolean }): string;
  /** The far end is alerting an outgoing leg (SIP 18x); `earlyMedia` when it sends media of its own (183 with SDP). */
  progress(callId: string, info?: { earlyMedia?: boolean }): void;
  /** The far end answered our `dial` (SIP 200 to the INVITE). */
  answered(callId: string): void;
  /** Our `answer` took (SIP ACK). */
  accepted(callId: string): void;
  /** Our `reconnect` took. */
  reconnected(callId: string): void;
  holdResult(callId: string, result: CommandResult): void;
  unholdResult(callId: string, result: CommandResult): void;
  /**
   * Optional: a media change the network made on its own failed, the leg staying up (a SIP re-INVITE that connects
   * two far ends, or takes a leg back to our media, answered 488…): reported on the switchboard's `networkError`.
   */
  mediaFailed?(callId: string, command: string, failure: { status: number; reason?: string }): void;
  /** The far end put the leg on hold / took it off hold (a far-end re-INVITE, already answered by the network). */
  remoteHold(callId: string): void;
  remoteUnhold(callId: string): void;
  /** The far end ended the leg with a definite cause (busy, rejected, unobtainable…). */
  cleared(callId: string, cause: EndCause, errorMessage?: string): void;
  /** The far end hung up (the engine derives the cause: `hangup`, or `cancel` before answer). */
  hungUp(callId: string): void;
  /** A signalling failure on the leg (it goes to ERROR; the application must hang up). */
  failed(callId: string, message: string): void;
  /**
   * The agent's own phone answered this inbound call for an agent's DN (a network that rings agents' phones):
   * as if the agent had posted Answer. Ignored unless the agent call is Ringing.
   */
  agentAnswered(callId: string): void;
  /** The agent's phone hung up this call: as if the agent had posted Hangup (ignored where Hangup is not offered). */
  agentHungUp(callId: string): void;
  /**
   * Optional: the network's own data for a live leg changed with no other indication (a SIP re-INVITE moved the
   * dialog's CSeq): a durable switchboard writes the leg's record (`Network.persistLeg`) in this turn.
   */
  legChanged?(callId: string): void;
}
