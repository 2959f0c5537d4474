/**
 * An agent's calls on any node: each agent call is owned by the node that holds it (its record is in that
 * node's state hash, `<prefix>node:<id>:state`, field `agentCall:<id>`). An operation or a `GET` of a call this
 * node does not hold goes to the owner over the bus (bus.ts) and comes back as the owner answered; `GET` of
 * the agent's calls asks every other live node (a node whose lease is held) and lists its calls after this
 * node's. A node that does not answer in time is RouteTimeoutError (the HTTP API answers 504). Nodes register
 * in the set `<prefix>nodes` when they start.
 */
import type { AgentCallObject, AgentDevice, CallResponse, OperationResponse } from '../index';
import type { ClusterBus } from './bus';
import { storeKeys } from '../store/keys';

/** What the HTTP API's agent routes use in place of the device's own methods on a cluster node. */
export interface AgentRouting {
  calls(device: AgentDevice): Promise<AgentCallObject[]>;
  call(device: AgentDevice, callId: string): Promise<CallResponse>;
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

  async calls(device: AgentDevice): Promise<AgentCallObject[]> {
    const others = await this.liveNodes();
    const remote = await Promise.all(
      others.map((node) => this.bus.request(node, 'calls', { dn: device.phoneNumber }) as Promise<AgentCallObject[]>),
    );
    return [...device.calls(), ...remote.flat()];
  }

  async call(device: AgentDevice, callId: string): Promise<CallResponse> {
    const local = device.call(callId);
    if (local.statusCode !== 6) return local;
    const owner = await this.owner(callId);
    if (owner === null) return local;
    return (await this.bus.request(owner, 'call', { dn: device.phoneNumber, callId })) as CallResponse;
  }

  async operation(device: AgentDevice, callId: string, body: unknown): Promise<OperationResponse> {
    if (device.call(callId).statusCode !== 6) return device.operation(callId, body);
    const owner = await this.owner(callId);
    if (owner === null) return device.operation(callId, body); // not found anywhere: the local answer says so
    return (await this.bus.request(owner, 'operation', { dn: device.phoneNumber, callId, body })) as OperationResponse;
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

  /** The other nodes whose lease is held now. */
  private async liveNodes(): Promise<string[]> {
    const nodes = (await this.bus.redis.smembers(nodesKey(this.prefix))).filter((n) => n !== this.bus.nodeId);
    if (nodes.length === 0) return [];
    const pipeline = this.bus.redis.pipeline();
    for (const node of nodes) pipeline.exists(storeKeys(this.prefix, node).lease);
    const found = (await pipeline.exec()) ?? [];
    return nodes.filter((_, i) => found[i]?.[1] === 1);
  }
}
