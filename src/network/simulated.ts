/**
 * The simulated network: the embedded default that drives calls, deterministic and scriptable.
 *
 * Far ends are registered by address (`addEndpoint`), inbound-service name (`addInboundService`) or conference
 * room (`addConferenceRoom`; an unscripted room's bridge answers at once) with a behaviour; `placeCall` brings an inbound call to the application; `farEnd(callId)` is the far party of any
 * leg, so a test or a person can hang it up. Every delay runs on the engine's clock as a timer record of kind
 * `farEnd` (the call id, what the far end does, its deadline: see `scripts()`), and every timer of a leg is
 * cleared when the leg ends.
 */
import type { EndCause } from '../../machines/vocabulary';
import type { Channel } from '../engine/channel';
import type { EngineClock, TimerHandle, TimerRecord } from '../engine/clock';
import type { Destination, Network, NetworkIndications, RestoredLeg } from '../engine/network';

/** What the simulated network's media is doing for one live leg. */
export interface SimulatedMedia {
  /** The tone playing to the leg, or null. */
  tone: string | null;
  /** The leg whose media this leg's is connected to, or null. */
  bridgedTo: string | null;
}

export const OUTCOMES = ['answer', 'busy', 'reject', 'noAnswer', 'unobtainable', 'clearBeforeAnswer'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * How a far end behaves when called.
 * - `answer`: rings `ringFor` seconds, answers; hangs up `hangUpAfter` seconds after answering if given.
 * - `reject`: rings `ringFor` seconds, then declines (SIP 603).
 * - `clearBeforeAnswer`: rings `ringFor` seconds, then clears normally without answering.
 * - `noAnswer`: rings until the caller gives up.
 * - `busy`, `unobtainable`: answer at once with 486 / 404 (no ringing; `ringFor` is not used).
 * `earlyMedia: true` (with an outcome that rings): the far end sends media of its own while it rings (SIP 183
 * with SDP), so a transferred caller hears it instead of our ringback.
 */
export interface Behaviour {
  outcome: Outcome;
  /** Seconds of ringing before the outcome. Default 2. */
  ringFor?: number;
  /** Seconds after answering at which the far end hangs up (only with `answer`). Default: never. */
  hangUpAfter?: number;
  /** The far end sends early media while ringing (183 with SDP); not with `busy` or `unobtainable`. Default false. */
  earlyMedia?: boolean;
}

/** The far party of a leg. */
export interface FarEnd {
  readonly callId: string;
  /** The far end hangs up (no effect once the leg has ended). */
  hangUp(): void;
  /** A signalling failure on the leg: it goes to ERROR and the application must hang it up. */
  fail(message: string): void;
  /** The far end puts the call on hold (a far-end re-INVITE): `channel.remoteHold` becomes true. */
  hold(): void;
  /** The far end takes the call off hold. */
  unhold(): void;
}

export const DEFAULT_RING_SECONDS = 2;

/** What the simulated network keeps for one live leg, as data (a restarted node gives it back): see `legState`. */
export interface SimulatedLegState {
  /** The far end's pending script steps (`farEnd` timer records, absolute deadlines). */
  timers: Array<{ id: string; deadline: number; event: FarEndAction }>;
  media: SimulatedMedia | null;
}

/** The far ends registered by address and by service name (see `config`). */
export interface SimulatedConfig {
  endpoints: Array<[string, Behaviour]>;
  services: Array<[string, Behaviour]>;
}

/** What a far end does when one of its timers falls due (the `event` of a `farEnd` timer record). */
export type FarEndAction =
  { type: 'answer'; hangUpAfter: number | null } | { type: 'clear'; cause: 'rejected' | 'normal' } | { type: 'hangUp' };

const FAR_END = 'farEnd';

export class SimulatedNetwork implements Network {
  private engine: NetworkIndications | null = null;
  private clock: EngineClock | null = null;
  private readonly endpoints = new Map<string, Behaviour>();
  private readonly services = new Map<string, Behaviour>();
  /** Scripted conference rooms; a room with no script answers at once (the conference bridge is always there). */
  private readonly rooms = new Map<string, Behaviour>();
  /** Pending far-end timers per live leg, by record id. */
  private readonly timers = new Map<string, Map<string, TimerHandle>>();
  /** Media state of legs with a tone or a bridge (forgotten on release). */
  private readonly mediaOf = new Map<string, SimulatedMedia>();
  /** The application's channel of a leg (set by `createSwitchboard`; the port itself knows no channels). */
  private channelOf: ((callId: string) => Channel | undefined) | null = null;
  /** Numbers far-end timer records (their ids). */
  private scripted = 0;
  /** @internal Told when a far end is registered (a durable switchboard writes the configuration). */
  onConfigChange: (() => void) | null = null;

  attach(engine: NetworkIndications, clock: EngineClock): void {
    this.engine = engine;
    this.clock = clock;
    clock.setDispatcher(FAR_END, (record) => this.fire(record));
  }

  /** The far ends' pending scripts: timer records `{ id, deadline, target: { kind: 'farEnd', id: callId }, event }`. */
  scripts(): TimerRecord[] {
    return (this.clock?.pending() ?? []).filter((record) => record.target.kind === FAR_END);
  }

  /** @internal Lets `placeCall` hand back the channel of the leg the engine created. */
  useChannels(channelOf: (callId: string) => Channel | undefined): void {
    this.channelOf = channelOf;
  }

  /** The far end registered at `address`, if any (a copy). */
  endpoint(address: string): Behaviour | undefined {
    const behaviour = this.endpoints.get(address);
    return behaviour && { ...behaviour };
  }

  /** @internal The registered far ends, as data. */
  config(): SimulatedConfig {
    return { endpoints: [...this.endpoints], services: [...this.services] };
  }

  /** @internal Register the far ends a previous process of this node had (before any call). */
  restoreConfig(config: SimulatedConfig): void {
    for (const [address, behaviour] of config.endpoints) this.endpoints.set(address, behaviour);
    for (const [name, behaviour] of config.services) this.services.set(name, behaviour);
  }

  /** @internal A live leg's far-end timers and media, as data; undefined when it has neither. */
  legState(callId: string): SimulatedLegState | undefined {
    const pending = this.timers.get(callId);
    const media = this.mediaOf.get(callId) ?? null;
    if (!pending && !media) return undefined;
    const timers = [...(pending?.values() ?? [])].map((handle) => {
      const { id, deadline, event } = handle as TimerRecord;
      return { id, deadline, event: event as FarEndAction };
    });
    return { timers, media: media && { ...media } };
  }

  /** @internal Resume a restored leg's far end: each script step at its original deadline (at once if passed). */
  restoreLeg(callId: string, state: SimulatedLegState): void {
    const clock = this.clock as EngineClock;
    if (state.media) this.mediaOf.set(callId, { ...state.media });
    for (const { id, deadline, event } of state.timers) {
      let pending = this.timers.get(callId);
      if (!pending) this.timers.set(callId, (pending = new Map()));
      pending.set(id, clock.schedule({ kind: FAR_END, id: callId }, event, deadline - clock.now(), id));
      const n = Number(id.slice(id.lastIndexOf('-') + 1));
      if (Number.isInteger(n) && n >= this.scripted) this.scripted = n + 1;
    }
  }

  /** @internal The durable port (src/engine/network.ts): a leg's far-end script and media, as `legState`. */
  persistLeg(callId: string): SimulatedLegState | undefined {
    return this.legState(callId);
  }

  /** @internal Every restored leg's far end resumes (restart and takeover alike); returns the timers re-armed. */
  restoreLegs(legs: readonly RestoredLeg[]): number {
    let timers = 0;
    for (const { callId, data } of legs) {
      if (!data) continue;
      const state = data as SimulatedLegState;
      this.restoreLeg(callId, state);
      timers += state.timers.length;
    }
    return timers;
  }

  /** @internal The registered far ends, as data (`config`). */
  persistConfig(): SimulatedConfig {
    return this.config();
  }

  /** What the media of a leg is doing now (no tone, no bridge once it has ended). */
  media(callId: string): SimulatedMedia {
    return { ...(this.mediaOf.get(callId) ?? { tone: null, bridgedTo: null }) };
  }

  /** Register (or replace) the far end at `address`. */
  addEndpoint(address: string, behaviour: Behaviour): this {
    this.endpoints.set(checkName('addEndpoint', 'address', address), checkBehaviour('addEndpoint', behaviour));
    this.onConfigChange?.();
    return this;
  }

  /** Register (or replace) an inbound service, the target of `transferToInboundService`. */
  addInboundService(name: string, behaviour: Behaviour): this {
    this.services.set(checkName('addInboundService', 'name', name), checkBehaviour('addInboundService', behaviour));
    this.onConfigChange?.();
    return this;
  }

  /** Script the conference bridge of room `name` (the target of `transferToConferenceRoom`): busy, no answer… */
  addConferenceRoom(name: string, behaviour: Behaviour): this {
    this.rooms.set(checkName('addConferenceRoom', 'name', name), checkBehaviour('addConferenceRoom', behaviour));
    return this;
  }

  /** An inbound call from `from` to the application's number `to`. The channel is CALL_INCOMING. */
  placeCall(call: { from: string; to: string }): { channel: Channel; farEnd: FarEnd } {
    checkName('placeCall', 'from', call?.from);
    checkName('placeCall', 'to', call?.to);
    const callId = this.indications().offer({ from: call.from, to: call.to });
    const channel = this.channelOf?.(callId);
    if (!channel) throw new Error('placeCall(): the simulated network is not attached to a switchboard');
    return { channel, farEnd: this.farEnd(callId) };
  }

  /** The far end of any leg, by its call id. */
  farEnd(callId: string): FarEnd {
    return {
      callId,
      hangUp: () => this.indications().hungUp(callId),
      fail: (message: string) => this.indications().failed(callId, message),
      hold: () => this.indications().remoteHold(callId),
      unhold: () => this.indications().remoteUnhold(callId),
    };
  }

  // ---- Network: commands from the engine ----

  dial(callId: string, destination: Destination, _from: string): void {
    const engine = this.indications();
    if (destination.kind === 'room' && !this.rooms.has(destination.to)) {
      engine.answered(callId);
      return;
    }
    const scripts = { address: this.endpoints, service: this.services, room: this.rooms }[destination.kind];
    const behaviour = scripts.get(destination.to);
    if (!behaviour) {
      const message =
        destination.kind === 'service'
          ? `No inbound service named '${destination.to}'`
          : `The number ${destination.to} is unobtainable`;
      engine.cleared(callId, 'unobtainable', message);
      return;
    }
    const ringMs = (behaviour.ringFor ?? DEFAULT_RING_SECONDS) * 1000;
    const ringing = () => engine.progress(callId, behaviour.earlyMedia ? { earlyMedia: true } : undefined);
    switch (behaviour.outcome) {
      case 'busy':
        engine.cleared(callId, 'busy');
        return;
      case 'unobtainable':
        engine.cleared(callId, 'unobtainable', `The number ${destination.to} is unobtainable`);
        return;
      case 'noAnswer':
        ringing();
        return;
      case 'reject':
        ringing();
        this.after(callId, ringMs, { type: 'clear', cause: 'rejected' });
        return;
      case 'clearBeforeAnswer':
        ringing();
        this.after(callId, ringMs, { type: 'clear', cause: 'normal' });
        return;
      case 'answer':
        ringing();
        this.after(callId, ringMs, { type: 'answer', hangUpAfter: behaviour.hangUpAfter ?? null });
        return;
    }
  }

  ring(_callId: string): void {}

  answer(callId: string): void {
    this.indications().accepted(callId);
  }

  hold(callId: string): void {
    this.indications().holdResult(callId, { ok: true });
  }

  unhold(callId: string): void {
    this.indications().unholdResult(callId, { ok: true });
  }

  reconnect(callId: string): void {
    this.indications().reconnected(callId);
  }

  bridge(a: string, b: string): void {
    this.mediaState(a).bridgedTo = b;
    this.mediaState(b).bridgedTo = a;
  }

  unbridge(a: string, b: string): void {
    for (const [leg, other] of [
      [a, b],
      [b, a],
    ]) {
      const media = this.mediaOf.get(leg);
      if (media?.bridgedTo === other) media.bridgedTo = null;
    }
  }

  playTone(callId: string, tone: string): void {
    this.mediaState(callId).tone = tone;
  }

  stopTone(callId: string): void {
    const media = this.mediaOf.get(callId);
    if (media) media.tone = null;
  }

  release(callId: string, _cause: EndCause, _by: 'local' | 'remote'): void {
    this.mediaOf.delete(callId);
    const pending = this.timers.get(callId);
    if (!pending) return;
    for (const handle of pending.values()) this.clock?.cancel(handle);
    this.timers.delete(callId);
  }

  // ---- helpers ----

  private mediaState(callId: string): SimulatedMedia {
    let media = this.mediaOf.get(callId);
    if (!media) this.mediaOf.set(callId, (media = { tone: null, bridgedTo: null }));
    return media;
  }

  private indications(): NetworkIndications {
    if (!this.engine) throw new Error('The simulated network is not attached to a switchboard');
    return this.engine;
  }

  /** The far end of `callId` does `action` after `ms` on the engine's clock (at once for 0), unless the leg ends first. */
  private after(callId: string, ms: number, action: FarEndAction): void {
    if (ms === 0) {
      this.act(callId, action);
      return;
    }
    const clock = this.clock as EngineClock;
    let pending = this.timers.get(callId);
    if (!pending) this.timers.set(callId, (pending = new Map()));
    const id = `farEnd-${callId}-${this.scripted++}`;
    pending.set(id, clock.schedule({ kind: FAR_END, id: callId }, action, ms, id));
  }

  /** A far-end timer fell due. */
  private fire(record: TimerRecord): void {
    const callId = record.target.id;
    const pending = this.timers.get(callId);
    if (!pending?.delete(record.id)) return;
    if (pending.size === 0) this.timers.delete(callId);
    this.act(callId, record.event as FarEndAction);
  }

  private act(callId: string, action: FarEndAction): void {
    const engine = this.indications();
    switch (action.type) {
      case 'clear':
        engine.cleared(callId, action.cause);
        return;
      case 'answer':
        engine.answered(callId);
        if (action.hangUpAfter !== null) this.after(callId, action.hangUpAfter * 1000, { type: 'hangUp' });
        return;
      case 'hangUp':
        engine.hungUp(callId);
        return;
    }
  }
}

function checkName(method: string, what: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError(`${method}(): '${what}' must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkBehaviour(method: string, behaviour: Behaviour): Behaviour {
  if (typeof behaviour !== 'object' || behaviour === null) {
    throw new TypeError(`${method}(): behaviour must be an object like { outcome: 'answer', ringFor: 2 }`);
  }
  if (!(OUTCOMES as readonly string[]).includes(behaviour.outcome)) {
    throw new TypeError(
      `${method}(): outcome must be one of ${OUTCOMES.join(', ')}, got ${JSON.stringify(behaviour.outcome)}`,
    );
  }
  for (const key of ['ringFor', 'hangUpAfter'] as const) {
    const value = behaviour[key];
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
      throw new TypeError(`${method}(): ${key} must be a number of seconds >= 0, got ${JSON.stringify(value)}`);
    }
  }
  if (behaviour.hangUpAfter !== undefined && behaviour.outcome !== 'answer') {
    throw new TypeError(`${method}(): hangUpAfter only applies to outcome 'answer'`);
  }
  if (behaviour.earlyMedia !== undefined && typeof behaviour.earlyMedia !== 'boolean') {
    throw new TypeError(`${method}(): earlyMedia must be true or false, got ${JSON.stringify(behaviour.earlyMedia)}`);
  }
  if (behaviour.earlyMedia && (behaviour.outcome === 'busy' || behaviour.outcome === 'unobtainable')) {
    throw new TypeError(`${method}(): earlyMedia needs an outcome that rings (not '${behaviour.outcome}')`);
  }
  return { ...behaviour };
}
