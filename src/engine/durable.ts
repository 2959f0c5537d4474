/**
 * Durable engine state: every live leg, transfer, consult, agent call and agent device as a JSON record (its
 * facts, its relations as ids, the persisted snapshot of its actor and its pending timers with their absolute
 * deadlines), plus the simulated network's far ends. A switchboard with a store marks what each turn touches;
 * when the outermost turn ends, before its callbacks are delivered, the changed records go to the store in one
 * batch, and the store sends that batch (with the outbox appends of those callbacks) once the deliveries have
 * been handed over (turns.ts hooks). A network with data of its own per leg (the simulated far ends, SIP dialogs)
 * contributes it to the leg's record through the port's `persistLeg` and gets it back with `restoreLegs`.
 * `restoreEngine` rebuilds the registry from the records a previous process of the same node left: actors from
 * their snapshots, each timer re-armed at its original deadline, and then hands the network its legs' data (a SIP
 * network ends the dialogs it cannot continue).
 * Without a store none of this runs (docs/durability.md).
 */
import type { Direction, EndCause, State } from '../../machines/vocabulary';
import type { ConsultView } from '../../machines/agentCall';
import { actorTimerRecords, rearmTimers, type ActorTimerKind, type ActorTimerRecord } from './actorTimers';
import type { LegFacts } from './callbacks';
import type { CallbackUrls } from './events';
import type { Engine } from './engine';
import { Leg, type LegTransfer } from './leg';
import { parentsFirst } from './restoreOrder';
import type { ConfirmedCommand, Destination, Network } from './network';
import { TransferRun } from './transfer';
import { AgentCall } from './agent/call';
import { ConsultRun } from './agent/consult';
import { AgentDevice } from './agent/device';
import { ConferenceRoom, type RoomEntry, type RoomRecord } from './conference';

/** Where a durable switchboard keeps its records (the Redis store is one): `createSwitchboard({ store })`. */
export interface StateStore {
  /** The records a previous process of this node left (key → JSON), read when the store started; handed over once. */
  restored(): ReadonlyMap<string, string>;
  /** One turn's changed records (JSON) and removed keys; kept until `flush()` sends them in one batch. */
  write(put: ReadonlyMap<string, string>, del: readonly string[]): void;
  /** The turn's deliveries have been handed over: send the batch (the outbox appends go in it too). */
  flush(): void;
  /** Resolves once every turn ended so far is stored; rejects with the reason when it could not be. */
  written(): Promise<void>;
}

/** A record's version (a store written by another version is refused rather than misread). */
const VERSION = 1;

interface LegRecord {
  v: number;
  callId: string;
  direction: Direction;
  from: string;
  to: string;
  tag?: string;
  destination?: Destination;
  /** The parent leg's facts (its callbacks need them even once it has ended). */
  parent?: LegFacts;
  startTime: number;
  answerTime?: number;
  errorMessage?: string;
  errorId?: string;
  callbackUrls?: CallbackUrls;
  lastState: State;
  earlyMedia: boolean;
  remoteHeld: boolean;
  outstanding: ConfirmedCommand[];
  /** Key of the transfer or consult the leg is in, or null. */
  transfer: string | null;
  /** The agent call that shows it (a restore sets this relation from the agent call's `leg`). */
  agentCall: string | null;
  /** The channel: the agent whose desk operates it, the tone its tone player plays (undefined: no player). */
  agent: string | null;
  tone?: string | null;
  snapshot: unknown;
  timers: ActorTimerRecord[];
  /** The network's own data for the leg (`Network.persistLeg`: a simulated far end, a SIP dialog). */
  network?: unknown;
}

interface TransferRecord {
  v: number;
  id: string;
  parent: string;
  target: string;
  tone: string;
  /** The conference room a transfer into a room goes to. */
  room?: RoomEntry;
  snapshot: unknown;
  timers: ActorTimerRecord[];
}

