/**
 * Key names of the Redis store, all under the deployment's prefix (default `switchboard:`), so several
 * deployments can share one Redis: `<prefix>node:<nodeId>:lease` (which process is this node) and
 * `<prefix>node:<nodeId>:outbox` (the node's webhook outbox, a stream) and `<prefix>node:<nodeId>:state` (its
 * engine state, a hash).
 */
export interface StoreKeys {
  lease: string;
  outbox: string;
  /** The node's engine state: a hash of JSON records (`leg:<callId>`, `transfer:<id>`, …; see engine/durable.ts). */
  state: string;
  /** Set by the node that took this node's calls over (src/cluster/takeover.ts): its lease is not taken again. */
  takenOver: string;
}

export function storeKeys(prefix: string, nodeId: string): StoreKeys {
  const node = `${prefix}node:${nodeId}`;
  return { lease: `${node}:lease`, outbox: `${node}:outbox`, state: `${node}:state`, takenOver: `${node}:takenOver` };
}
