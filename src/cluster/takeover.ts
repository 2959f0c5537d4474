/**
 * Taking over a node that stays down past its lease. Every live node looks, every half lease, for a registered
 * node (`<prefix>nodes`) whose lease key is gone. It claims that node by taking the dead node's own lease
 * (`SET <prefix>node:<dead>:lease "takeover by <me>" NX PX leaseMs`): one SET NX wins, so exactly one node takes
 * over, and a restart of the dead node waits for the claim to end like it waits for any held lease. The winner
 * reads the dead node's state hash and outbox stream and moves them in one MULTI: the call records (consults
 * renumbered) into its own state hash, each outbox entry appended to its own stream, the dead node's keys
 * deleted, the node marked taken over (`<prefix>node:<dead>:takenOver`: a process of it that was only paused
 * finds its lease lost when it wakes, see store/lease.ts) and unregistered. Then it adopts the calls in one engine turn (timers at their original
 * deadlines; one already passed fires at once) and delivers the moved outbox entries with their original
 * delivery ids, and releases the claim. See docs/durability.md.
 */
import type { Redis } from 'ioredis';
import type { Network, Switchboard } from '../index';
import { adoptableCalls, adoptCalls } from '../engine/switchboard';
import type { RestoreSummary } from '../engine/durable';
import type { PendingEntry } from '../webhooks/outbox';
import { parseEntry } from '../store/redisOutbox';
import { storeKeys } from '../store/keys';
import { nodesKey } from './routing';

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface TakenOver {
  node: string;
  summary: RestoreSummary;
  deliveries: number;
}

export interface TakeoverOptions {
  redis: Redis;
  prefix: string;
  nodeId: string;
  leaseMs: number;
  sb: Switchboard<Network>;
  /** Delivers the moved outbox entries (the webhook deliverer's `adopt`). */
  deliver: (entries: PendingEntry[]) => void;
  onTakenOver?: (done: TakenOver) => void;
  onError?: (error: Error) => void;
}

export class Takeover {
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private stopped = false;

  constructor(private readonly options: TakeoverOptions) {}

  /** Register this node and start looking for dead ones. */
  async start(): Promise<void> {
    await this.options.redis.sadd(nodesKey(this.options.prefix), this.options.nodeId);
    this.timer = setInterval(() => void this.check(), Math.max(50, Math.floor(this.options.leaseMs / 2)));
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** One look: claims and takes over every registered node whose lease has expired. */
  async check(): Promise<TakenOver[]> {
    if (this.checking || this.stopped) return [];
    this.checking = true;
    const done: TakenOver[] = [];
    try {
      const { redis, prefix, nodeId } = this.options;
      const nodes = (await redis.smembers(nodesKey(prefix))).filter((n) => n !== nodeId);
      for (const node of nodes) {
        if (this.stopped) break;
        if (await redis.exists(storeKeys(prefix, node).lease)) continue;
        const taken = await this.claim(node);
        if (taken) done.push(taken);
      }
    } catch (error) {
      this.options.onError?.(error as Error);
    } finally {
      this.checking = false;
    }
    return done;
  }

  private async claim(node: string): Promise<TakenOver | null> {
    const { redis, prefix, nodeId, leaseMs, sb } = this.options;
    const dead = storeKeys(prefix, node);
    const own = storeKeys(prefix, nodeId);
    const token = `takeover by ${nodeId}`;
    if ((await redis.set(dead.lease, token, 'PX', leaseMs, 'NX')) !== 'OK') return null; // alive again, or claimed
    try {
      const stored = new Map(Object.entries(await redis.hgetall(dead.state)));
      const outbox = await redis.xrange(dead.outbox, '-', '+');
      const records = adoptableCalls(sb, stored);
      const multi = redis.multi();
      if (records.size) multi.hset(own.state, ...[...records].flat());
      for (const [, fields] of outbox) multi.xadd(own.outbox, '*', ...fields);
      multi.del(dead.state, dead.outbox);
      multi.set(dead.takenOver, nodeId); // a process of the dead node that wakes up must not take its lease again
      multi.srem(nodesKey(prefix), node);
      const results = (await multi.exec()) ?? [];
      const refs = results.slice(records.size ? 1 : 0, (records.size ? 1 : 0) + outbox.length);
      const entries: PendingEntry[] = outbox.map(([ref, fields], i) => {
        const [error, moved] = refs[i] ?? [new Error('no reply'), null];
        if (error || typeof moved !== 'string') throw error ?? new Error(`moving outbox entry ${ref} failed`);
        return { ref: moved, entry: parseEntry(ref, fields) };
      });
      const summary = adoptCalls(sb, records);
      this.options.deliver(entries);
      const taken = { node, summary, deliveries: entries.length };
      this.options.onTakenOver?.(taken);
      return taken;
    } finally {
      await redis.eval(RELEASE, 1, dead.lease, token);
    }
  }
}
