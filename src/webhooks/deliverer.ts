/**
 * Webhook delivery of the supervisor's callbacks (docs/behaviour.md §5, server mode).
 *
 * Each callback is POSTed as JSON to the URL configured for its kind: a per-transfer override if the call gave
 * one, else the application's. Headers: `X-Switchboard-Delivery` (one id per callback, the same on every
 * retry, so a receiver can drop duplicates), `X-Switchboard-Signature: sha256=<hex HMAC of the body>` when a
 * secret is set, and HTTP Basic when credentials are set. Connection errors, timeouts (`callbackTimeout`,
 * default 15 s), 5xx answers and answers cut off before their end (the body is read, up to 64 KiB) are
 * retried with exponential backoff; then the `fallbackUrl` is tried. A callback that still cannot be
 * delivered is never silently dropped: it is logged, counted, kept (the newest `failureLogSize`, default
 * 1,000: `failures()`, `recentFailures()`) and reported with cause `callback-error`.
 *
 * Order: the callbacks of one call family (a call and its transfer or consult legs, linked by `parentCallId`)
 * go out one at a time, in the order the bus emitted them; unrelated calls do not wait for each other. A family
 * is remembered only while it has deliveries queued. Connections are kept alive (Node's fetch pools them).
 *
 * Outbox (./outbox.ts): each callback is appended, with its delivery id, before its first attempt, and
 * acknowledged once delivered or recorded as callback-error. The default outbox is in memory (a restart loses
 * what it holds); with a durable one (Redis) `recover()` re-delivers at start-up every entry a previous process
 * of this node left unacknowledged, with the same delivery ids, in the order appended (so per family in bus
 * order), and a shutdown leaves deliveries it had to cut short in the outbox instead of giving them up.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { CallbackMeta, Switchboard } from '../index';
import { FailureLog } from './failureLog';
import {
  familyIds,
  familyKey,
  MemoryOutbox,
  OutboxFencedError,
  type Outbox,
  type OutboxEntry,
  type PendingEntry,
  type UrlKind,
  type WebhookPayload,
} from './outbox';

export interface WebhookConfig {
  answerUrl?: string;
  initiateUrl?: string;
  disconnectUrl?: string;
  transferAnswerUrl?: string;
  transferCompleteUrl?: string;
  transferDisconnectUrl?: string;
  /** Where the conference callbacks go (conferenceCreated, conferenceMemberJoin, …Exit, conferenceCompleted). */
  conferenceUrl?: string;
  /** Tried once a callback has failed on its own URL. */
  fallbackUrl?: string;
  username?: string;
  password?: string;
  /** HMAC-SHA256 key for `X-Switchboard-Signature`. */
  secret?: string;
  /** Seconds to wait for each answer. Default 15. */
  callbackTimeout?: number;
  /** Delays before each retry, in milliseconds. Default [1000, 2000, 4000]. */
  retryDelaysMs?: number[];
  /** How many `callback-error` records are kept (the newest). Default 1,000. */
  failureLogSize?: number;
}

export interface FailedDelivery {
  deliveryId: string;
  /** When it was given up (ISO 8601, wall clock). */
  time: string;
  cause: 'callback-error';
  eventType: WebhookPayload['eventType'];
  /** The call's id; a conference room's id for a room's own callbacks. */
  callId: string;
  url: string;
  error: string;
  attempts: number;
}

export interface WebhookStats {
  delivered: number;
  retried: number;
  /** Callbacks given up (callback-error), ever. */
  failed: number;
  /** Of those, how many records are no longer kept (the oldest, beyond `failureLogSize`). */
  failuresDropped: number;
  pending: number;
}

interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Bytes of an answer's body read at most (to know it arrived whole); beyond that its status alone counts. */
const MAX_BODY_BYTES = 64 * 1024;

const URL_KEY: Record<WebhookPayload['eventType'], UrlKind> = {
  conferenceCreated: 'conferenceUrl',
  conferenceMemberJoin: 'conferenceUrl',
  conferenceMemberExit: 'conferenceUrl',
  conferenceCompleted: 'conferenceUrl',
  initiate: 'initiateUrl',
  answer: 'answerUrl',
  disconnect: 'disconnectUrl',
  transferAnswer: 'transferAnswerUrl',
  transferComplete: 'transferCompleteUrl',
  transferDisconnect: 'transferDisconnectUrl',
};