interface ConsultRecord {
  v: number;
  id: string;
  device: string;
  parent: string;
  parentCall: string | null;
  destination: string;
  blind: boolean;
  target: string | null;
  consultCall: string | null;
  snapshot: unknown;
  timers: ActorTimerRecord[];
}

interface AgentCallRecord {
  v: number;
  id: string;
  /** Order of creation (a desk lists its calls in it). */
  seq: number;
  connId: string;
  device: string;
  createdAt: number;
  legCallId: string;
  leg: string | null;
  party: string;
  dnis: string;
  parentCallUri?: string;
  consultSent: ConsultView | null;
  /** Its consult's key (a restore sets this relation from the consult's `parentCall` and `consultCall`). */
  consult: string | null;
  snapshot: unknown;
  timers: ActorTimerRecord[];
}

interface DeviceRecord {
  v: number;
  phoneNumber: string;
  deviceId: string;
  consultTimeout: number | null;
}

type Tracked = Leg | LegTransfer | AgentCall | ConferenceRoom;

/** A network that stores data of its own per leg (the port's optional durable part: the simulated one, SIP). */
type DataNetwork = Network & Required<Pick<Network, 'persistLeg' | 'restoreLegs'>>;

function dataNetwork(network: Network): DataNetwork | null {
  return typeof network.persistLeg === 'function' && typeof network.restoreLegs === 'function'
    ? (network as DataNetwork)
    : null;
}

const facts = (leg: Leg): LegFacts => {
  const { callId, direction, from, to, tag, startTime, answerTime, endTime, endCause, errorMessage, errorId } = leg;
  return { callId, direction, from, to, tag, startTime, answerTime, endTime, endCause, errorMessage, errorId };
};

export class Durability {
  private readonly legs = new Set<Leg>();
  private readonly transfers = new Set<LegTransfer>();
  private readonly calls = new Set<AgentCall>();
  private readonly devices = new Set<AgentDevice>();
  private readonly rooms = new Set<ConferenceRoom>();
  private networkChanged = false;
  private readonly network: DataNetwork | null;
  /** Agent calls in order of creation. */
  private readonly order = new WeakMap<AgentCall, number>();
  private nextSeq = 0;

  constructor(
    private readonly engine: Engine,
    network: Network,
    private readonly store: StateStore,
  ) {
    this.network = dataNetwork(network);
  }

  /** Follow a new actor: every change of its snapshot marks it. */
  track(item: Tracked, seq?: number): void {
    if (item instanceof AgentCall) {
      const n = seq ?? this.nextSeq;
      this.order.set(item, n);
      this.nextSeq = Math.max(this.nextSeq, n + 1);
    }
    this.mark(item);
    item.actor.subscribe(() => this.mark(item));
  }

  /** Write this item's record (or remove it, once it has left the registry) when the turn ends. */
  mark(item: Tracked): void {
    if (item instanceof Leg) this.legs.add(item);
    else if (item instanceof AgentCall) this.calls.add(item);
    else if (item instanceof ConferenceRoom) this.rooms.add(item);
    else this.transfers.add(item);
  }

  device(device: AgentDevice): void {
    this.devices.add(device);
  }

  networkConfig(): void {
    this.networkChanged = true;
  }

