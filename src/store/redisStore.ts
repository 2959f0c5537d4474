/**
 * `createRedisStore({ url, nodeId, prefix })`: the Redis store of a node. It keeps the node's identity (a lease,
 * see lease.ts), its webhook outbox (redisOutbox.ts) and its engine state (a hash of records, written one MULTI
 * per turn together with that turn's outbox appends: turnBatch.ts). See docs/durability.md.
 *
 * `start()` connects, takes the node's lease (waiting up to one lease length for the lease of a killed
 * process with the same id to expire; a live one is NodeIdInUseError) and reads the state a previous process
 * left; then `createSwitchboard({ store })` restores it. `outbox()` is the webhook outbox to give the
 * deliverer; `close()` releases the lease and disconnects (the state stays for the next start).
 */
import { Redis } from 'ioredis';
import { OutboxFencedError, type Outbox } from '../webhooks/outbox';
import { storeKeys, type StoreKeys } from './keys';
import { NodeLease } from './lease';
import {
  DEFAULT_LEASE_MS,
  DEFAULT_PREFIX,
  defaultNodeId,
  leaseProblem,
  nodeIdProblem,
  prefixProblem,
  redactUrl,
  redisUrlProblem,
} from './options';
import { RedisOutbox } from './redisOutbox';
import { TurnBatch } from './turnBatch';
import type { StateStore } from '../engine/durable';

export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  url: string;
  /** This node's id (default: the host name). Two live processes cannot share one. */
  nodeId?: string;
  /** Prefix of every key (default `switchboard:`), so several deployments can share one Redis. */
  prefix?: string;
  /** Lease length in milliseconds (default 10,000), renewed every third of it. */
  leaseMs?: number;
}

export interface RedisStore extends StateStore {
  readonly nodeId: string;
  readonly prefix: string;
  readonly leaseMs: number;
  /** The URL without its password. */
  readonly url: string;
  readonly keys: StoreKeys;
  /** Connect and take the node's lease. Rejects with NodeIdInUseError, or when Redis cannot be reached. */
  start(): Promise<void>;
  /** MULTI batches sent so far, and the commands in them. */
  readonly sent: { batches: number; commands: number };
  /** Resolves once every batch sent so far has been answered by Redis (the store benchmark waits for it). */
  settled(): Promise<void>;
  /** The node's webhook outbox (for the deliverer). */
  outbox(): Outbox;
  /** Called if the lease is lost (another process took this node id after a renewal failed for a lease length). */
  onLeaseLost(listener: () => void): void;
  /** Called with connection and renewal errors (the client reconnects by itself). */
  onError(listener: (error: Error) => void): void;
  /** Release the lease and disconnect. */
  close(): Promise<void>;
}

export class StoreOptionsError extends Error {
  override readonly name = 'StoreOptionsError';
}

export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const { url, nodeId = defaultNodeId(), prefix = DEFAULT_PREFIX, leaseMs = DEFAULT_LEASE_MS } = options;
  const problems = [
    ['url', redisUrlProblem(url)],
    ['nodeId', nodeIdProblem(nodeId)],
    ['prefix', prefixProblem(prefix)],
    ['leaseMs', leaseProblem(leaseMs)],
  ].filter(([, problem]) => problem);
  if (problems.length)
    throw new StoreOptionsError(`createRedisStore: ${problems.map(([name, p]) => `${name} ${p}`).join('; ')}`);

  const keys = storeKeys(prefix, nodeId);
  const shownUrl = redactUrl(url);
  const lostListeners: Array<() => void> = [];
  const errorListeners: Array<(error: Error) => void> = [];
  const reportError = (error: Error) => errorListeners.forEach((listener) => listener(error));
  // Offline queue on: a command issued while reconnecting waits for the connection (bounded retries).
  // No reconnecting until connected once: a failed start leaves nothing running.
  let connected = false;
  const retryStrategy = (times: number) => (connected ? Math.min(times * 100, 2000) : null);
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 20, connectTimeout: 5000, retryStrategy });
  let lastError: Error | undefined;
  redis.on('error', (error: Error) => {
    lastError = error;
    reportError(error);
  });
  const batch = new TurnBatch(redis, keys.state, reportError);
  const lost = () => {
    batch.fence(new OutboxFencedError(`the lease of node id '${nodeId}' is lost: another node owns its calls now`));
    lostListeners.forEach((l) => l());
  };
  const lease = new NodeLease(redis, keys.lease, keys.takenOver, nodeId, leaseMs, lost, reportError);
  // A process that was paused (its lease not confirmed lately) asks Redis before it writes: if another node
  // took its calls over meanwhile, the lease is lost and nothing more is written or delivered.
  batch.guard(lease);
  const outbox = new RedisOutbox(redis, keys.outbox, batch);
  let started = false;
  let restored: ReadonlyMap<string, string> | null = null;

  return {
    nodeId,
    prefix,
    leaseMs,
    url: shownUrl,
    keys,
    async start() {
      if (started) throw new Error('this Redis store has already been started');
      started = true;
      try {
        await redis.connect();
        connected = true;
      } catch (error) {
        // ioredis rejects with "Connection is closed."; the error event before it says why.
        const why = lastError ? `${lastError.message}` : (error as Error).message;
        throw new Error(`cannot connect to Redis at ${shownUrl}: ${why}`, { cause: error });
      }
      try {
        await lease.acquire();
        restored = new Map(Object.entries(await redis.hgetall(keys.state)));
      } catch (error) {
        await lease.release().catch(() => undefined);
        redis.disconnect();
        throw error;
      }
    },
    restored() {
      if (!restored) throw new Error('start() the Redis store before creating a switchboard with it');
      const records = restored;
      restored = new Map(); // handed over once: the process does not keep the records it has rebuilt
      return records;
    },
    write: (put, del) => batch.write(put, del),
    flush: () => batch.flush(),
    written: () => batch.written(),
    sent: batch.sent,
    settled: () => batch.settled(),
    outbox: () => outbox,
    onLeaseLost: (listener) => void lostListeners.push(listener),
    onError: (listener) => void errorListeners.push(listener),
    async close() {
      if (redis.status === 'end') return;
      try {
        // The turns written so far go first: a flush may still wait for a lease confirmation (turnBatch.ts).
        await batch.written().catch(() => undefined);
        await lease.release();
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    },
  };
}
