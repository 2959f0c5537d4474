/**
 * The switchboard's event map: every callback payload by event type, the catch-all `callback`, the Catapult
 * v1 `hangup`, and `incomingCall` for applications that wait for calls.
 */
import type {
  AnswerCallback,
  BandwidthCallback,
  CatapultHangupEvent,
  DisconnectCallback,
  InitiateCallback,
  TransferAnswerCallback,
  TransferCompleteCallback,
  TransferDisconnectCallback,
} from './callbacks';
import type { Channel } from './channel';
import type {
  ConferenceCallback,
  ConferenceCompletedCallback,
  ConferenceCreatedCallback,
  ConferenceMemberExitCallback,
  ConferenceMemberJoinCallback,
} from './conferenceCallbacks';
import type { EndCause, State, TransferCause } from '../../machines/vocabulary';

/** A transfer has ended (all its legs are settled): its kind, legs and TransferCause. */
export interface TransferEndedInfo {
  /** `conference`: an agent desk's conference (InitiateConference or SingleStepConference). */
  kind: 'retrievable' | 'consult' | 'blind' | 'conference';
  parentCallId: string;
  /** The target (consult) leg; null when the transfer ended before dialling one. */
  targetCallId: string | null;
  transferCause: TransferCause;
  /** How the target leg ended, or null if it is still up (a consult call that carries on). */
  targetCause: EndCause | null;
}

/** Where a callback should go, when the call (a transfer's options) says so; otherwise the application's URLs. */
export interface CallbackUrls {
  transferAnswerUrl?: string;
  transferCompleteUrl?: string;
  transferDisconnectUrl?: string;
}

export interface CallbackMeta {
  urls?: CallbackUrls;
}

export interface LegStateChange {
  callId: string;
  previous: State;
  state: State;
  /** Epoch ms on the engine's clock. */
  time: number;
}

export interface SwitchboardEvents {
  initiate: (payload: InitiateCallback) => void;
  answer: (payload: AnswerCallback) => void;
  disconnect: (payload: DisconnectCallback) => void;
  transferAnswer: (payload: TransferAnswerCallback) => void;
  transferComplete: (payload: TransferCompleteCallback) => void;
  transferDisconnect: (payload: TransferDisconnectCallback) => void;
  /** Every Bandwidth-format callback above, in emission order, with the URLs the call asked for (if any). */
  callback: (payload: BandwidthCallback, meta: CallbackMeta) => void;
  conferenceCreated: (payload: ConferenceCreatedCallback) => void;
  conferenceMemberJoin: (payload: ConferenceMemberJoinCallback) => void;
  conferenceMemberExit: (payload: ConferenceMemberExitCallback) => void;
  conferenceCompleted: (payload: ConferenceCompletedCallback) => void;
  /** Every conference callback above, in emission order (the call callbacks' stream is `callback`). */
  conferenceCallback: (payload: ConferenceCallback) => void;
  /** Catapult v1 form of every leg's end. */
  hangup: (payload: CatapultHangupEvent) => void;
  /** An inbound call reached the application (channel in CALL_INCOMING). */
  incomingCall: (channel: Channel) => void;
  /** A transfer ended, with its TransferCause. */
  transferEnded: (info: TransferEndedInfo) => void;
  /** A leg's channel state changed (one event per state entered, in order). */
  legState: (change: LegStateChange) => void;
  /** A network command threw (the engine failed its leg), or a hold/unhold failed; the engine carried on. */
  networkError: (info: { command: string; callId: string; error: unknown }) => void;
  /** A listener threw; the engine carried on. */
  listenerError: (info: { event: string; error: unknown }) => void;
}

export type SwitchboardEventName = keyof SwitchboardEvents;
