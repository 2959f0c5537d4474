/**
 * Login sessions: the agent API's answer to an authenticated request sets a session cookie (an opaque random
 * id bound to the user, with an expiry; HttpOnly, SameSite=Strict, path /api/v2), which the CometD handshake
 * accepts in place of credentials, as a Genesys desktop uses the session of its REST calls. The agent API
 * itself still wants HTTP Basic. A user has one session per address: an answer to a request from an address
 * that already holds a live session of that user re-sends it (so a script polling without cookies does not
 * create a session per request). Memory is bounded: at most `perUser` live sessions per configured user (the
 * least recently used goes first: a session is used when it is presented), and expired ones are dropped when met.
 */
import { randomBytes } from 'node:crypto';
import type { UserConfig } from './config';

export const SESSION_COOKIE = 'switchboard_session';

export interface SessionOptions {
  /** Lifetime of a session, in seconds. */
  ttlSeconds: number;
  /** Live sessions kept per user (default 20). */
  perUser?: number;
  /** Mark the cookie Secure (when the public URL is https). */
  secure?: boolean;
  /** Clock in ms (default Date.now); tests inject one. */
  now?: () => number;
}

interface Session {
  user: UserConfig;
  address: string;
  expiresAt: number;
}

/** The value of cookie `name` in a `Cookie` header, or null. */
export function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  /** Each user's session ids, least recently used first. */
  private readonly byUser = new Map<string, string[]>();
  /** The session of a user at an address (`username` NUL `address`). */
  private readonly byAddress = new Map<string, string>();
  private readonly now: () => number;

  constructor(private readonly options: SessionOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The user whose live session the `Cookie` header carries, or null. */
  userOf(cookieHeader: string | undefined): UserConfig | null {
    const id = cookieValue(cookieHeader, SESSION_COOKIE);
    const session = id === null ? undefined : this.sessions.get(id);
    if (!session || id === null) return null;
    if (session.expiresAt <= this.now()) {
      this.drop(id);
      return null;
    }
    this.touch(session.user.username, id);
    return session.user;
  }

  /**
   * The `Set-Cookie` value to send with an answer to `user`'s authenticated request from `address`: null when
   * the request already carries a live session of that user; else the user's live session at that address, or
   * a new one.
   */
  cookieFor(cookieHeader: string | undefined, user: UserConfig, address: string): string | null {
    if (this.userOf(cookieHeader) === user) return null;
    const key = `${user.username}\u0000${address}`;
    const held = this.byAddress.get(key);
    if (held !== undefined && this.userOf(`${SESSION_COOKIE}=${held}`) === user) {
      return this.cookie(held, (this.sessions.get(held) as Session).expiresAt);
    }
    const id = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + this.options.ttlSeconds * 1000;
    this.sessions.set(id, { user, address, expiresAt });
    this.byAddress.set(key, id);
    const ids = [...(this.byUser.get(user.username) ?? []), id];
    this.byUser.set(user.username, ids);
    while (ids.length > (this.options.perUser ?? 20)) this.drop(ids[0]);
    return this.cookie(id, expiresAt);
  }

  /** Sessions held now (for tests). */
  size(): number {
    return this.sessions.size;
  }

  private cookie(id: string, expiresAt: number): string {
    const maxAge = Math.max(1, Math.ceil((expiresAt - this.now()) / 1000));
    const secure = this.options.secure ? '; Secure' : '';
    return `${SESSION_COOKIE}=${id}; Path=/api/v2; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure}`;
  }

  private touch(username: string, id: string): void {
    const ids = this.byUser.get(username);
    if (!ids || ids[ids.length - 1] === id) return;
    ids.splice(ids.indexOf(id), 1);
    ids.push(id);
  }

  private drop(id: string): void {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    const key = `${session.user.username}\u0000${session.address}`;
    if (this.byAddress.get(key) === id) this.byAddress.delete(key);
    const ids = this.byUser.get(session.user.username) ?? [];
    ids.splice(ids.indexOf(id), 1);
    if (ids.length === 0) this.byUser.delete(session.user.username);
  }
}