class Retryable extends Error {}

/** How one delivery ended: delivered, given up (callback-error), or cut short by a shutdown. */
type Outcome = 'delivered' | 'failed' | 'stopped';

/**
 * The delivery queue of one call family: every call id its queued callbacks mention (`callId`, `parentCallId`).
 * When a callback links two families (a leg of one, the parent in another) they merge: the absorbed one points
 * at the survivor, and whatever was queued in either goes before what comes next.
 */
interface Family {
  tail: Promise<void>;
  queued: number;
  readonly callIds: Set<string>;
  mergedInto?: Family;
}

/** A URL fit for logs: no credentials. */
export function redact(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@');
}

export class WebhookDeliverer {
  /** Call id → the family whose queue it belongs to, for families with deliveries queued (then forgotten). */
  private readonly families = new Map<string, Family>();
  private readonly failed: FailureLog<FailedDelivery>;
  private readonly counts = { delivered: 0, retried: 0, failed: 0, pending: 0 };
  private readonly listeners: Array<(failure: FailedDelivery) => void> = [];
  private readonly timeoutMs: number;
  private readonly delays: number[];
  /** Aborts every delivery still under way when a shutdown's bound is reached. */
  private readonly stopping = new AbortController();
  /** While `recover()` reads the outbox, new callbacks are appended at once but queued after the recovered ones. */
  private held: Array<() => void> | undefined;

  constructor(
    private readonly config: WebhookConfig,
    private readonly log: Logger,
    private readonly outbox: Outbox = new MemoryOutbox(),
  ) {
    this.timeoutMs = (config.callbackTimeout ?? 15) * 1000;
    this.delays = config.retryDelaysMs ?? [1000, 2000, 4000];
    this.failed = new FailureLog(config.failureLogSize ?? 1000);
    // Every attempt under way listens for a shutdown (and removes its listener after): many at once is normal.
    setMaxListeners(0, this.stopping.signal);
  }

  /** Deliver every callback of this switchboard. */
  attach(sb: Switchboard): this {
    sb.on('callback', (payload, meta) => this.enqueue(payload, meta));
    sb.on('conferenceCallback', (payload) => this.enqueue(payload));
    return this;
  }

  /** Called for each callback that could not be delivered. */
  onFailure(listener: (failure: FailedDelivery) => void): this {
    this.listeners.push(listener);
    return this;
  }

  /** The kept callback-error records, oldest first. */
  failures(): FailedDelivery[] {
    return this.failed.all();
  }

  /** The newest `limit` kept callback-error records, newest first. */
  recentFailures(limit: number): FailedDelivery[] {
    return this.failed.recent(limit);
  }

  /** Whether undelivered callbacks outlive this process (a durable outbox). */
  get durable(): boolean {
    return this.outbox.durable;
  }

  /**
   * Re-deliver what a previous process of this node left in a durable outbox, in the order appended, with the
   * same delivery ids. Call once, at start-up; callbacks emitted meanwhile are queued after them. Resolves to
   * how many were found (0 with a memory outbox, which a previous process cannot have left anything in).
   */
  async recover(): Promise<number> {
    if (!this.outbox.durable) return 0;
    this.held = [];
    try {
      const found = await this.outbox.pending();
      for (const { ref, entry } of found) this.schedule(entry, Promise.resolve(ref));
      if (found.length)
        this.log.info({ entries: found.length }, 'webhook outbox: re-delivering what a previous process left');
      return found.length;
    } finally {
      const held = this.held;
      this.held = undefined;
      for (const queue of held) queue();
    }
  }

  /**
   * Deliver entries taken over from another node's outbox (src/cluster/takeover.ts), already appended to this
   * node's outbox under `ref`: with their original delivery ids, in the order given, each after its family's
   * earlier ones.
   */
  adopt(found: PendingEntry[]): void {
    for (const { ref, entry } of found) this.schedule(entry, Promise.resolve(ref));
  }

  stats(): WebhookStats {
    const { delivered, retried, failed, pending } = this.counts;
    return { delivered, retried, failed, failuresDropped: this.failed.dropped, pending };
  }

