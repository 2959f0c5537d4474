/**
 * Limits on what the SIP network accepts from the outside: the largest message, and how many new INVITEs one source
 * address may send (a token bucket per address: `invitesPerSecond` refill, `inviteBurst` capacity). An INVITE beyond
 * the bucket gets 503 Service Unavailable with Retry-After (RFC 3261 21.5.4) and never reaches the engine.
 */
import { DEFAULT_MAX_BYTES } from './validate';

export interface SipLimits {
  /** Largest SIP message accepted, in bytes (default 16 KiB); a larger request gets 513 Message Too Large. */
  maxMessageBytes?: number;
  /** New INVITEs per second one source address may sustain (default 100); 0 turns the per-source limit off. */
  invitesPerSecond?: number;
  /** New INVITEs one source address may send at once before the rate applies (default 200). */
  inviteBurst?: number;
}

export const DEFAULT_LIMITS: Readonly<Required<SipLimits>> = {
  maxMessageBytes: DEFAULT_MAX_BYTES,
  invitesPerSecond: 100,
  inviteBurst: 200,
};

/** Sources remembered before a sweep forgets those whose bucket is full again. */
const MAX_SOURCES = 10_000;

/** Checks the `limits` option of createSipNetwork; throws a TypeError naming the bad field. */
export function checkLimits(limits: unknown): Required<SipLimits> {
  if (limits === undefined) return { ...DEFAULT_LIMITS };
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
    throw new TypeError(`createSipNetwork(): 'limits' must be an object, got ${JSON.stringify(limits)}`);
  }
  const out = { ...DEFAULT_LIMITS, ...(limits as SipLimits) };
  const minimum: Record<keyof SipLimits, number> = { maxMessageBytes: 1024, invitesPerSecond: 0, inviteBurst: 1 };
  for (const key of Object.keys(minimum) as (keyof SipLimits)[]) {
    const v = out[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < minimum[key]) {
      throw new TypeError(`createSipNetwork(): limits.${key} must be a number >= ${minimum[key]}, got ${v}`);
    }
  }
  for (const key of Object.keys(limits)) {
    if (!(key in minimum)) throw new TypeError(`createSipNetwork(): unknown limit '${key}'`);
  }
  return out;
}

/** Admission of new INVITEs per source address (a token bucket each). */
export class InviteRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  /** When the table was last swept (at most once a second, so a flood from many addresses costs no more). */
  private sweptAt = -Infinity;

  constructor(
    private readonly limits: Required<SipLimits>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sources currently tracked (about MAX_SOURCES, plus those seen in the last second or not yet refilled). */
  get sourceCount(): number {
    return this.buckets.size;
  }

  /** Takes one token for `source`: `true`, or the whole seconds after which one is available again. */
  admit(source: string): true | { retryAfter: number } {
    const rate = this.limits.invitesPerSecond;
    if (rate === 0) return true;
    const burst = this.limits.inviteBurst;
    const now = this.now();
    const bucket = this.buckets.get(source) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    if (!this.buckets.has(source)) {
      if (this.buckets.size >= MAX_SOURCES && now - this.sweptAt >= 1000) this.sweep(now);
      this.buckets.set(source, bucket);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    return { retryAfter: Math.max(1, Math.ceil((1 - bucket.tokens) / rate)) };
  }

  /** Forgets sources whose bucket has refilled (they are indistinguishable from new ones). */
  private sweep(now: number): void {
    this.sweptAt = now;
    const { invitesPerSecond: rate, inviteBurst: burst } = this.limits;
    for (const [source, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * rate >= burst) this.buckets.delete(source);
    }
  }
}
