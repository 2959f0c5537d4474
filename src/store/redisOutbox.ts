/**
 * The webhook outbox in Redis: one stream per node, `<prefix>node:<nodeId>:outbox`. Appending is XADD (its
 * entry id is the reference; one connection keeps appends in the order they were made, which is the bus
 * order), acknowledging is XDEL (an acknowledged entry is gone: the stream holds exactly what is not yet
 * delivered), and recovery is XRANGE over the whole stream, oldest first. Fields: `d` delivery id, `f` family
 * key, `k` URL kind, `u` URL, `p` the payload's JSON. Only the node holding the lease uses its stream, so no
 * consumer group is needed (see docs/durability.md).
 */
import type { Redis } from 'ioredis';
import type { TurnBatch } from './turnBatch';
import type { Outbox, OutboxEntry, PendingEntry, UrlKind } from '../webhooks/outbox';

/** Entries read per XRANGE while recovering. */
const PAGE = 1000;

export class RedisOutbox implements Outbox {
  readonly durable = true;

  constructor(
    private readonly redis: Redis,
    readonly key: string,
    /** Appends go through the turn batch: in the MULTI of the turn that emitted them (turnBatch.ts). */
    private readonly batch?: TurnBatch,
  ) {}

  async append(entry: OutboxEntry): Promise<string> {
    const fields = [
      'd',
      entry.deliveryId,
      'f',
      entry.family,
      'k',
      entry.kind,
      'u',
      entry.url,
      'p',
      JSON.stringify(entry.payload),
    ];
    if (this.batch) return this.batch.xadd(this.key, fields);
    const ref = await this.redis.xadd(this.key, '*', ...fields);
    if (ref === null) throw new Error(`XADD to ${this.key} returned no entry id`);
    return ref;
  }

  async ack(ref: string): Promise<void> {
    await this.redis.xdel(this.key, ref);
  }

  async pending(): Promise<PendingEntry[]> {
    const found: PendingEntry[] = [];
    for (let start = '-'; ;) {
      const page = await this.redis.xrange(this.key, start, '+', 'COUNT', PAGE);
      for (const [ref, fields] of page) found.push({ ref, entry: parseEntry(ref, fields) });
      if (page.length < PAGE) return found;
      start = `(${page[page.length - 1][0]}`;
    }
  }
}

export function parseEntry(ref: string, fields: string[]): OutboxEntry {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i], fields[i + 1]);
  const [deliveryId, family, kind, url, payload] = ['d', 'f', 'k', 'u', 'p'].map((name) => map.get(name));
  if (!deliveryId || !family || !kind || !url || !payload)
    throw new Error(`outbox entry ${ref} lacks a field (has ${[...map.keys()].join(', ')})`);
  return { deliveryId, family, kind: kind as UrlKind, url, payload: JSON.parse(payload) as OutboxEntry['payload'] };
}
