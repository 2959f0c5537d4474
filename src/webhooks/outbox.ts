/**
 * The webhook outbox: where a callback is kept from just before its first attempt until it is acknowledged
 * (delivered with a 2xx and a complete body, or recorded as callback-error). The deliverer appends every
 * callback before attempting it and acknowledges it after; on start-up it re-delivers whatever a durable
 * outbox still holds, in the order it was appended. `MemoryOutbox` (the default) keeps entries in this process
 * only, so it loses them with the process; the Redis one (src/store/redisOutbox.ts) keeps them in Redis.
 */
import type { BandwidthCallback } from '../engine/callbacks';
import type { ConferenceCallback } from '../engine/conferenceCallbacks';

/**
 * An append refused because this process no longer owns its calls (its node's lease was lost and another node
 * took them over): the callback is that node's to deliver, never this one's, not even from memory.
 */
export class OutboxFencedError extends Error {
  override readonly name = 'OutboxFencedError';
}

/** What a webhook delivers: a call's callback, or a conference room's. */
export type WebhookPayload = BandwidthCallback | ConferenceCallback;

/** Which configured URL a callback goes to (`answerUrl`, `transferCompleteUrl`, …). */
export type UrlKind =
  | 'initiateUrl'
  | 'answerUrl'
  | 'disconnectUrl'
  | 'transferAnswerUrl'
  | 'transferCompleteUrl'
  | 'transferDisconnectUrl'
  | 'conferenceUrl';

export interface OutboxEntry {
  /** `X-Switchboard-Delivery`: the same on every attempt, before and after a restart. */
  deliveryId: string;
  /** The call ids that tie it to its call family: `callId`, then `parentCallId` if any, comma-separated. */
  family: string;
  kind: UrlKind;
  /** The URL it goes to (a per-transfer override included, so a restart needs nothing else). */
  url: string;
  payload: WebhookPayload;
}

/** An entry not yet acknowledged, with the outbox's reference for acknowledging it. */
export interface PendingEntry {
  ref: string;
  entry: OutboxEntry;
}

export interface Outbox {
  /** Whether entries outlive this process (then a shutdown leaves unfinished ones for the next start). */
  readonly durable: boolean;
  /** Keeps the entry; resolves (to its reference) once it is kept. Appends keep their order. */
  append(entry: OutboxEntry): Promise<string>;
  /** Removes an entry: it was delivered, or recorded as callback-error. */
  ack(ref: string): Promise<void>;
  /** Every entry not yet acknowledged, in the order appended. */
  pending(): Promise<PendingEntry[]>;
}

/** The family key of a callback: its call id and its parent call's, if any. */
export function familyKey(payload: WebhookPayload): string {
  return familyIds(payload).join(',');
}

/**
 * The ids that tie a callback to its family: its call id, then its parent's (a transfer leg) or its room's (a
 * conference member); a room's own callbacks (created, completed) have the room's id alone.
 */
export function familyIds(payload: WebhookPayload): string[] {
  if (!('callId' in payload)) return [payload.conferenceId];
  if ('parentCallId' in payload) return [payload.callId, payload.parentCallId];
  if ('conferenceId' in payload) return [payload.callId, payload.conferenceId];
  return [payload.callId];
}

/** Entries kept in this process only: what a restart loses (the embedded default). */
export class MemoryOutbox implements Outbox {
  readonly durable = false;
  private readonly entries = new Map<string, OutboxEntry>();
  private next = 0;

  append(entry: OutboxEntry): Promise<string> {
    const ref = String(this.next++);
    this.entries.set(ref, entry);
    return Promise.resolve(ref);
  }

  ack(ref: string): Promise<void> {
    this.entries.delete(ref);
    return Promise.resolve();
  }

  pending(): Promise<PendingEntry[]> {
    return Promise.resolve([...this.entries].map(([ref, entry]) => ({ ref, entry })));
  }
}
