/**
 * An agent's calls on any node: each agent call is owned by the node that holds it (its record is in that
 * node's state hash, `<prefix>node:<id>:state`, field `agentCall:<id>`). An operation or a `GET` of a call this
 * node does not hold goes to the owner over the bus (bus.ts) and comes back as the owner answered; `GET` of
 * the agent's calls asks every other registered node and lists its calls after this node's. Nodes register in
 * the set `<prefix>nodes` when they start.
 *
 * A node that does not answer may be dead and still inside its lease (its calls are taken over only once the
 * lease expires). It is presumed dead at once when its lease is gone, claimed by a takeover, or overdue (a live
 * node renews every third of the lease, so less than half of it left means renewals were missed); otherwise
 * when it does not answer in time. Reads of a presumed-dead node's calls answer from its stored records
 * (storedCalls.ts) and name those calls as stale; an operation on one is OwnerUnavailableError (the HTTP API's
 * 503, with Retry-After: the lease's remaining time). A slow owner whose lease is renewed stays
 * RouteTimeoutError (504). See docs/durability.md.
 */
import type { AgentCallObject, AgentDevice, CallResponse, OperationResponse } from '../index';
import { RouteTimeoutError, type ClusterBus } from './bus';
import { storeKeys } from '../store/keys';
import { storedCalls } from './storedCalls';

/** An operation's call is owned by a node that does not answer and whose lease still runs (HTTP 503). */
export class OwnerUnavailableError extends Error {
  override readonly name = 'OwnerUnavailableError';
  constructor(
    readonly node: string,
    /** When to try again: the owner's lease ends then, and another node takes its calls over. */
    readonly retryAfterSeconds: number,
  ) {
    super(
      `node '${node}' owns this call and does not answer (it may be down); another node takes its calls over ` +
        `once its lease expires, in at most ${retryAfterSeconds} s: try again then`,
    );
  }
}

/** A read's answer, and the ids of the calls in it read from the stored state of a node that did not answer. */
export interface Routed<T> {
  value: T;
  stale: string[];
}

/** A node's lease as others see it: the time left, and whether its holder is presumed dead. */
interface LeaseView {
  leftMs: number;
  dead: boolean;
}

/** What the HTTP API's agent routes use in place of the device's own methods on a cluster node. */
export interface AgentRouting {
  calls(device: AgentDevice): Promise<Routed<AgentCallObject[]>>;
  call(device: AgentDevice, callId: string): Promise<Routed<CallResponse>>;
  operation(device: AgentDevice, callId: string, body: unknown): Promise<OperationResponse>;
}

export const nodesKey = (prefix: string): string => `${prefix}nodes`;

export class ClusterRouting implements AgentRouting {
  /** Set once the node's switchboard is known: an operation done here for another node is answered once stored. */
  settle: (response: OperationResponse) => Promise<OperationResponse> = async (response) => response;

  constructor(
    private readonly bus: ClusterBus,
    private readonly prefix: string,
    /** This node's agent devices by DN. */
    private readonly deviceOf: (dn: string) => AgentDevice | undefined,
    /** The nodes' lease length (every node of a deployment has the same). */
    private readonly leaseMs: number,
  ) {
    const device = (args: unknown) => {
      const dn = (args as { dn: string }).dn;
      const found = this.deviceOf(dn);
      if (!found) throw new Error(`no agent device ${dn} on this node`);
      return found;
    };
    bus.handle('calls', (args) => device(args).calls());
    bus.handle('call', (args) => device(args).call((args as { callId: string }).callId));
    bus.handle('operation', async (args) => {
      const { callId, body } = args as { callId: string; body: unknown };
      return this.settle(await device(args).operation(callId, body));
    });
  }

  async calls(device: AgentDevice): Promise<Routed<AgentCallObject[]>> {
    const others = (await this.bus.redis.smembers(nodesKey(this.prefix))).filter((n) => n !== this.bus.nodeId);
    const remote = await Promise.all(others.map((node) => this.callsOf(node, device)));
    const value = [...device.calls()];
    const stale: string[] = [];
    const listed = new Set(value.map((c) => c.id));
    for (const answer of remote) {
      // A call in the middle of a takeover may be read twice (moved, and still in the old state): listed once.
      for (const call of answer.value) {
        if (listed.has(call.id)) continue;
        listed.add(call.id);
        value.push(call);
        if (answer.stale.includes(call.id)) stale.push(call.id);
      }
    }
    return { value, stale };
  }

