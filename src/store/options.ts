/**
 * The Redis store's options, checked in one place (the factory and the server's config both use these): a
 * `redis://` or `rediss://` URL, a node id, a key prefix and a lease length. Each check returns a message
 * saying what is wrong, or undefined.
 */
import { hostname } from 'node:os';

export const DEFAULT_PREFIX = 'switchboard:';
export const DEFAULT_LEASE_MS = 10_000;
/** Shorter leases would be renewed more often than a busy event loop can be relied on to. */
export const MIN_LEASE_MS = 100;

const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function redisUrlProblem(url: unknown): string | undefined {
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url) || !URL.canParse(url)) {
    return `must be a redis:// or rediss:// URL, got ${JSON.stringify(url)}`;
  }
  return undefined;
}

export function nodeIdProblem(nodeId: unknown): string | undefined {
  if (typeof nodeId !== 'string' || !NODE_ID.test(nodeId)) {
    return `must be 1-128 letters, digits, '.', '_' or '-' (starting with a letter or digit), got ${JSON.stringify(nodeId)}`;
  }
  return undefined;
}

export function prefixProblem(prefix: unknown): string | undefined {
  if (typeof prefix !== 'string' || prefix === '' || /\s/.test(prefix)) {
    return `must be a non-empty string without spaces, got ${JSON.stringify(prefix)}`;
  }
  return undefined;
}

export function leaseProblem(leaseMs: unknown): string | undefined {
  if (typeof leaseMs !== 'number' || !Number.isInteger(leaseMs) || leaseMs < MIN_LEASE_MS) {
    return `must be a whole number of milliseconds, at least ${MIN_LEASE_MS}, got ${JSON.stringify(leaseMs)}`;
  }
  return undefined;
}

/** This machine's host name as a node id (the default), made fit for one. */
export function defaultNodeId(): string {
  const id = hostname()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 128);
  return id || 'node';
}

/** A URL fit for logs and output: no password. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@');
}