  /** The outermost turn ended: hand its changes to the store (before its callbacks go out). */
  ended(): void {
    const put = new Map<string, string>();
    const del: string[] = [];
    const engine = this.engine;
    for (const run of this.transfers) {
      // A transfer's commands change its legs' media: their records go too.
      this.legs.add(run.parent);
      if (run.target) this.legs.add(run.target);
      const key = run.registryId;
      if (engine.transfers.has(run)) put.set(key, JSON.stringify(this.transferRecord(run)));
      else del.push(key);
    }
    for (const leg of this.legs) {
      const key = `leg:${leg.callId}`;
      if (engine.legs.get(leg.callId) === leg) put.set(key, JSON.stringify(this.legRecord(leg)));
      else del.push(key);
    }
    for (const call of this.calls) {
      const key = `agentCall:${call.id}`;
      if (engine.desk.calls.get(call.id) === call) put.set(key, JSON.stringify(this.callRecord(call)));
      else del.push(key);
    }
    for (const device of this.devices) {
      const record: DeviceRecord = {
        v: VERSION,
        phoneNumber: device.phoneNumber,
        deviceId: device.deviceId,
        consultTimeout: device.consultTimeout,
      };
      put.set(`device:${device.phoneNumber}`, JSON.stringify(record));
    }
    for (const room of this.rooms) {
      const key = `conference:${room.name}`;
      if (engine.conferences.room(room.name) === room) put.set(key, JSON.stringify({ v: VERSION, ...room.record() }));
      else del.push(key);
    }
    if (this.networkChanged && this.network?.persistConfig)
      put.set('network', JSON.stringify(this.network.persistConfig()));
    this.clean();
    if (put.size || del.length) this.store.write(put, del);
  }

  /** Forget what is marked (the restore marks everything it rebuilds, all of it as stored). */
  clean(): void {
    this.legs.clear();
    this.transfers.clear();
    this.calls.clear();
    this.devices.clear();
    this.rooms.clear();
    this.networkChanged = false;
  }

  drained(): void {
    this.store.flush();
  }

  private legRecord(leg: Leg): LegRecord {
    const channel = this.engine.channelOf(leg.callId);
    const relations = this.engine.relations;
    const record: LegRecord = {
      v: VERSION,
      ...facts(leg),
      destination: leg.destination,
      parent: leg.parent && facts(leg.parent),
      callbackUrls: leg.callbackUrls,
      lastState: leg.lastState,
      earlyMedia: leg.earlyMedia,
      remoteHeld: leg.remoteHeld,
      outstanding: [...leg.outstanding],
      transfer: relations.transferOf(leg.callId) ?? null,
      agentCall: relations.callOf(leg.callId) ?? null,
      agent: channel?.agentLock ?? null,
      tone: channel?.tonePlayer ? channel.tonePlayer.playing : undefined,
      snapshot: leg.actor.getPersistedSnapshot(),
      timers: this.timers('leg', leg.callId),
      network: this.network?.persistLeg(leg.callId),
    };
    return record;
  }

  private transferRecord(run: LegTransfer): TransferRecord | ConsultRecord {
    if (run instanceof TransferRun) {
      return {
        v: VERSION,
        id: run.id,
        parent: run.parent.callId,
        target: run.target.callId,
        tone: run.ringback.tone,
        room: this.engine.conferences.entryOf(run),
        snapshot: run.actor.getPersistedSnapshot(),
        timers: this.timers('transfer', run.id),
      };
    }
    const consult = run as ConsultRun;
    const relations = this.engine.relations;
    return {
      v: VERSION,
      id: consult.inspectedId,
      device: consult.device.phoneNumber,
      parent: consult.parent.callId,
      parentCall: relations.callIn(consult.registryId, 'parent') ?? null,
      destination: consult.destination,
      blind: consult.blind,
      target: consult.target?.callId ?? null,
      consultCall: relations.callIn(consult.registryId, 'consult') ?? null,
      snapshot: consult.actor.getPersistedSnapshot(),
      timers: this.timers('consult', consult.inspectedId),
    };
  }

  private callRecord(call: AgentCall): AgentCallRecord {
    const relations = this.engine.relations;
    return {
      v: VERSION,
      id: call.id,
      seq: this.order.get(call) ?? 0,
      connId: call.connId,
      device: call.owner.phoneNumber,
      createdAt: call.createdAt,
      legCallId: call.legCallId,
      leg: relations.legOf(call.id) ?? null,
      party: call.party,
      dnis: call.dnis,
      parentCallUri: call.parentCallUri,
      consultSent: call.consultSent,
      consult: relations.consultOf(call.id) ?? null,
      snapshot: call.actor.getPersistedSnapshot(),
      timers: this.timers('agentCall', call.id),
    };
  }

