/**
 * Callback payloads in Bandwidth wire format (docs/behaviour.md §5): the exact JSON objects a back
 * end receives, plus the Catapult v1 `hangup` form. Optional fields that do not apply are left out, not null.
 * Builders here are pure functions of a leg's facts; the supervisor decides when each is sent.
 */
import { toBandwidth, toCatapult, type BandwidthCause, type CatapultCause } from '../causes';
import type { Direction, EndCause } from '../../machines/vocabulary';

interface CallbackCommon {
  eventTime: string;
  accountId: string;
  applicationId: string;
  from: string;
  to: string;
  direction: Direction;
  callId: string;
  callUrl: string;
}

export interface InitiateCallback extends CallbackCommon {
  eventType: 'initiate';
  startTime: string;
  tag?: string;
}
export interface AnswerCallback extends CallbackCommon {
  eventType: 'answer';
  startTime: string;
  answerTime: string;
  tag?: string;
}
export interface DisconnectCallback extends CallbackCommon {
  eventType: 'disconnect';
  startTime: string;
  answerTime?: string;
  endTime: string;
  tag?: string;
  cause: BandwidthCause;
  errorMessage?: string;
  errorId?: string;
}
export interface TransferAnswerCallback extends CallbackCommon {
  eventType: 'transferAnswer';
  parentCallId: string;
  startTime: string;
  answerTime: string;
  tag?: string;
  transferCallerId: string;
  transferTo: string;
}
export interface TransferCompleteCallback extends CallbackCommon {
  eventType: 'transferComplete';
  startTime: string;
  answerTime?: string;
  tag?: string;
  transferCallerId: string;
  transferTo: string;
  cause: BandwidthCause;
  errorMessage?: string;
  errorId?: string;
}
export interface TransferDisconnectCallback extends CallbackCommon {
  eventType: 'transferDisconnect';
  parentCallId: string;
  startTime: string;
  answerTime?: string;
  endTime: string;
  tag?: string;
  transferCallerId: string;
  transferTo: string;
  cause: BandwidthCause;
  errorMessage?: string;
  errorId?: string;
}

export type BandwidthCallback =
  | InitiateCallback
  | AnswerCallback
  | DisconnectCallback
  | TransferAnswerCallback
  | TransferCompleteCallback
  | TransferDisconnectCallback;

/** Catapult (Bandwidth v1) `hangup` event (docs/behaviour.md §5). */
export interface CatapultHangupEvent {
  eventType: 'hangup';
  callId: string;
  callUri: string;
  from: string;
  to: string;
  cause: CatapultCause;
  time: string;
}

/** The facts of one leg that payloads are built from (times in epoch ms). */
export interface LegFacts {
  callId: string;
  direction: Direction;
  from: string;
  to: string;
  tag?: string;
  startTime: number;
  answerTime?: number;
  endTime?: number;
  endCause?: EndCause;
  errorMessage?: string;
  errorId?: string;
}

export interface CallbackContext {
  accountId: string;
  applicationId: string;
  publicUrl: string;
}

/**
 * ISO 8601 UTC with milliseconds, e.g. `2022-06-17T22:19:40.375Z`. One per callback builder (so per
 * switchboard): it remembers the last time it formatted, since the callbacks of one turn share their times.
 */
export class IsoTimes {
  private lastMs = Number.NaN;
  private lastIso = '';

  format(ms: number): string {
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastIso = new Date(ms).toISOString();
    }
    return this.lastIso;
  }
}

/** Bandwidth causes that describe a failure and so carry `errorMessage` / `errorId`. */
export const ERROR_CAUSES: ReadonlySet<BandwidthCause> = new Set<BandwidthCause>([
  'error',
  'unknown',
  'callback-error',
  'invalid-bxml',
  'application-error',
  'account-limit',
  'node-capacity-exceeded',
]);

export class CallbackBuilder {
  private readonly times = new IsoTimes();

  constructor(private readonly ctx: CallbackContext) {}

  private optionalTime<K extends string>(key: K, ms: number | undefined): { [P in K]?: string } {
    return (ms === undefined ? {} : { [key]: this.times.format(ms) }) as { [P in K]?: string };
  }

  callUrl(callId: string): string {
    return `${this.ctx.publicUrl}/api/v2/accounts/${this.ctx.accountId}/calls/${callId}`;
  }

