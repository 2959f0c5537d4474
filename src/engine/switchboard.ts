/**
 * `createSwitchboard(options)`: the engine's public face. It wires a clock, a network (the simulated one by
 * default), the engine and the supervisor, and exposes channels, the event bus and a few counters that
 * make "nothing is left running" checkable.
 */
import type { Channel } from './channel';
import type { AgentDevice, AgentOptions } from './agent/device';
import { EngineClock, type EngineClockSource } from './clock';
import { Engine } from './engine';
import type { ActorOptions } from './leg';
import type { SwitchboardEvents, SwitchboardEventName } from './events';
import { Supervisor } from './supervisor';
import { SimulatedNetwork } from '../network/simulated';
import type { Network } from './network';
import type { SwitchboardInspection } from './inspection';
import { restoreEngine, type RestoreSummary, type StateStore } from './durable';

export interface SwitchboardOptions {
  /** Time source for every timer: XState's `SimulatedClock` in tests; the real clock by default. */
  clock?: EngineClockSource;
  /** `accountId` of every callback. Default `'9900000'`. */
  accountId?: string;
  /** `applicationId` of every callback. Default `'switchboard'`. */
  applicationId?: string;
  /** Base of `callUrl` in callbacks. Default `http://127.0.0.1:8080`. */
  publicUrl?: string;
  /** XState inspection observer, given to every leg and transfer actor (off by default: costs nothing). */
  inspect?: ActorOptions['inspect'];
  /**
   * Where the engine's state is kept (the Redis store, started): the calls a previous process of this node left
   * are restored, and every turn's changes are written before its callbacks go out. Default: in memory only.
   */
  store?: StateStore;
}

/** Options with a network of your own (a signalling adapter, or a test network) instead of the simulated one. */
export interface SwitchboardOptionsWithNetwork<N extends Network> extends SwitchboardOptions {
  network: N;
}

export interface SwitchboardStats {
  /** Legs not yet ended. */
  legs: number;
  /** Agent calls not yet released. */
  agentCalls: number;
  /** Transfers not yet ended. */
  transfers: number;
  /** Timers pending on the engine's clock (actors, network, waits). */
  timers: number;
  /** Terminal events (disconnect / transferDisconnect) emitted so far. */
  terminalEvents: number;
}

/** A live conference room: its Bandwidth `conferenceId`, its name and its members in the order they joined. */
export interface ConferenceInfo {
  conferenceId: string;
  name: string;
  members: Array<{ callId: string; talker: boolean }>;
}

export interface Switchboard<N extends Network = SimulatedNetwork> {
  /** The network that drives calls: the simulated one unless another was given. */
  readonly network: N;
  /** The engine's clock (`now()` is the time callbacks are stamped with). */
  readonly clock: EngineClock;
  readonly accountId: string;
  readonly applicationId: string;
  readonly publicUrl: string;
  /** Every step of every statechart, for whoever watches (the live inspector); costs nothing while nobody does. */
  readonly inspection: SwitchboardInspection;
  /** A new IDLE channel: for `call()`, or as the `other` channel of a transfer. */
  createChannel(): Channel;
  /** An agent device with the given DN (Genesys voice model); calls placed to the DN ring it. */
  agent(options: AgentOptions): AgentDevice;
  on<E extends SwitchboardEventName>(event: E, listener: SwitchboardEvents[E]): this;
  once<E extends SwitchboardEventName>(event: E, listener: SwitchboardEvents[E]): this;
  off<E extends SwitchboardEventName>(event: E, listener: SwitchboardEvents[E]): this;
  stats(): SwitchboardStats;
  /** The channel of a live leg, by its call id (undefined once the leg has ended). */
  channel(callId: string): Channel | undefined;
  /** The live conference room called `name`, or undefined (a room ends when its last member leaves). */
  conference(name: string): ConferenceInfo | undefined;
  /** Whether a leg with this call id is live (not yet ended). */
  hasCall(callId: string): boolean;
  /** What was restored from the store at creation (null without a store). */
  readonly restored: RestoreSummary | null;
  /**
   * Hang up every live call (each still emits its terminal event, at once); no new calls are accepted after.
   * Resolves once the network has closed (a SIP network's sockets); the simulated network has nothing to close.
   */
  close(): Promise<void>;
}

export function createSwitchboard(options?: SwitchboardOptions): Switchboard<SimulatedNetwork>;
export function createSwitchboard<N extends Network>(options: SwitchboardOptionsWithNetwork<N>): Switchboard<N>;
export function createSwitchboard(options: SwitchboardOptions & { network?: Network } = {}): Switchboard<Network> {
  const accountId = nonEmpty('accountId', options.accountId ?? '9900000');
  const applicationId = nonEmpty('applicationId', options.applicationId ?? 'switchboard');
  const publicUrl = baseUrl(options.publicUrl ?? 'http://127.0.0.1:8080');
  const clock = new EngineClock(options.clock);
  const network = options.network ?? new SimulatedNetwork();
  const supervisor = new Supervisor({ accountId, applicationId, publicUrl }, clock);
  const engine = new Engine(clock, network, supervisor, publicUrl, options.inspect);
  network.attach(engine, clock);
  if (network instanceof SimulatedNetwork) network.useChannels((callId) => engine.channelOf(callId));
  const restored = options.store ? restoreEngine(engine, network, options.store) : null;

  const sb: Switchboard<Network> = {
    network,
    clock,
    accountId,
    applicationId,
    publicUrl,
    inspection: engine.inspection,
    restored,
    createChannel: () => engine.createChannel(),
    agent: (agentOptions) => engine.desk.createAgent(agentOptions),
    on(event, listener) {
      supervisor.on(event, listener);
      return sb;
    },
    once(event, listener) {
      supervisor.on(event, listener, true);
      return sb;
    },
    off(event, listener) {
      supervisor.off(event, listener);
      return sb;
    },
    stats: () => ({
      legs: engine.legs.size,
      agentCalls: engine.desk.calls.size,
      transfers: engine.transfers.size,
      timers: clock.pendingTimers,
      terminalEvents: supervisor.terminalEvents,
    }),
    close: async () => {
      engine.close();
      await (network as Network).close?.();
    },
    hasCall: (callId) => engine.legs.has(callId),
    conference: (name) => {
      const room = engine.conferences.room(name);
      return room && { conferenceId: room.conferenceId, name: room.name, members: room.members() };
    },
    channel: (callId) => engine.channelOf(callId),
  };
  return sb;
}

function nonEmpty(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`createSwitchboard(): ${name} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}

function baseUrl(value: unknown): string {
  if (typeof value !== 'string' || !URL.canParse(value)) {
    throw new TypeError(`createSwitchboard(): publicUrl must be an absolute URL, got ${JSON.stringify(value)}`);
  }
  return value.replace(/\/+$/, '');
}