  enqueue(payload: WebhookPayload, meta: CallbackMeta = {}): void {
    const key = URL_KEY[payload.eventType];
    const url =
      (meta.urls as Record<string, string | undefined> | undefined)?.[key] ?? (this.config[key] as string | undefined);
    if (!url) return; // no URL for this kind of callback: nothing to deliver
    const entry: OutboxEntry = { deliveryId: randomUUID(), family: familyKey(payload), kind: key, url, payload };
    // Appended now (appends keep their order), attempted once appended and its turn in the family has come.
    const appended = this.outbox.append(entry).catch((error: unknown) => {
      if (error instanceof OutboxFencedError) throw error; // another node owns the call now: not delivered here
      this.log.error(
        { deliveryId: entry.deliveryId, error: String(error) },
        'webhook outbox append failed: delivering without it',
      );
      return undefined;
    });
    if (this.held) this.held.push(() => this.schedule(entry, appended));
    else this.schedule(entry, appended);
  }

  /** Queue an entry in its family: attempted after the family's earlier ones, acknowledged when it ends. */
  private schedule(entry: OutboxEntry, appended: Promise<string | undefined>): void {
    this.counts.pending++;
    const family = this.familyOf(entry.payload);
    family.queued++;
    // One delivery's fate never affects the next one of the family.
    family.tail = family.tail
      .then(() => appended)
      .then(async (ref) => {
        const outcome = await this.deliver(entry);
        if (ref !== undefined && (outcome !== 'stopped' || !this.outbox.durable)) await this.acknowledge(entry, ref);
      })
      .catch(() => undefined)
      .finally(() => {
        this.counts.pending--;
        this.settled(family);
      });
  }

  private async acknowledge(entry: OutboxEntry, ref: string): Promise<void> {
    try {
      await this.outbox.ack(ref);
    } catch (error) {
      // Still in the outbox: a restart delivers it again, with the same id (receivers de-duplicate).
      this.log.warn({ deliveryId: entry.deliveryId, error: String(error) }, 'webhook outbox acknowledgement failed');
    }
  }

  /** The family of a callback's call ids, created, found or (when it links two) merged. */
  private familyOf(payload: WebhookPayload): Family {
    const callIds = familyIds(payload);
    let family: Family | undefined;
    for (const callId of callIds) {
      const found = this.families.get(callId);
      if (found && family && found !== family) family = this.merge(family, found);
      else if (found) family = found;
    }
    family ??= { tail: Promise.resolve(), queued: 0, callIds: new Set() };
    for (const callId of callIds) {
      family.callIds.add(callId);
      this.families.set(callId, family);
    }
    return family;
  }

  private merge(into: Family, from: Family): Family {
    const [a, b] = [into.tail, from.tail];
    into.tail = Promise.all([a, b]).then(() => undefined);
    into.queued += from.queued;
    for (const callId of from.callIds) {
      into.callIds.add(callId);
      this.families.set(callId, into);
    }
    from.callIds.clear();
    from.mergedInto = into;
    return into;
  }

  /** One delivery of the family is done; a family with nothing left queued is forgotten. */
  private settled(family: Family): void {
    let live = family;
    while (live.mergedInto) live = live.mergedInto;
    if (--live.queued > 0) return;
    for (const callId of live.callIds) if (this.families.get(callId) === live) this.families.delete(callId);
    live.callIds.clear();
  }

