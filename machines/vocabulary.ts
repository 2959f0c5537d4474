/**
 * The call-control vocabulary shared by every statechart: Aculab `State`, `Cause` and `TransferCause`
 * (exact spellings, string enums) and the engine's own end-cause names, which `src/causes` maps to every
 * other vocabulary (Bandwidth, Catapult v1, Q.850, SIP, Twilio).
 */

/** Aculab `UASCallChannel.State`: all 14 values. */
export enum State {
  WAITING = 'WAITING',
  CALL_INCOMING = 'CALL_INCOMING',
  RING_INCOMING = 'RING_INCOMING',
  ANSWERING = 'ANSWERING',
  ANSWERED = 'ANSWERED',
  CALL_OUTGOING = 'CALL_OUTGOING',
  RING_OUTGOING = 'RING_OUTGOING',
  HOLDING = 'HOLDING',
  ON_HOLD = 'ON_HOLD',
  TRANSFERRING = 'TRANSFERRING',
  TRANSFERRED = 'TRANSFERRED',
  RECONNECTING = 'RECONNECTING',
  ERROR = 'ERROR',
  IDLE = 'IDLE',
}

/** Aculab `UASCallChannel.Cause`: why a channel went IDLE (`NORMAL` while it is not IDLE). */
export enum Cause {
  TIMEOUT = 'TIMEOUT',
  ERROR = 'ERROR',
  NORMAL = 'NORMAL',
  BUSY = 'BUSY',
  NOANSWER = 'NOANSWER',
  UNOBTAINABLE = 'UNOBTAINABLE',
  CHANGED = 'CHANGED',
  OUTOFORDER = 'OUTOFORDER',
  BARRED = 'BARRED',
  REJECTED = 'REJECTED',
  NOCHANNELS = 'NOCHANNELS',
  CONGESTION = 'CONGESTION',
  FAILED = 'FAILED',
  OTHER = 'OTHER',
}

/** Aculab `UASCallChannel.TransferCause`: how the last transfer ended (`NONE` before one, or while one runs). */
export enum TransferCause {
  NONE = 'NONE',
  NORMAL = 'NORMAL',
  TIMEOUT = 'TIMEOUT',
  HANGUP = 'HANGUP',
  TARGETREJECT = 'TARGETREJECT',
  TARGETHANGUP = 'TARGETHANGUP',
  FAIL = 'FAIL',
}

/**
 * Why a leg ended, in the engine's own words. Each name is one row of the cause table (`src/causes`).
 * `normal`: ordinary hang-up after answer (or a normal clear before it); `cancel`: the leg was abandoned
 * before answer by the side that started it; `timeout`: the engine gave up waiting (a transfer's
 * `secondsTimeout`); `noAnswer`: a dialled call's own timeout or the far end reported no answer.
 */
export const END_CAUSES = [
  'normal',
  'cancel',
  'busy',
  'rejected',
  'noAnswer',
  'timeout',
  'unobtainable',
  'changed',
  'outOfOrder',
  'barred',
  'noChannels',
  'congestion',
  'temporaryFailure',
  'error',
  'callbackError',
  'invalidBxml',
  'applicationError',
  'accountLimit',
  'nodeCapacityExceeded',
  'other',
] as const;

export type EndCause = (typeof END_CAUSES)[number];

/**
 * The end causes Bandwidth reports as an error (`src/causes` maps each to `error` or a more precise error
 * cause): a leg that ends with one has an `errorMessage` and an `errorId` in its callbacks.
 */
export const ERROR_END_CAUSES: ReadonlySet<EndCause> = new Set<EndCause>([
  'unobtainable',
  'changed',
  'outOfOrder',
  'noChannels',
  'congestion',
  'temporaryFailure',
  'error',
  'callbackError',
  'invalidBxml',
  'applicationError',
  'accountLimit',
  'nodeCapacityExceeded',
  'other',
]);

/** Who ended a leg: this platform (`local`: the application or the engine) or the far end (`remote`). */
export type ClearedBy = 'local' | 'remote';

export type Direction = 'inbound' | 'outbound';

/** TransferCause a transfer ends with when its target leg ends before the transfer completed. */
export function transferCauseForTargetEnd(cause: EndCause): TransferCause {
  switch (cause) {
    case 'busy':
    case 'rejected':
    case 'barred':
      return TransferCause.TARGETREJECT;
    case 'normal':
    case 'cancel':
      return TransferCause.TARGETHANGUP;
    case 'timeout':
    case 'noAnswer':
      return TransferCause.TIMEOUT;
    default:
      return TransferCause.FAIL;
  }
}

/** What a transfer chart emits when it ends (both kinds): how it ended, and whether the parent is still up. */
export interface TransferEndedEvent {
  type: 'ended';
  transferCause: TransferCause;
  /** How the target leg ended; null if it is still up (a consult call that carries on). */
  targetCause: EndCause | null;
  targetErrorMessage: string | null;
  parentUp: boolean;
}