  private timers(kind: ActorTimerKind, id: string): ActorTimerRecord[] {
    return actorTimerRecords(this.engine.clock, kind, id);
  }
}

/** What a restore brought back (counts, for the start-up line and tests). */
export interface RestoreSummary {
  legs: number;
  transfers: number;
  agentCalls: number;
  timers: number;
}

/**
 * Rebuild the engine's registry from the records a previous process of this node left, then write every turn's
 * changes to `store` from now on. Actors start from their persisted snapshots (no entry action runs again, no
 * callback is emitted again); each stored timer is armed at its original deadline, at once if it has passed.
 */
export function restoreEngine(engine: Engine, network: Network, store: StateStore): RestoreSummary {
  // Tracking starts now (each restored actor follows its changes); what the restore itself marks is dropped.
  const durable = new Durability(engine, network, store);
  engine.durable = durable;
  const summary = rebuildEngine(engine, network, store.restored(), durable, false);
  durable.clean();
  engine.supervisor.turns.hooks = durable;
  const data = dataNetwork(network);
  if (data?.persistConfig) data.onConfigChange = () => engine.turn(() => durable.networkConfig());
  return summary;
}

/**
 * The records of another node (a node whose lease expired, src/cluster/takeover.ts) that this engine takes over:
 * its calls, transfers, consults and agent calls, and the devices this node lacks (this node keeps its own
 * devices and network settings). Consult ids are numbered per node, so each adopted consult gets a new number
 * here (see renumberConsults).
 */
export function adoptableRecords(engine: Engine, stored: ReadonlyMap<string, string>): Map<string, string> {
  const records = new Map<string, string>();
  for (const [key, json] of stored) {
    if (key === 'network') continue;
    if (key.startsWith('device:') && engine.desk.devices.has(key.slice('device:'.length))) continue;
    records.set(key, json);
  }
  return renumberConsults(records, () => `consult:${++engine.desk.consultSeq}`);
}

/**
 * Rebuild adopted records (from `adoptableRecords`) in this running durable engine, as a restart would; every
 * adopted item stays marked, so its record is written to this node's state when the adopting turn ends.
 */
export function adoptRecords(engine: Engine, network: Network, records: ReadonlyMap<string, string>): RestoreSummary {
  if (!engine.durable) throw new Error('only a durable engine can take calls over');
  return rebuildEngine(engine, network, records, engine.durable, true);
}

/**
 * Consult ids are numbered per node (`consult:<n>`), so an adopted node's may clash with this node's: each gets
 * a new number, and the records naming it (its legs' `transfer`, its agent calls' `consult`) follow.
 */
function renumberConsults(records: Map<string, string>, next: () => string): Map<string, string> {
  const renamed = new Map<string, string>();
  for (const key of records.keys()) if (key.startsWith('consult:')) renamed.set(key, next());
  if (renamed.size === 0) return records;
  const out = new Map<string, string>();
  for (const [key, json] of records) {
    const record = JSON.parse(json) as { id?: string; transfer?: string | null; consult?: string | null };
    if (key.startsWith('consult:')) record.id = renamed.get(key);
    if (typeof record.transfer === 'string') record.transfer = renamed.get(record.transfer) ?? record.transfer;
    if (typeof record.consult === 'string') record.consult = renamed.get(record.consult) ?? record.consult;
    out.set(renamed.get(key) ?? key, JSON.stringify(record));
  }
  return out;
}

/** A store's records, parsed and sorted by kind in one pass (a record of another version is refused). */
interface ParsedRecords {
  network?: unknown;
  devices: DeviceRecord[];
  legs: LegRecord[];
  agentCalls: AgentCallRecord[];
  transfers: TransferRecord[];
  consults: ConsultRecord[];
  rooms: RoomRecord[];
}

