/**
 * Login sessions: the agent API's answer to an authenticated request sets a session cookie (an opaque random
 * id bound to the user, with an expiry; HttpOnly, SameSite=Strict, path /api/v2), which the CometD handshake
 * accepts in place of credentials, as a Genesys desktop uses the session of its REST calls. The agent API
 * itself still wants HTTP Basic. Memory is bounded: at most `perUser` live sessions per configured user (the
 * oldest goes first), and expired sessions are dropped when met.
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
  private readonly byUser = new Map<string, string[]>();
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
    return session.user;
  }

  /**
   * The `Set-Cookie` value to send with an answer to `user`'s authenticated request: a new session unless
   * the request already carries a live one of the same user (then null).
   */
  cookieFor(cookieHeader: string | undefined, user: UserConfig): string | null {
    if (this.userOf(cookieHeader) === user) return null;
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, { user, expiresAt: this.now() + this.options.ttlSeconds * 1000 });
    const ids = [...(this.byUser.get(user.username) ?? []), id];
    this.byUser.set(user.username, ids);
    while (ids.length > (this.options.perUser ?? 20)) this.drop(ids[0]);
    const secure = this.options.secure ? '; Secure' : '';
    return `${SESSION_COOKIE}=${id}; Path=/api/v2; Max-Age=${this.options.ttlSeconds}; HttpOnly; SameSite=Strict${secure}`;
  }

  /** Sessions held now (for tests). */
  size(): number {
    return this.sessions.size;
  }

  private drop(id: string): void {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    const ids = this.byUser.get(session.user.username) ?? [];
    ids.splice(ids.indexOf(id), 1);
    if (ids.length === 0) this.byUser.delete(session.user.username);
  }
}
