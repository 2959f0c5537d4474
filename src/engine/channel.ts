/**
 * `Channel`: an application's handle on call legs, with the methods and semantics of Aculab's
 * `UASCallChannel` (docs/behaviour.md §2). A channel holds at most one leg at a time and can be used again once
 * IDLE. Preconditions are checked before anything else and throw (reject) `HangupError` when the channel is
 * IDLE, `CallChannelError` otherwise; outcomes are never thrown: methods resolve to the channel's `State`.
 */
import type { ChannelEvent } from '../../machines/channel';
import { Cause, State, TransferCause, type EndCause } from '../../machines/vocabulary';
import { fromAculab, fromSip, toAculab } from '../causes';
import type { EngineClock } from './clock';
import { CallChannelError, HangupError } from './errors';
import type { Leg } from './leg';
import type { Destination } from './network';
import { numberProblem } from './numbers';
import type { CallbackUrls } from './events';
import { TonePlayer } from './tonePlayer';

export interface CallOptions {
  /** Caller id for the new leg; '' or absent: `anonymous`. */
  from?: string;
  /** Seconds to wait for an answer; `null` = wait for ever. Default 120. */
  secondsTimeout?: number | null;
  /** Bandwidth `tag` carried on this leg's callbacks. */
  tag?: string;
}

export interface TransferOptions {
  /** Caller id of the target leg; '' (default) uses the transferred caller's own `from`. */
  callFrom?: string;
  /** Tone played to the transferred party while the target rings. Default `RINGBACK`. */
  ringbackTone?: string;
  /** Seconds allowed for the target to answer; `null` = no timeout. Default 120. */
  secondsTimeout?: number | null;
  /** Bandwidth `tag` carried on the target leg's callbacks. */
  tag?: string;
  /** Webhook URLs for this transfer's callbacks, overriding the application's (server mode). */
  transferAnswerUrl?: string;
  transferCompleteUrl?: string;
  transferDisconnectUrl?: string;
}

export interface ConferenceRoomOptions extends TransferOptions {
  /** Talker and listener (true, the default), or listener only. */
  talkerAndListener?: boolean;
}

export interface RejectOptions {
  /** Aculab cause name. Default `REJECTED`. */
  cause?: Cause | `${Cause}`;
  /** A SIP status to reject with; when it maps to a known cause it decides the cause. */
  rawCause?: number;
}

/** What a channel needs from the engine. */
/** What a channel hands the engine to start a transfer, once its preconditions hold. */
export interface TransferStart {
  callFrom: string;
  secondsTimeout: number | null;
  tag?: string;
  player: TonePlayer;
  tone: string;
  urls?: CallbackUrls;
  /** A transfer into a conference room: the caller becomes a member when the room's leg answers. */
  room?: { name: string; talker: boolean };
}

export interface ChannelHost {
  readonly clock: EngineClock;
  dial(
    channel: Channel,
    destination: Destination,
    options: { from: string; secondsTimeout: number | null; tag?: string },
  ): Leg;
  clear(leg: Leg, cause: EndCause): void;
  hangUp(leg: Leg): void;
  /** Send an application event to a leg (as an engine turn). */
  signal(leg: Leg, event: ChannelEvent): void;
  startTransfer(parent: Leg, other: Channel, destination: Destination, options: TransferStart): void;
  retrieve(parent: Leg): void;
  owns(channel: Channel): boolean;
  /** The tones the network plays, when it says (a `ringbackTone` outside them is refused). */
  tones(): readonly string[] | undefined;
  /** The ringback a transfer plays when it names none: the network's default, else `RINGBACK`. */
  ringbackTone(): string;
}

interface Waiter {
  done: (state: State) => boolean;
  resolve: (state: State) => void;
  timer?: unknown;
}

const INCOMING: readonly State[] = [State.CALL_INCOMING, State.RING_INCOMING];
const AFTER_TRANSFER: readonly State[] = [State.TRANSFERRED, State.RECONNECTING];

export class Channel {
  #leg: Leg | null = null;
  #callId: string | null = null;
  #endCause: EndCause | null = null;
  #transferCause: TransferCause = TransferCause.NONE;
  #tonePlayer: TonePlayer | null = null;
  /** Set when the channel's calls belong to an agent's desk: the channel API then refuses to operate them. */
  #agent: string | null = null;
  readonly #waiters = new Set<Waiter>();

  /** @internal Channels are made by the switchboard (`sb.createChannel()`, `incomingCall`). */
  constructor(private readonly host: ChannelHost) {}

