/**
 * Webhook delivery of the supervisor's callbacks (SPEC section 5, server mode).
 *
 * Each callback is POSTed as JSON to the URL configured for its kind: a per-transfer override if the call gave
 * one, else the application's. Headers: `X-Switchboard-Delivery` (one id per callback, the same on every
 * retry, so a receiver can drop duplicates), `X-Switchboard-Signature: sha256=<hex HMAC of the body>` when a
 * secret is set, and HTTP Basic when credentials are set. Connection errors, timeouts (`callbackTimeout`,
 * default 15 s) and 5xx answers are retried with exponential backoff; then the `fallbackUrl` is tried. A
 * callback that still cannot be delivered is never silently dropped: it is logged, counted, kept
 * (`failures()`) and reported with cause `callback-error`.
 *
 * Order: the callbacks of one call family (a call and its transfer or consult legs, linked by `parentCallId`)
 * go out one at a time, in the order the bus emitted them; unrelated calls do not wait for each other. A family
 * is remembered only while it has deliveries queued. Connections are kept alive (Node's fetch pools them).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { BandwidthCallback, CallbackMeta, Switchboard } from '../index';

export interface WebhookConfig {
  answerUrl?: string;
  initiateUrl?: string;
  disconnectUrl?: string;
  transferAnswerUrl?: string;
  transferCompleteUrl?: string;
  transferDisconnectUrl?: string;
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
}

export interface FailedDelivery {
  deliveryId: string;
  cause: 'callback-error';
  eventType: BandwidthCallback['eventType'];
  callId: string;
  url: string;
  error: string;
  attempts: number;
}

export interface WebhookStats {
  delivered: number;
  retried: number;
  failed: number;
  pending: number;
}

interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const URL_KEY: Record<BandwidthCallback['eventType'], keyof WebhookConfig> = {
  initiate: 'initiateUrl',
  answer: 'answerUrl',
  disconnect: 'disconnectUrl',
  transferAnswer: 'transferAnswerUrl',
  transferComplete: 'transferCompleteUrl',
  transferDisconnect: 'transferDisconnectUrl',
};

class Retryable extends Error {}

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
function redact(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@');
}

export class WebhookDeliverer {
  /** Call id → the family whose queue it belongs to, for families with deliveries queued (then forgotten). */
  private readonly families = new Map<string, Family>();
  private readonly failed: FailedDelivery[] = [];
  private readonly counts = { delivered: 0, retried: 0, failed: 0, pending: 0 };
  private readonly listeners: Array<(failure: FailedDelivery) => void> = [];
  private readonly timeoutMs: number;
  private readonly delays: number[];
  /** Aborts every delivery still under way when a shutdown's bound is reached. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly config: WebhookConfig,
    private readonly log: Logger,
  ) {
    this.timeoutMs = (config.callbackTimeout ?? 15) * 1000;
    this.delays = config.retryDelaysMs ?? [1000, 2000, 4000];
    // Every attempt under way listens for a shutdown (and removes its listener after): many at once is normal.
    setMaxListeners(0, this.stopping.signal);
  }

  /** Deliver every callback of this switchboard. */
  attach(sb: Switchboard): this {
    sb.on('callback', (payload, meta) => this.enqueue(payload, meta));
    return this;
  }

  /** Called for each callback that could not be delivered. */
  onFailure(listener: (failure: FailedDelivery) => void): this {
    this.listeners.push(listener);
    return this;
  }

  failures(): FailedDelivery[] {
    return [...this.failed];
  }

  stats(): WebhookStats {
    return { ...this.counts };
  }

  enqueue(payload: BandwidthCallback, meta: CallbackMeta = {}): void {
    const key = URL_KEY[payload.eventType];
    const url = (meta.urls as Record<string, string | undefined> | undefined)?.[key] ?? (this.config[key] as string | undefined);
    if (!url) return; // no URL for this kind of callback: nothing to deliver
    this.counts.pending++;
    const family = this.familyOf(payload);
    family.queued++;
    // One delivery's fate never affects the next one of the family.
    family.tail = family.tail
      .then(() => this.deliver(payload, url))
      .catch(() => undefined)
      .finally(() => {
        this.counts.pending--;
        this.settled(family);
      });
  }

  /** The family of a callback's call ids, created, found or (when it links two) merged. */
  private familyOf(payload: BandwidthCallback): Family {
    const callIds = 'parentCallId' in payload ? [payload.callId, payload.parentCallId] : [payload.callId];
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
   * Wait for pending deliveries, at most `timeoutMs`. Whatever is still under way then is aborted and recorded
   * as callback-error (nothing is left running). Returns how many had to be given up.
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

  private async deliver(payload: BandwidthCallback, url: string): Promise<void> {
    const body = JSON.stringify(payload);
    const deliveryId = randomUUID();
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-switchboard-delivery': deliveryId };
    if (this.config.secret) headers['x-switchboard-signature'] = `sha256=${createHmac('sha256', this.config.secret).update(body).digest('hex')}`;
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
          return;
        } catch (error) {
          lastError = (error as Error).message;
          if (!(error instanceof Retryable)) break; // a 4xx: retrying will not help; try the fallback
          this.log.warn({ deliveryId, url: redact(target), attempt: attempts, error: lastError }, 'webhook delivery failed; will retry');
        }
      }
    }
    const failure: FailedDelivery = { deliveryId, cause: 'callback-error', eventType: payload.eventType, callId: payload.callId, url, error: lastError, attempts };
    this.counts.failed++;
    this.failed.push(failure);
    this.log.error({ ...failure, url: redact(url) }, 'webhook could not be delivered (callback-error)');
    for (const listener of this.listeners) {
      try {
        listener(failure);
      } catch (error) {
        this.log.error({ error: String(error) }, 'a webhook failure listener threw');
      }
    }
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
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual', // a redirect would be followed as a GET without the body: not a delivery
        signal: attempt.signal,
      });
      await res.arrayBuffer().catch(() => undefined); // let the connection be reused
    } catch (error) {
      if (this.stopping.signal.aborted) throw new Error('shut down before it could be delivered', { cause: error });
      const code = (error as { cause?: { code?: string } }).cause?.code;
      const message = timedOut ? `no answer within ${this.timeoutMs} ms` : `${(error as Error).message}${code ? ` (${code})` : ''}`;
      throw new Retryable(message, { cause: error });
    } finally {
      clearTimeout(timer);
      this.stopping.signal.removeEventListener('abort', onStop);
    }
    if (res.status >= 500) throw new Retryable(`HTTP ${res.status}`);
    if (res.status >= 300) throw new Error(`HTTP ${res.status}`);
  }
}