  private common(leg: LegFacts, now: number, fromTo: LegFacts = leg): CallbackCommon {
    return {
      eventTime: this.times.format(now),
      accountId: this.ctx.accountId,
      applicationId: this.ctx.applicationId,
      from: fromTo.from,
      to: fromTo.to,
      direction: leg.direction,
      callId: leg.callId,
      callUrl: this.callUrl(leg.callId),
    };
  }

  /** `cause` plus, for failures, `errorMessage` and `errorId`. */
  private ending(leg: LegFacts): { cause: BandwidthCause; errorMessage?: string; errorId?: string } {
    const cause = toBandwidth(known(leg.endCause, 'endCause'));
    if (!ERROR_CAUSES.has(cause)) return { cause };
    const out: { cause: BandwidthCause; errorMessage?: string; errorId?: string } = { cause };
    out.errorMessage = leg.errorMessage ?? defaultErrorMessage(leg);
    if (leg.errorId !== undefined) out.errorId = leg.errorId;
    return out;
  }

  initiate(leg: LegFacts, now: number): InitiateCallback {
    return {
      eventType: 'initiate',
      ...this.common(leg, now),
      startTime: this.times.format(leg.startTime),
      ...tagOf(leg),
    };
  }

  answer(leg: LegFacts, now: number): AnswerCallback {
    return {
      eventType: 'answer',
      ...this.common(leg, now),
      startTime: this.times.format(leg.startTime),
      answerTime: this.times.format(known(leg.answerTime, 'answerTime')),
      ...tagOf(leg),
    };
  }

  disconnect(leg: LegFacts, now: number): DisconnectCallback {
    return {
      eventType: 'disconnect',
      ...this.common(leg, now),
      startTime: this.times.format(leg.startTime),
      ...this.optionalTime('answerTime', leg.answerTime),
      endTime: this.times.format(known(leg.endTime, 'endTime')),
      ...this.ending(leg),
      ...tagOf(leg),
    };
  }

  /** B answered: callId = B, parentCallId = A, from/to of A, transferCallerId/transferTo of B. */
  transferAnswer(target: LegFacts, parent: LegFacts, now: number): TransferAnswerCallback {
    return {
      eventType: 'transferAnswer',
      ...this.common(target, now, parent),
      parentCallId: parent.callId,
      startTime: this.times.format(target.startTime),
      answerTime: this.times.format(known(target.answerTime, 'answerTime')),
      transferCallerId: target.from,
      transferTo: target.to,
      ...tagOf(target),
    };
  }

  /** B ended, for any reason: exactly once per transfer leg. */
  transferDisconnect(target: LegFacts, parent: LegFacts, now: number): TransferDisconnectCallback {
    return {
      eventType: 'transferDisconnect',
      ...this.common(target, now, parent),
      parentCallId: parent.callId,
      startTime: this.times.format(target.startTime),
      ...this.optionalTime('answerTime', target.answerTime),
      endTime: this.times.format(known(target.endTime, 'endTime')),
      transferCallerId: target.from,
      transferTo: target.to,
      ...this.ending(target),
      ...tagOf(target),
    };
  }

  /** The transfer ended while A is up: callId = A, cause = how B ended. */
  transferComplete(parent: LegFacts, target: LegFacts, now: number): TransferCompleteCallback {
    return {
      eventType: 'transferComplete',
      ...this.common(parent, now),
      startTime: this.times.format(parent.startTime),
      ...this.optionalTime('answerTime', parent.answerTime),
      transferCallerId: target.from,
      transferTo: target.to,
      ...this.ending(target),
      ...tagOf(parent),
    };
  }

  catapultHangup(leg: LegFacts, now: number): CatapultHangupEvent {
    return {
      eventType: 'hangup',
      callId: leg.callId,
      callUri: `${this.ctx.publicUrl}/v1/users/${this.ctx.accountId}/calls/${leg.callId}`,
      from: leg.from,
      to: leg.to,
      cause: toCatapult(known(leg.endCause, 'endCause')),
      time: this.times.format(now),
    };
  }
}

/** A fact the engine always records before it builds the payload that needs it. */
function known<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`callback built before the leg's ${name} was recorded`);
  return value;
}

export function defaultErrorMessage(leg: LegFacts): string {
  return `Call ${leg.callId} ended with cause ${leg.endCause ?? 'error'}`;
}

function tagOf(leg: LegFacts): { tag?: string } {
  return leg.tag === undefined ? {} : { tag: leg.tag };
}
