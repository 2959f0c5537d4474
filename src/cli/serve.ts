/**
 * `switchboard serve`: the server on the embedded default (simulated network, in memory, real clock), bound
 * to 127.0.0.1 unless configured otherwise. Prints its URLs and how to log in; stops gracefully on
 * SIGTERM/SIGINT (every live call is hung up, so each still emits its terminal event) within the drain bound:
 * webhook deliveries get up to DRAIN_MS while the server closes (CometD clients are told to handshake again,
 * elsewhere); connections still open at the bound are cut.
 *
 * With Redis configured (`--redis URL`, SWITCHBOARD_REDIS_URL or the config's "redis"), the node takes its
 * lease (an error if a live node has its id), restores the calls a killed process with the same node id left
 * (their timers at their original deadlines), writes every turn's changes to Redis, and its webhook callbacks go
 * through the Redis outbox: what a killed process left undelivered is delivered by the next start.
 *
 * With SIP configured (`--sip udp:HOST:PORT`, SWITCHBOARD_SIP_LISTEN or the config's "sip"), the server runs on
 * a SIP network (`createSipNetwork`) instead of the simulated one, so there is no simulator API: a SIP call to
 * an agent's DN rings that agent's device (and its phone, when the DN is mapped to a SIP URI); a call to any
 * other number is refused as unobtainable (404), since the server has no application of its own.
 */
import { createSwitchboard, type Switchboard } from '../engine/switchboard';
import type { Network } from '../engine/network';
import { SimulatedNetwork } from '../network/simulated';
import { ConfigError, loadConfig } from '../http/config';
import { createServer } from '../http/server';
import { resolveLogging, serverLogger, type Logging } from './logging';
import { createRedisStore, type RedisStore } from '../store/redisStore';
import { createSipNetwork, SipNetwork } from '../sip/network';
import { Cause } from '../../machines/vocabulary';
import type { SipConfig } from '../http/sipConfig';
import { createCluster, type Cluster } from '../cluster';

/** The longest a shutdown takes: pending webhook deliveries, and connections that do not close. */
const DRAIN_MS = 10_000;

/** `app.close()`, cutting the connections still open after `ms` (a page's event stream, a stuck client). */
async function closeWithin(app: ReturnType<typeof createServer>['app'], ms: number): Promise<void> {
  const timer = setTimeout(() => {
    app.log.warn('connections still open at the shutdown bound: closing them');
    app.server.closeAllConnections();
  }, ms);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}

export interface ServeOptions {
  config?: string;
  port?: number;
  /** `--sip` addresses (they win over SWITCHBOARD_SIP_LISTEN and the config file's sip.listen). */
  sip?: readonly string[];
  /** `--redis URL` and `--node-id ID` (they win over the environment and the config file). */
  redisUrl?: string;
  nodeId?: string;
  /** Level and format (default: what SWITCHBOARD_LOG_LEVEL and SWITCHBOARD_LOG_FORMAT say, see logging.ts). */
  logging?: Logging;
  out: (l: string) => void;
  err: (l: string) => void;
  /**
   * The switchboard to serve, on any network; default: a new one on the simulated network. `store` is the
   * started Redis store when one is configured (give it to createSwitchboard to restore and keep call state).
   */
  switchboard?: (base: {
    publicUrl: string;
    accountId?: string;
    applicationId?: string;
    store?: RedisStore;
  }) => Switchboard<Network>;
}