  /**
   * Wait for pending deliveries, at most `timeoutMs`. Whatever is still under way then is aborted (nothing is
   * left running) and recorded as callback-error, or with a durable outbox left in it for the next start.
   * Returns how many were not delivered.
   */
  async drain(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.queuedTails(), deadline]);
    clearTimeout(timer);
    const left = this.counts.pending;
    if (left > 0) {
      this.stopping.abort();
      await this.queuedTails();
    }
    return left;
  }

  /** Settles once everything queued now has been delivered or given up. */
  private queuedTails(): Promise<unknown> {
    return Promise.all([...new Set(this.families.values())].map((family) => family.tail));
  }

  private async deliver({ deliveryId, payload, url }: OutboxEntry): Promise<Outcome> {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-switchboard-delivery': deliveryId,
    };
    if (this.config.secret)
      headers['x-switchboard-signature'] =
        `sha256=${createHmac('sha256', this.config.secret).update(body).digest('hex')}`;
    if (this.config.username !== undefined) {
      headers.authorization = `Basic ${Buffer.from(`${this.config.username}:${this.config.password ?? ''}`).toString('base64')}`;
    }
    let attempts = 0;
    let lastError = 'shut down before it could be delivered';
    const targets = this.config.fallbackUrl && this.config.fallbackUrl !== url ? [url, this.config.fallbackUrl] : [url];
    for (const target of targets) {
      for (let retry = 0; retry <= this.delays.length && !this.stopping.signal.aborted; retry++) {
        if (retry > 0) {
          this.counts.retried++;
          await this.pause(this.delays[retry - 1]);
          if (this.stopping.signal.aborted) break;
        }
        attempts++;
        try {
          await this.post(target, headers, body);
          this.counts.delivered++;
          return 'delivered';
        } catch (error) {
          lastError = (error as Error).message;
          if (!(error instanceof Retryable)) break; // a 4xx: retrying will not help; try the fallback
          this.log.warn(
            { deliveryId, url: redact(target), attempt: attempts, error: lastError },
            'webhook delivery failed; will retry',
          );
        }
      }
    }
    if (this.stopping.signal.aborted && this.outbox.durable) {
      // Not given up: it stays in the outbox, and the next start of this node delivers it (same id).
      this.log.warn({ deliveryId, url: redact(url) }, 'webhook delivery cut short by the shutdown: left in the outbox');
      return 'stopped';
    }
    const failure: FailedDelivery = {
      deliveryId,
      time: new Date().toISOString(),
      cause: 'callback-error',
      eventType: payload.eventType,
      callId: familyIds(payload)[0],
      url,
      error: lastError,
      attempts,
    };
    this.counts.failed++;
    this.failed.add(failure);
    this.log.error({ ...failure, url: redact(url) }, 'webhook could not be delivered (callback-error)');
    for (const listener of this.listeners) {
      try {
        listener(failure);
      } catch (error) {
        this.log.error({ error: String(error) }, 'a webhook failure listener threw');
      }
    }
    return 'failed';
  }

  /** Wait `ms`, or less if a shutdown gives up (the listener is removed either way: nothing accumulates). */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.stopping.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.stopping.signal.addEventListener('abort', done);
    });
  }

  private async post(url: string, headers: Record<string, string>, body: string): Promise<void> {
    // One controller per attempt, aborted by its own timeout or by a shutdown; its listeners go with it.
    const attempt = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      attempt.abort();
    }, this.timeoutMs);
    const onStop = () => attempt.abort();
    this.stopping.signal.addEventListener('abort', onStop);
    let res: Response | undefined;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual', // a redirect would be followed as a GET without the body: not a delivery
        signal: attempt.signal,
      });
      await readBody(res); // an answer is only an answer once it has arrived whole (and the connection is reusable)
    } catch (error) {
      throw this.attemptFailed(error, timedOut, res ? 'answer cut off before its end: ' : '');
    } finally {
      clearTimeout(timer);
      this.stopping.signal.removeEventListener('abort', onStop);
    }
    if (res.status >= 500) throw new Retryable(`HTTP ${res.status}`);
    if (res.status >= 300) throw new Error(`HTTP ${res.status}`);
  }

  /** An attempt that errored, timed out or was aborted: retried like a connection error (unless shutting down). */
  private attemptFailed(error: unknown, timedOut: boolean, prefix: string): Error {
    if (this.stopping.signal.aborted) return new Error('shut down before it could be delivered', { cause: error });
    // fetch says only "fetch failed"; its cause says why (a code such as ECONNREFUSED, else a message).
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message;
    const message = timedOut
      ? `no answer within ${this.timeoutMs} ms`
      : `${prefix}${(error as Error).message}${why ? ` (${why})` : ''}`;
    return new Retryable(message, { cause: error });
  }
}

/** Read an answer's body to its end, at most MAX_BODY_BYTES (then stop: the rest is not needed). */
async function readBody(res: Response): Promise<void> {
  if (!res.body) return;
  const reader = res.body.getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    bytes += value.byteLength;
    if (bytes > MAX_BODY_BYTES) return void (await reader.cancel());
  }
}