  async call(device: AgentDevice, callId: string): Promise<Routed<CallResponse>> {
    const local = device.call(callId);
    if (local.statusCode !== 6) return { value: local, stale: [] };
    const owner = await this.owner(callId);
    if (owner === null) return { value: local, stale: [] };
    if (!(await this.lease(owner)).dead) {
      const asked = await this.ask<CallResponse>(owner, 'call', { dn: device.phoneNumber, callId });
      if (asked !== null) return { value: asked, stale: [] };
    }
    const call = (await this.stored(owner, device)).find((c) => c.id === callId);
    if (!call) throw this.unavailable(owner, await this.lease(owner)); // its record is not one this agent can read
    return { value: { statusCode: 0, call }, stale: [callId] };
  }

  async operation(device: AgentDevice, callId: string, body: unknown): Promise<OperationResponse> {
    if (device.call(callId).statusCode !== 6) return device.operation(callId, body);
    const owner = await this.owner(callId);
    if (owner === null) return device.operation(callId, body); // not found anywhere: the local answer says so
    const lease = await this.lease(owner);
    if (lease.dead) throw this.unavailable(owner, lease);
    try {
      return (await this.bus.request(owner, 'operation', {
        dn: device.phoneNumber,
        callId,
        body,
      })) as OperationResponse;
    } catch (error) {
      if (!(error instanceof RouteTimeoutError)) throw error;
      const now = await this.lease(owner);
      throw now.dead ? this.unavailable(owner, now) : error; // renewed all along: alive but slow (504)
    }
  }

  /** A node's calls for this agent: its answer, or its stored records if it is presumed dead or does not answer. */
  private async callsOf(node: string, device: AgentDevice): Promise<Routed<AgentCallObject[]>> {
    if (!(await this.lease(node)).dead) {
      const asked = await this.ask<AgentCallObject[]>(node, 'calls', { dn: device.phoneNumber });
      if (asked !== null) return { value: asked, stale: [] };
    }
    const value = await this.stored(node, device);
    return { value, stale: value.map((c) => c.id) };
  }

  /** The node's answer, or null if it did not answer in time. */
  private async ask<T>(node: string, op: string, args: unknown): Promise<T | null> {
    try {
      return (await this.bus.request(node, op, args)) as T;
    } catch (error) {
      if (error instanceof RouteTimeoutError) return null;
      throw error;
    }
  }

  private async stored(node: string, device: AgentDevice): Promise<AgentCallObject[]> {
    const state = await this.bus.redis.hgetall(storeKeys(this.prefix, node).state);
    return storedCalls(new Map(Object.entries(state)), device);
  }

  private async lease(node: string): Promise<LeaseView> {
    const key = storeKeys(this.prefix, node).lease;
    const [[, holder], [, left]] = ((await this.bus.redis.pipeline().get(key).pttl(key).exec()) ?? [
      [null, null],
      [null, -2],
    ]) as Array<[Error | null, unknown]>;
    const leftMs = typeof left === 'number' ? left : -2;
    const claimed = typeof holder === 'string' && holder.startsWith('takeover by ');
    return { leftMs: Math.max(0, leftMs), dead: holder === null || claimed || leftMs < this.leaseMs / 2 };
  }

  private unavailable(node: string, lease: LeaseView): OwnerUnavailableError {
    return new OwnerUnavailableError(node, Math.max(1, Math.ceil(lease.leftMs / 1000)));
  }

  /** The other node whose state holds agent call `callId`, or null. */
  private async owner(callId: string): Promise<string | null> {
    const nodes = (await this.bus.redis.smembers(nodesKey(this.prefix))).filter((n) => n !== this.bus.nodeId);
    if (nodes.length === 0) return null;
    const pipeline = this.bus.redis.pipeline();
    for (const node of nodes) pipeline.hexists(storeKeys(this.prefix, node).state, `agentCall:${callId}`);
    const found = (await pipeline.exec()) ?? [];
    const index = found.findIndex(([error, held]) => !error && held === 1);
    return index === -1 ? null : nodes[index];
  }
}