export async function serve(options: ServeOptions): Promise<number> {
  let config;
  try {
    config = loadConfig({
      file: options.config,
      port: options.port,
      sip: options.sip,
      redisUrl: options.redisUrl,
      nodeId: options.nodeId,
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      options.err(`switchboard serve: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (config.users.length === 0) {
    options.err(
      'switchboard serve: no users configured. Give --config FILE (see config/demo.json) or set\n' +
        '  SWITCHBOARD_USERS=username:password:deviceDn[,…]',
    );
    return 2;
  }
  const publicUrl = config.publicUrl ?? `http://${config.host}:${config.port}`;
  const isTTY = process.stdout.isTTY === true;
  const logger = serverLogger(options.logging ?? resolveLogging({ env: process.env, isTTY }), isTTY);
  const store: RedisStore | undefined = config.redis ? createRedisStore(config.redis) : undefined;
  let leaseLost = false;
  let onLeaseLost = () => undefined as void;
  let redisErrors = (error: Error) => options.err(`switchboard serve: Redis: ${error.message}`);
  if (store) {
    const { nodeId } = store;
    store.onError((error) => redisErrors(error));
    store.onLeaseLost(() => {
      leaseLost = true;
      options.err(
        `switchboard serve: the lease of node id '${nodeId}' was taken over by another node or process: ` +
          'stopping (its calls are theirs now: nothing more of them is written or delivered here)',
      );
      onLeaseLost();
    });
    options.out(
      `taking the lease of node id '${nodeId}' in Redis at ${store.url} (waits up to ${store.leaseMs / 1000} s for a killed process's)`,
    );
    try {
      await store.start();
    } catch (error) {
      options.err(`switchboard serve: ${(error as Error).message}`);
      return 1;
    }
  }
  // With a store, the switchboard restores the calls a killed process of this node left (timers armed, firing
  // no sooner than the next macrotask), and the outbox recovery below starts in the same tick: what that process
  // left undelivered goes out before anything the restored calls do next.
  const identity = { publicUrl, accountId: config.accountId, applicationId: config.applicationId };
  let network: SipNetwork | undefined;
  if (config.sip && !options.switchboard) {
    const started = await startSip(config.sip, options.err);
    if (typeof started === 'number') {
      await store?.close();
      return started;
    }
    network = started;
  }
  let sb: Switchboard<Network>;
  try {
    const base = { ...identity, ...(store ? { store } : {}) };
    if (options.switchboard) sb = options.switchboard(base);
    else if (network) sb = refuseCallsForNoAgent(createSwitchboard({ ...base, network }));
    else sb = createSwitchboard(base);
  } catch (error) {
    await network?.close();
    options.err(`switchboard serve: cannot restore the calls in Redis: ${(error as Error).message}`);
    await store?.close();
    return 1;
  }
  // Several nodes may share this Redis: this one reaches agents' calls on the others, and takes over their
  // calls when one stays down past its lease (src/cluster/).
  let takenOver = (done: { node: string; summary: { legs: number }; deliveries: number }) => void done;
  const cluster: Cluster | undefined =
    store && config.redis
      ? createCluster({
          url: config.redis.url,
          prefix: store.prefix,
          nodeId: store.nodeId,
          leaseMs: store.leaseMs,
          onError: (error) => redisErrors(error),
          onTakenOver: (done) => takenOver(done),
        })
      : undefined;
  const server = createServer({ switchboard: sb, config, logger, outbox: store?.outbox(), cluster });
  const { app, webhooks } = server;
  redisErrors = (error) => app.log.warn({ error: error.message }, 'Redis');
  takenOver = (done) => {
    server.resumeSimulatorCalls();
    app.log.warn(
      { node: done.node, legs: done.summary.legs, deliveries: done.deliveries },
      'took over the calls of a node whose lease expired',
    );
  };
  let recovered: number;
  let step = 'read the webhook outbox';
  try {
    recovered = await webhooks.recover(); // before any new call: what a killed process left goes out first
    step = 'join the other nodes on Redis';
    await cluster?.start(sb, server.devices.values(), webhooks);
    step = `listen on ${config.host}:${config.port}`;
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    options.err(`switchboard serve: cannot ${step}: ${(error as Error).message}`);
    await sb.close();
    await cluster?.close();
    await store?.close();
    return 1;
  }
  const address = app.server.address();
  const base = typeof address === 'object' && address ? `http://${config.host}:${address.port}` : publicUrl;
  if (config.notice) options.out(`\n  ${config.notice}\n`);
  options.out(`switchboard is listening on ${base}`);
  options.out(
    `  agent API     ${base}/api/v2/me   (HTTP Basic; users: ${config.users.map((u) => `${u.username} → device ${u.deviceDn}`).join(', ')})`,
  );
  if (config.simulator && sb.network instanceof SimulatedNetwork)
    options.out(`  simulator API ${base}/api/v2/simulator/…`);
  if (config.sip && sb.network instanceof SipNetwork) {
    for (const line of sipBanner(config.sip, await sb.network.listening)) options.out(line);
  }
  if (config.inspector !== 'off') options.out(`  inspector     ${base}/inspect   (log in as a configured user)`);
  options.out(`  health        ${base}/healthz`);
  if (store) {
    options.out(`  redis         ${store.url}, node id '${store.nodeId}', keys under '${store.prefix}'`);
    options.out(
      `                webhook outbox in Redis (${recovered} left by a previous process re-delivered); node lease ${store.leaseMs / 1000} s`,
    );
    const restored = sb.restored;
    options.out(
      restored
        ? `                call state in Redis: ${restored.legs} legs, ${restored.transfers} transfers, ${restored.agentCalls} agent calls and ${restored.timers} timers restored`
        : '                call state is NOT durable with this network: live calls are lost if this process dies',
    );
    options.out(
      restored && typeof sb.network.restoreLegs === 'function'
        ? `                other nodes on this Redis reach this node's agent calls; a node down past its lease is taken over`
        : `                other nodes on this Redis reach this node's agent calls`,
    );
  }
  options.out(
    `  try: curl -u ${config.users[0].username}:<password> ${base}/api/v2/me${options.config ? `   (passwords are in ${options.config})` : ''}`,
  );

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      app.log.info({ signal }, 'shutting down');
      cluster?.stopTakeover(); // a stopping node takes no other node's calls
      const closed = sb.close(); // every live call ends, and emits its terminal callback (SIP: BYE/CANCEL)
      // Lease lost: the store writes nothing more and refuses every append, so no callback is attempted again.
      const drained = webhooks.drain(signal === 'lease lost' ? 0 : DRAIN_MS).then((left) => {
        if (left > 0 && webhooks.durable)
          app.log.warn({ pending: left }, 'webhook deliveries left in the Redis outbox for the next start');
        else if (left > 0)
          app.log.error({ pending: left }, 'webhook deliveries still pending at shutdown (callback-error)');
      });
      void Promise.all([drained, closed, closeWithin(app, DRAIN_MS - 1000)])
        .then(() => cluster?.close())
        .then(() => store?.close())
        .then(() => resolve());
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    if (leaseLost) stop('lease lost');
    else onLeaseLost = () => stop('lease lost');
  });
  return leaseLost ? 1 : 0;
}

/**
 * The SIP network, listening; or the exit code after saying what is wrong (2: a bad option, 1: an address that
 * cannot be bound, e.g. a port in use).
 */
async function startSip(sip: SipConfig, err: (l: string) => void): Promise<SipNetwork | number> {
  let network: SipNetwork;
  try {
    network = createSipNetwork(sip);
  } catch (error) {
    err(`switchboard serve: ${(error as Error).message.replace(/^createSipNetwork\(\): /, 'sip: ')}`);
    return 2;
  }
  try {
    await network.listening;
  } catch (error) {
    err(`switchboard serve: cannot listen for SIP on ${sip.listen.join(', ')}: ${(error as Error).message}`);
    await network.close();
    return 1;
  }
  return network;
}

/** No application runs in the server: a call for no agent's DN is refused (404). */
function refuseCallsForNoAgent(sb: Switchboard<SipNetwork>): Switchboard<SipNetwork> {
  sb.on('incomingCall', (channel) => void channel.reject({ cause: Cause.UNOBTAINABLE }).catch(() => undefined));
  return sb;
}

/** The banner's SIP lines: the bound addresses, the agents' phones, the gateway and services. */
function sipBanner(sip: SipConfig, bound: readonly { protocol: string; host: string; port: number }[]): string[] {
  const lines = [`  sip           ${bound.map((b) => `${b.protocol.toLowerCase()}:${b.host}:${b.port}`).join(', ')}`];
  const agents = Object.entries(sip.agents ?? {});
  if (agents.length)
    lines.push(`                agents' phones: ${agents.map(([dn, uri]) => `${dn} → ${uri}`).join(', ')}`);
  if (sip.gateway) lines.push(`                numbers go to ${sip.gateway}`);
  const services = Object.entries(sip.services ?? {});
  if (services.length)
    lines.push(`                services: ${services.map(([n, uri]) => `${n} → ${uri}`).join(', ')}`);
  if (sip.ringbackTone) lines.push(`                transfers' ringback: ${sip.ringbackTone}`);
  return lines;
}
