/**
 * Several nodes on one Redis (`switchboard serve --redis URL --node-id ID` on each): `createCluster` gives a
 * node's server what it needs to reach an agent's calls on any node (routing.ts), the other nodes'
 * notifications for its CometD clients (bus.ts), and the takeover of nodes that stay down past their lease
 * (takeover.ts). Only `serve` with Redis creates one: without Redis nothing here runs. See docs/durability.md.
 */
import type { AgentDevice, CallNotification, Network, Switchboard } from '../index';
import type { WebhookDeliverer } from '../webhooks/deliverer';
import { stored } from '../http/stored';
import { onceStored } from '../cometd/onceStored';
import { ClusterBus } from './bus';
import { ClusterRouting, type AgentRouting } from './routing';
import { Takeover, type TakenOver } from './takeover';

export { RouteTimeoutError, RouteFailedError } from './bus';
export { OwnerUnavailableError } from './routing';
export type { AgentRouting, Routed } from './routing';

/** The other nodes' notifications for an agent, for the CometD feeds (src/cometd/deviceFeeds.ts). */
export interface RemoteNotifications {
  listen(dn: string, listener: (message: CallNotification) => void): void;
  unlisten(dn: string, listener: (message: CallNotification) => void): void;
}

export interface ClusterOptions {
  url: string;
  prefix: string;
  nodeId: string;
  leaseMs: number;
  /** How long a routed request waits for the owner's reply (default 5,000 ms). */
  routeTimeoutMs?: number;
  onError?: (error: Error) => void;
  onTakenOver?: (done: TakenOver) => void;
}

export interface Cluster {
  readonly routing: AgentRouting;
  readonly notifications: RemoteNotifications;
  /** Connect, answer routed requests for these devices, publish their notifications, and start the takeover. */
  start(sb: Switchboard<Network>, devices: Iterable<AgentDevice>, webhooks: WebhookDeliverer): Promise<void>;
  /** Stop taking other nodes over (this node is stopping; it still routes until `close`). */
  stopTakeover(): void;
  /** Look for dead nodes now (the takeover also looks every half lease by itself). */
  takeOver(): Promise<TakenOver[]>;
  close(): Promise<void>;
}

export function createCluster(options: ClusterOptions): Cluster {
  const bus = new ClusterBus({
    url: options.url,
    prefix: options.prefix,
    nodeId: options.nodeId,
    timeoutMs: options.routeTimeoutMs,
    onError: options.onError,
  });
  const byDn = new Map<string, AgentDevice>();
  const routing = new ClusterRouting(bus, options.prefix, (dn) => byDn.get(dn), options.leaseMs);
  const published: Array<[AgentDevice, (message: CallNotification) => void]> = [];
  let takeover: Takeover | undefined;
  return {
    routing,
    notifications: {
      listen: (dn, listener) => bus.listen(dn, listener as (data: unknown) => void),
      unlisten: (dn, listener) => bus.unlisten(dn, listener as (data: unknown) => void),
    },
    async start(sb, devices, webhooks) {
      routing.settle = (response) => stored(sb, response);
      await bus.start();
      // Published once their turn is stored: a node that hears of a call finds its owner in Redis.
      const afterStored = onceStored(sb.durable ? () => sb.written() : undefined, options.onError);
      for (const device of devices) {
        byDn.set(device.phoneNumber, device);
        const publish = (message: CallNotification) =>
          afterStored(() => bus.publishNotification(device.phoneNumber, message));
        device.on('notification', publish);
        published.push([device, publish]);
      }
      // Only a durable switchboard on a network that restores its legs' data (the port's `restoreLegs`: the
      // simulated one resumes its far ends, SIP ends the adopted dialogs with BYE/CANCEL) takes calls over.
      if (sb.restored === null || typeof sb.network.restoreLegs !== 'function') return;
      takeover = new Takeover({
        redis: bus.redis,
        prefix: options.prefix,
        nodeId: options.nodeId,
        leaseMs: options.leaseMs,
        sb,
        deliver: (entries) => webhooks.adopt(entries),
        onTakenOver: options.onTakenOver,
        onError: options.onError,
      });
      await takeover.start();
    },
    stopTakeover: () => takeover?.stop(),
    takeOver: () => takeover?.check() ?? Promise.resolve([]),
    async close() {
      takeover?.stop();
      for (const [device, publish] of published.splice(0)) device.off('notification', publish);
      await bus.close();
    },
  };
}