  /** The channel's state (Aculab `State`); IDLE when it has no live leg. */
  get state(): State {
    return this.#leg ? this.#leg.state : State.IDLE;
  }

  /**
   * Whether the far end has put the call on hold (its own re-INVITE, SIP `sendonly`/`inactive`). Aculab has
   * no state for it, so the channel's state does not change; false when the channel has no live leg.
   */
  get remoteHold(): boolean {
    return this.#leg?.remoteHeld ?? false;
  }

  /** The current (or last) leg's `c-…` id; null before the channel has had a leg. */
  get callId(): string | null {
    return this.#callId;
  }

  /** The channel's tone player, once created. */
  get tonePlayer(): TonePlayer | null {
    return this.#tonePlayer;
  }

  /** Why the channel went IDLE; `NORMAL` while it is not IDLE. */
  cause(): Cause {
    if (this.#leg || this.#endCause === null) return Cause.NORMAL;
    return toAculab(this.#endCause);
  }

  /** How the last transfer ended; `NONE` before one, or while one is in progress. */
  transferCause(): TransferCause {
    return this.#leg ? this.#leg.actor.getSnapshot().context.transferCause : this.#transferCause;
  }

  createTonePlayer(): TonePlayer {
    this.#tonePlayer ??= new TonePlayer();
    return this.#tonePlayer;
  }

  /** Dial out from IDLE; resolves ANSWERED, or IDLE with `cause()` saying why not. */
  async call(to: string, options: CallOptions = {}): Promise<State> {
    this.#refuseIfAgents('call');
    if (this.state !== State.IDLE) {
      throw new CallChannelError(`call() needs the channel IDLE, but it is ${this.state}`);
    }
    requireAddress('call', 'to', to);
    const secondsTimeout = timeoutOption('call', options.secondsTimeout, 120);
    this.host.dial(
      this,
      { kind: 'address', to },
      { from: options.from || 'anonymous', secondsTimeout, tag: options.tag },
    );
    return this.#until(settled(State.ANSWERED));
  }

  /** Signal ringing to the caller; with `secondsRingtime`, resolves after ringing that long. */
  async ring(options: { secondsRingtime?: number } = {}): Promise<State> {
    const leg = this.#require('ring', [State.CALL_INCOMING]);
    const seconds = options.secondsRingtime;
    if (seconds !== undefined && !(Number.isFinite(seconds) && seconds >= 0)) {
      throw new TypeError(`ring(): secondsRingtime must be a number of seconds >= 0, got ${String(seconds)}`);
    }
    this.host.signal(leg, { type: 'RING' });
    if (seconds === undefined) return this.state;
    return this.#until((s) => s === State.IDLE, seconds * 1000);
  }

  async answer(): Promise<State> {
    const leg = this.#require('answer', INCOMING);
    this.host.signal(leg, { type: 'ANSWER' });
    return this.#until(settled(State.ANSWERED));
  }

  /** Reject an incoming call (default cause REJECTED); resolves IDLE. */
  async reject(options: RejectOptions = {}): Promise<State> {
    const leg = this.#require('reject', INCOMING);
    const named = options.cause ?? Cause.REJECTED;
    if (!(Object.values(Cause) as string[]).includes(named)) {
      throw new TypeError(`reject(): unknown cause '${String(named)}'; use one of ${Object.values(Cause).join(', ')}`);
    }
    let cause = fromAculab(named as Cause);
    if (options.rawCause !== undefined) {
      const raw = fromSip(options.rawCause);
      if (raw !== 'other') cause = raw;
    }
    this.host.clear(leg, cause);
    return this.#until((s) => s === State.IDLE);
  }

  /** Hang up; safe (and immediate) on an IDLE channel. */
  async hangUp(): Promise<State> {
    if (!this.#leg) return State.IDLE;
    this.#refuseIfAgents('hangUp');
    this.host.hangUp(this.#leg);
    return this.#until((s) => s === State.IDLE);
  }

  async hold(): Promise<State> {
    const leg = this.#require('hold', [State.ANSWERED]);
    this.host.signal(leg, { type: 'HOLD' });
    // ON_HOLD; ANSWERED again when the network could not hold the call (the call is still up); IDLE; ERROR.
    return this.#until((s) => s !== State.HOLDING);
  }

  /**
   * Take the call off hold; resolves ANSWERED once the network confirms it, or ON_HOLD when the network
   * could not (the call is still up, still held). From HOLDING the unhold is sent once the hold has taken
   * (ANSWERED at once if the hold fails). A second unhold while one is pending is refused.
   */
  async unhold(): Promise<State> {
    const leg = this.#require('unhold', [State.ON_HOLD, State.HOLDING]);
    if (unholdPending(leg)) throw new CallChannelError('unhold(): an unhold is already pending for this call');
    this.host.signal(leg, { type: 'UNHOLD' });
    return this.#until(
      (s) =>
        s === State.ANSWERED || s === State.IDLE || s === State.ERROR || (s === State.ON_HOLD && !unholdPending(leg)),
    );
  }

  /** Retrievable transfer to an inbound service; resolves TRANSFERRED, or another state with `transferCause()`. */
  async transferToInboundService(other: Channel, serviceName: string, options: TransferOptions = {}): Promise<State> {
    return this.#transfer('transferToInboundService', other, { kind: 'service', to: serviceName }, options);
  }

  /** Retrievable transfer to an address; resolves TRANSFERRED, or another state with `transferCause()`. */
  async retrievableTransfer(other: Channel, to: string, options: TransferOptions = {}): Promise<State> {
    return this.#transfer('retrievableTransfer', other, { kind: 'address', to }, options);
  }

  /**
   * Retrievable transfer into conference room `room` (created for its first member, ended when the last one
   * leaves): `other` gets the leg to the room, and this call is a member while that leg is up. Preconditions,
   * outcomes and `transferCause()` are those of `retrievableTransfer`; `retrieveTransferredCall()` takes the
   * call out of the room.
   */
  async transferToConferenceRoom(other: Channel, room: string, options: ConferenceRoomOptions = {}): Promise<State> {
    const talker = options.talkerAndListener ?? true;
    if (typeof talker !== 'boolean') {
      throw new TypeError(`transferToConferenceRoom(): talkerAndListener must be a boolean, got ${String(talker)}`);
    }
    return this.#transfer('transferToConferenceRoom', other, { kind: 'room', to: room }, options, talker);
  }

  /** Release the transfer target and reconnect this call; resolves ANSWERED. */
  async retrieveTransferredCall(): Promise<State> {
    const leg = this.#require('retrieveTransferredCall', [State.TRANSFERRED]);
    this.host.retrieve(leg);
    return this.#until((s) => s === State.ANSWERED || s === State.IDLE);
  }

  /**
   * Wait until the transfer target's far end hangs up and this call is retrieved (ANSWERED again).
   * With `secondsTimeout`, resolves with the state then (still TRANSFERRED) if that has not happened.
   */
  async waitForTransferredCallRetrieval(options: { secondsTimeout?: number | null } = {}): Promise<State> {
    this.#require('waitForTransferredCallRetrieval', AFTER_TRANSFER);
    const timeout = timeoutOption('waitForTransferredCallRetrieval', options.secondsTimeout, null);
    return this.#until((s) => s === State.ANSWERED || s === State.IDLE, timeout === null ? undefined : timeout * 1000);
  }

  /** Resolves IDLE once the call has ended (at once if it has). */
  async waitForIdle(): Promise<State> {
    return this.#until((s) => s === State.IDLE);
  }

  // ---- engine side ----

  /** @internal This channel's leg is operated from agent `phoneNumber`'s desk. */
  lockToAgent(phoneNumber: string): void {
    this.#agent = phoneNumber;
  }

  /** @internal The agent whose desk operates this channel's calls, or null. */
  get agentLock(): string | null {
    return this.#agent;
  }

  #refuseIfAgents(method: string): void {
    if (this.#agent !== null) {
      throw new CallChannelError(
        `${method}(): this call is on agent ${this.#agent}'s desk; operate it with the agent API`,
      );
    }
  }

  /** @internal */
  attach(leg: Leg): void {
    this.#leg = leg;
    this.#callId = leg.callId;
    this.#endCause = null;
    this.#transferCause = TransferCause.NONE;
  }

  /** @internal The leg has ended; keep what `cause()` and `transferCause()` report. */
  detach(leg: Leg): void {
    if (this.#leg !== leg) return;
    const context = leg.actor.getSnapshot().context;
    this.#endCause = context.endCause ?? 'normal';
    this.#transferCause = context.transferCause;
    this.#leg = null;
    if (this.#tonePlayer) this.#tonePlayer.playing = null;
    this.changed();
  }

  /** @internal Settle the waiters the new state satisfies. */
  changed(): void {
    if (this.#waiters.size === 0) return;
    const state = this.state;
    for (const waiter of this.#waiters) if (waiter.done(state)) this.#settle(waiter, state);
  }

  // ---- helpers ----

  async #transfer(
    method: string,
    other: Channel,
    destination: Destination,
    options: TransferOptions,
    talker = true,
  ): Promise<State> {
    const leg = this.#require(method, [State.ANSWERED]);
    if (!(other instanceof Channel) || !this.host.owns(other)) {
      throw new CallChannelError(`${method}(): 'other' must be a channel of this switchboard`);
    }
    if (other.state !== State.IDLE) {
      throw new CallChannelError(`${method}(): the other channel must be IDLE, but it is ${other.state}`);
    }
    other.#refuseIfAgents(method);
    if (!this.#tonePlayer) {
      throw new CallChannelError(`${method}(): this channel has no tone player; call createTonePlayer() first`);
    }
    requireAddress(method, ARGUMENT[destination.kind], destination.to);
    const secondsTimeout = timeoutOption(method, options.secondsTimeout, 120);
    const tone = options.ringbackTone ?? this.host.ringbackTone();
    if (typeof tone !== 'string' || tone === '') {
      throw new TypeError(`${method}(): ringbackTone must be a non-empty string`);
    }
    const tones = this.host.tones();
    if (tones && !tones.includes(tone)) {
      throw new TypeError(`${method}(): ringbackTone '${tone}' is not a tone the network plays (${tones.join(', ')})`);
    }
    const urls: CallbackUrls = {};
    for (const key of ['transferAnswerUrl', 'transferCompleteUrl', 'transferDisconnectUrl'] as const) {
      const url = options[key];
      if (url === undefined) continue;
      if (typeof url !== 'string' || !URL.canParse(url))
        throw new TypeError(`${method}(): ${key} must be an absolute URL, got ${JSON.stringify(url)}`);
      urls[key] = url;
    }
    this.host.startTransfer(leg, other, destination, {
      callFrom: options.callFrom ?? '',
      secondsTimeout,
      tag: options.tag,
      player: this.#tonePlayer,
      tone,
      urls: Object.keys(urls).length ? urls : undefined,
      ...(destination.kind === 'room' ? { room: { name: destination.to, talker } } : {}),
    });
    return this.#until((s) => s !== State.TRANSFERRING);
  }

  /** Aculab's precondition order: IDLE → HangupError; not in `allowed` → CallChannelError. */
  #require(method: string, allowed: readonly State[]): Leg {
    this.#refuseIfAgents(method);
    const leg = this.#leg;
    if (!leg) throw new HangupError(`${method}(): the call has ended (channel is IDLE)`);
    const state = this.state;
    if (!allowed.includes(state)) {
      throw new CallChannelError(`${method}() needs the channel ${allowed.join(' or ')}, but it is ${state}`);
    }
    return leg;
  }

  #until(done: (state: State) => boolean, timeoutMs?: number): Promise<State> {
    const now = this.state;
    if (done(now)) return Promise.resolve(now);
    return new Promise<State>((resolve) => {
      const waiter: Waiter = { done, resolve };
      if (timeoutMs !== undefined) {
        waiter.timer = this.host.clock.setTimeout(() => {
          waiter.timer = undefined;
          this.#settle(waiter, this.state);
        }, timeoutMs);
      }
      this.#waiters.add(waiter);
    });
  }

  #settle(waiter: Waiter, state: State): void {
    if (!this.#waiters.delete(waiter)) return;
    if (waiter.timer !== undefined) this.host.clock.clearTimeout(waiter.timer);
    waiter.resolve(state);
  }
}

/** The argument that names a transfer's destination, for errors. */
const ARGUMENT: Record<Destination['kind'], string> = { address: 'to', service: 'serviceName', room: 'room' };

const unholdPending = (leg: Leg): boolean => leg.actor.getSnapshot().context.unholdPending;

/** Done when the channel reaches `target`, or can no longer get there by itself (IDLE, or ERROR). */
function settled(target: State): (state: State) => boolean {
  return (state) => state === target || state === State.IDLE || state === State.ERROR;
}

/** A number to dial (or a service name): the one number rule of `numbers.ts`. */
function requireAddress(method: string, name: string, value: unknown): void {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError(`${method}(): '${name}' must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  const problem = numberProblem(value);
  if (problem) throw new TypeError(`${method}(): '${name}' ${problem}`);
}

function timeoutOption(method: string, value: number | null | undefined, fallback: number | null): number | null {
  if (value === undefined) return fallback;
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(
      `${method}(): secondsTimeout must be a positive number of seconds or null, got ${String(value)}`,
    );
  }
  return value;
}
