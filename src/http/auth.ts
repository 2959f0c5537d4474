/** HTTP Basic credentials checked against the configured users, in constant time. */
import { timingSafeEqual } from 'node:crypto';
import type { UserConfig } from './config';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The user for an `Authorization: Basic …` header, or null. */
export function authenticate(users: UserConfig[], header: string | undefined): UserConfig | null {
  if (!header?.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const name = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const user = users.find((u) => u.username === name);
  return user && sameSecret(user.password, password) ? user : null;
}
