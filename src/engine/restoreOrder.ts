/**
 * The order a restart rebuilds legs in: every leg after its parent (a transfer's target after the leg it was
 * started for), so the target's `parent` is the live parent leg rather than the facts of one that ended. In
 * linear time: each record walks up its chain of parents not yet placed and places them, the oldest first; a
 * parent that has no record (it ended before the crash) does not hold its children back, and a cycle (bad data)
 * is placed as found rather than looped over.
 */

export interface OrderedRecord {
  callId: string;
  parent?: { callId: string };
}

export function parentsFirst<T extends OrderedRecord>(records: readonly T[]): T[] {
  const byId = new Map<string, T>();
  for (const record of records) byId.set(record.callId, record);
  const placed = new Set<string>();
  const ordered: T[] = [];
  const chain: T[] = [];
  for (const record of records) {
    for (let r: T | undefined = record; r && !placed.has(r.callId) && !chain.includes(r);) {
      chain.push(r);
      r = r.parent && byId.get(r.parent.callId);
    }
    while (chain.length) {
      const r = chain.pop() as T;
      placed.add(r.callId);
      ordered.push(r);
    }
  }
  return ordered;
}
