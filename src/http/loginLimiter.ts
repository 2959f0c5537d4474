/**
 * Failed logins, limited per user and address and per address, in bounded memory. A user who fails
 * `perUserAndAddress` times within `windowSeconds` is refused from that address (even with the right
 * password) until the window ends; an address that fails `perAddress` times, for any users, is refused for
 * every user. Failures from one address never refuse the same user from another address, so nobody can lock
 * a real user out. A success clears that user's count at that address. At most `maxTracked` counts are kept
 * (the oldest are dropped first). Shared by the REST API, the inspector and the CometD handshake.
 */

export interface LoginLimits {
  /** Failures of one username from one address before that pair is refused. Default 5. */
  perUserAndAddress: number;
  /** Failures from one address (any usernames) before the address is refused. Default 50. */
  perAddress: number;
  /** Length of the counting window, and so the longest refusal, in seconds. Default 300. */
  windowSeconds: number;
  /** Counts kept at most (the memory bound). Default 10,000. */
  maxTracked: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perUserAndAddress: 5,
  perAddress: 50,
  windowSeconds: 300,
  maxTracked: 10_000,
};

interface Count {
  failures: number;
  /** When this window ends (ms). */
  resetAt: number;
}

/** A username longer than this is counted by its first characters (bounds the memory per key). */
const MAX_NAME = 256;

/** `::ffff:10.0.0.1` and `10.0.0.1` are one address. */
const normalAddress = (address: string | undefined) =>
  (address ?? 'unknown').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');

export class LoginLimiter {
  private readonly counts = new Map<string, Count>();

  constructor(
    readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whole seconds until `user` may try to log in from `address` again; 0 when it may now. */
  retryAfter(address: string | undefined, user: string): number {
    const now = this.now();
    const waits = [
      this.blockedFor(this.addressKey(address), this.limits.perAddress, now),
      this.blockedFor(this.pairKey(address, user), this.limits.perUserAndAddress, now),
    ];
    return Math.max(...waits);
  }

  /** A failed login of `user` (the name given, known or not) from `address`. */
  failed(address: string | undefined, user: string): void {
    const now = this.now();
    this.count(this.addressKey(address), now);
    this.count(this.pairKey(address, user), now);
  }

  /** A successful login: the user's failures at this address are forgotten (the address's are not). */
  succeeded(address: string | undefined, user: string): void {
    this.counts.delete(this.pairKey(address, user));
  }

  /** Counts held now (for tests and health checks). */
  tracked(): number {
    return this.counts.size;
  }

  private addressKey(address: string | undefined): string {
    return `a ${normalAddress(address)}`;
  }

  private pairKey(address: string | undefined, user: string): string {
    return `u ${normalAddress(address)} ${user.slice(0, MAX_NAME)}`;
  }

  private blockedFor(key: string, limit: number, now: number): number {
    const count = this.counts.get(key);
    if (!count || count.resetAt <= now || count.failures < limit) return 0;
    return Math.ceil((count.resetAt - now) / 1000);
  }

  private count(key: string, now: number): void {
    const count = this.counts.get(key);
    if (count && count.resetAt > now) {
      count.failures += 1;
      return;
    }
    // A new window: kept in insertion order, so the first entries are the ones that end first.
    this.counts.delete(key);
    this.prune(now);
    this.counts.set(key, { failures: 1, resetAt: now + this.limits.windowSeconds * 1000 });
  }

  /** Drops ended windows from the front, then the oldest while the map is full. */
  private prune(now: number): void {
    for (const [key, count] of this.counts) {
      if (count.resetAt > now && this.counts.size < this.limits.maxTracked) break;
      this.counts.delete(key);
    }
  }
}

/** The username in an `Authorization: Basic …` header (without checking the password), or null. */
export function basicUsername(header: string | undefined): string | null {
  if (!header?.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? decoded : decoded.slice(0, colon);
}