function parseRecords(stored: ReadonlyMap<string, string>): ParsedRecords {
  const parsed: ParsedRecords = { devices: [], legs: [], agentCalls: [], transfers: [], consults: [], rooms: [] };
  const kinds: Record<string, unknown[] | undefined> = {
    device: parsed.devices,
    leg: parsed.legs,
    agentCall: parsed.agentCalls,
    transfer: parsed.transfers,
    consult: parsed.consults,
    conference: parsed.rooms,
  };
  for (const [key, json] of stored) {
    const record = JSON.parse(json) as { v?: number };
    if (key === 'network') {
      parsed.network = record;
      continue;
    }
    if (record.v !== VERSION)
      throw new Error(`stored engine state: record ${key} has version ${String(record.v)}, expected ${VERSION}`);
    kinds[key.slice(0, key.indexOf(':'))]?.push(record);
  }
  return parsed;
}

function rebuildEngine(
  engine: Engine,
  network: Network,
  stored: ReadonlyMap<string, string>,
  durable: Durability,
  adopting: boolean,
): RestoreSummary {
  const records = parseRecords(stored);
  const data = dataNetwork(network);
  if (records.network && data?.restoreConfig && !adopting) data.restoreConfig(records.network);
  const desk = engine.desk;
  for (const record of records.devices) {
    const device = new AgentDevice(
      desk,
      { phoneNumber: record.phoneNumber, consultTimeout: record.consultTimeout },
      engine.publicUrl,
      record.deviceId,
    );
    desk.devices.set(record.phoneNumber, device);
    if (adopting) durable.device(device);
    else desk.restoredDevices.set(record.phoneNumber, device);
  }
  const rearm: Array<() => number> = [];

  // Legs, parents first (a parent that has ended is kept as its facts, for its target's callbacks).
  const legRecords = records.legs;
  const ordered = parentsFirst(legRecords);
  for (const r of ordered) {
    const parent = r.parent && (engine.legs.get(r.parent.callId) ?? endedParent(r.parent, engine));
    const leg = new Leg(
      {
        callId: r.callId,
        direction: r.direction,
        from: r.from,
        to: r.to,
        tag: r.tag,
        destination: r.destination,
        parent,
        startTime: r.startTime,
        snapshot: r.snapshot,
      },
      engine.actorOptions,
    );
    leg.answerTime = r.answerTime;
    if (r.errorMessage !== undefined) leg.errorMessage = r.errorMessage;
    if (r.errorId !== undefined) leg.errorId = r.errorId;
    if (r.callbackUrls) leg.callbackUrls = r.callbackUrls;
    leg.lastState = r.lastState;
    leg.earlyMedia = r.earlyMedia;
    leg.remoteHeld = r.remoteHeld;
    for (const kind of r.outstanding) leg.outstanding.add(kind);
    const channel = engine.createChannel();
    if (r.agent !== null) channel.lockToAgent(r.agent);
    if (r.tone !== undefined) channel.createTonePlayer().playing = r.tone;
    engine.open(channel, leg);
    rearm.push(() => (rearmTimers(leg.actor, engine.clock, r.timers), r.timers.length));
  }

  // Agent calls, on their devices.
  const calls = new Map<string, AgentCall>();
  const callRecords = records.agentCalls.sort((a, b) => a.seq - b.seq);
  for (const r of callRecords) {
    const device = desk.devices.get(r.device);
    const leg = r.leg === null ? undefined : engine.legs.get(r.leg);
    if (!device || !leg) continue; // a call whose leg is gone is over for the agent
    const call = new AgentCall(
      device,
      {
        leg,
        start: 'Ringing',
        callType: 'Inbound',
        party: r.party,
        dnis: r.dnis,
        parentCallUri: r.parentCallUri,
        restore: {
          id: r.id,
          connId: r.connId,
          createdAt: r.createdAt,
          legCallId: r.legCallId,
          snapshot: r.snapshot,
          consultSent: r.consultSent,
        },
      },
      engine.actorOptions,
    );
    calls.set(call.id, call);
    desk.calls.set(call.id, call);
    engine.relations.show(leg.callId, call.id);
    engine.inspection.created(call);
    durable.track(call, adopting ? undefined : r.seq); // adopted calls come after this node's own
    device.adopt(call);
    rearm.push(() => (rearmTimers(call.actor, engine.clock, r.timers), r.timers.length));
  }

  // Conference rooms, before the transfers into them.
  for (const r of records.rooms) engine.conferences.restore(r);

  // Transfers and consults.
  const runs = new Map<string, LegTransfer>();
  for (const r of records.transfers) {
    const parent = engine.legs.get(r.parent);
    const target = engine.legs.get(r.target);
    if (!parent || !target) continue;
    const player = (engine.channelOf(parent.callId) ?? engine.createChannel()).createTonePlayer();
    const run = new TransferRun(parent, target, null, { player, tone: r.tone }, engine, engine.actorOptions, {
      id: r.id,
      snapshot: r.snapshot,
    });
    if (r.room) engine.conferences.attach(run, r.room);
    runs.set(`transfer:${r.id}`, run);
    engine.transfers.add(run);
    engine.inspection.created(run);
    durable.track(run);
    run.actor.start();
    rearm.push(() => (rearmTimers(run.actor, engine.clock, r.timers), r.timers.length));
  }
  for (const r of records.consults) {
    const device = desk.devices.get(r.device);
    const parent = engine.legs.get(r.parent);
    if (!device || !parent) continue;
    const run = new ConsultRun(
      r.id,
      device,
      parent,
      null, // its agent calls are relations, set below by id
      r.destination,
      r.blind,
      null,
      desk,
      engine.actorOptions,
      {
        snapshot: r.snapshot,
        target: r.target === null ? null : (engine.legs.get(r.target) ?? null),
      },
    );
    runs.set(r.id, run);
    if (r.parentCall !== null && calls.has(r.parentCall)) engine.relations.joinConsult(r.parentCall, r.id, 'parent');
    if (r.consultCall !== null && calls.has(r.consultCall))
      engine.relations.joinConsult(r.consultCall, r.id, 'consult');
    desk.consultSeq = Math.max(desk.consultSeq, Number(r.id.slice('consult:'.length)) || 0);
    engine.transfers.add(run);
    engine.inspection.created(run);
    durable.track(run);
    run.start();
    rearm.push(() => (rearmTimers(run.actor, engine.clock, r.timers), r.timers.length));
  }

  // Which transfer each leg is in, as its record says by id (the runs' constructors joined their own legs; the
  // records win). The agent calls' legs and consults were set above, as each was restored.
  for (const r of legRecords) {
    if (r.transfer !== null && runs.has(r.transfer)) engine.relations.joinTransfer(r.callId, r.transfer);
    else engine.relations.leaveTransfer(r.callId);
  }

  // Timers last, once every actor runs: a deadline that passed while the node was down fires at once.
  let timers = rearm.reduce((n, arm) => n + arm(), 0);
  // Then the network's own part of each leg (it ends, on a later macrotask, the legs it cannot continue).
  const restored = legRecords.map((r) => ({
    callId: r.callId,
    state: r.lastState,
    parent: r.parent?.callId ?? null,
    data: r.network,
  }));
  if (data && restored.length) timers += data.restoreLegs(restored, adopting ? 'takeover' : 'restart');

  return { legs: legRecords.length, transfers: runs.size, agentCalls: calls.size, timers };
}

/** The facts of a parent leg that ended before the restart (never started: its target's callbacks read it). */
function endedParent(parent: LegFacts, engine: Engine): Leg {
  const leg = new Leg({ ...parent }, engine.actorOptions);
  leg.answerTime = parent.answerTime;
  leg.endTime = parent.endTime;
  leg.endCause = parent.endCause as EndCause | undefined;
  if (parent.errorMessage !== undefined) leg.errorMessage = parent.errorMessage;
  if (parent.errorId !== undefined) leg.errorId = parent.errorId;
  return leg;
}
