/**
 * The engine: the registry of live legs and transfers, and the routing between the network, the legs'
 * statecharts, the transfers' statecharts and the supervisor. It holds no call state of its own beyond the
 * registry; every decision about a call is taken by a statechart.
 *
 * Routing rule: while a leg belongs to a running transfer, every *end* of it (far-end hang-up, network
 * clear, application hang-up) goes to the transfer's chart, which orders the clears of both legs. All other
 * indications go straight to the leg.
 */
import { State, type ClearedBy, type EndCause } from '../../machines/vocabulary';
import { hangUpCause, type ChannelEmitted, type ChannelEvent } from '../../machines/channel';
import { Channel, type ChannelHost, type TransferStart } from './channel';
import type { EngineClock } from './clock';
import { newCallId } from './ids';
import { Leg, type ActorOptions, type LegTransfer } from './leg';
import type { TransferEndedInfo } from './events';
import type { CommandResult, ConfirmedCommand, Destination, Network, NetworkIndications, SipLegFacts } from './network';
import type { Supervisor } from './supervisor';
import { TransferRun, type MediaCommands, type TransferHost } from './transfer';
import { DEFAULT_RINGBACK_TONE } from './tonePlayer';
import { Relations } from './relations';
import { LiveTransfers } from './liveTransfers';
import { AgentDesk } from './agent/desk';
import { Inspection, type Inspectable, type LiveCall } from './inspection';
import { Conferences } from './conference';
import type { Durability } from './durable';

/** What the agent desk uses of the engine. */
export interface EngineCore extends MediaCommands {
  readonly publicUrl: string;
  readonly clock: EngineClock;
  readonly actorOptions: ActorOptions;
  readonly supervisor: Supervisor;
  readonly legs: ReadonlyMap<string, Leg>;
  readonly transfers: LiveTransfers;
  /** The relations between legs, transfers and agent calls, as ids (relations.ts). */
  readonly relations: Relations;
  readonly inspection: Inspection;
  /** Writes each turn's changes to the store (null: in memory only). */
  readonly durable: Durability | null;
  createChannel(): Channel;
  /** The ringback played when none is named: the network's default, else `RINGBACK`. */
  ringbackTone(): string;
  open(channel: Channel, leg: Leg): void;
  turn<T>(fn: () => T): T;
  hangUp(leg: Leg): void;
  transferFinished(run: LegTransfer, ended: TransferEndedInfo): void;
  /** The agent has left a leg that goes on: tell the network (it ends the agent's phone's side). */
  agentLeft(callId: string): void;
  /** Whom the agent of `leg`'s call talks to through its phone (a network that rings agents' phones). */
  agentTalksTo(leg: Leg, to: Leg | 'caller' | 'nobody'): void;
}

export class Engine implements ChannelHost, NetworkIndications, TransferHost, EngineCore {
  readonly legs = new Map<string, Leg>();
  /** The agent desk: devices by DN, live agent calls by id. */
  readonly desk: AgentDesk = new AgentDesk(this);
  readonly transfers = new LiveTransfers();
  /** Which transfer each leg belongs to, which agent call shows it, which consult each agent call is in: ids. */
  readonly relations = new Relations();
  /** Live conference rooms, by name. */
  readonly conferences: Conferences;
  private readonly channels = new WeakMap<Leg, Channel>();
  private readonly ownChannels = new WeakSet<Channel>();
  closed = false;
  /** Set by a switchboard with a store: writes each turn's changes (durable.ts); null keeps everything in memory. */
  durable: Durability | null = null;

  readonly actorOptions: ActorOptions;
  /** Steps of every actor, for whoever watches (nothing is attached while nobody does). */
  readonly inspection: Inspection;

  constructor(
    readonly clock: EngineClock,
    private readonly network: Network,
    readonly supervisor: Supervisor,
    readonly publicUrl: string,
    inspect?: ActorOptions['inspect'],
  ) {
    this.actorOptions = inspect ? { clock, inspect } : { clock };
    const liveCall = (leg: Leg): LiveCall => ({
      callId: leg.callId,
      direction: leg.direction,
      from: leg.from,
      to: leg.to,
      state: leg.lastState,
      startTime: leg.startTime,
      ...(leg.parent ? { parentCallId: leg.parent.callId } : {}),
      remoteHold: leg.remoteHeld,
      ...sipFactsOf(network, leg.callId),
    });
    this.inspection = new Inspection(clock, () => this.liveActors(), {
      all: () => [...this.legs.values()].map(liveCall),
      one: (callId) => {
        const leg = this.legs.get(callId);
        return leg && liveCall(leg);
      },
    });
    clock.setTurnRunner((fn) => this.turn(fn));
    this.conferences = new Conferences({
      actorOptions: this.actorOptions,
      conferenceEvent: (payload) => supervisor.conferenceEvent(payload),
      created: (room) => {
        this.inspection.created(room);
        this.durable?.track(room);
      },
      now: () => clock.now(),
    });
  }

  /** Run an entry into the engine as a turn: callbacks are delivered when the outermost turn ends. */
  turn<T>(fn: () => T): T {
    return this.supervisor.turns.run(fn);
  }

  createChannel(): Channel {
    const channel = new Channel(this);
    this.ownChannels.add(channel);
    return channel;
  }

  /** Every live actor: legs, transfers, agent calls. */
  private *liveActors(): Iterable<Inspectable> {
    yield* this.legs.values();
    yield* this.transfers;
    yield* this.desk.calls.values();
    yield* this.conferences.live();
  }

  owns(channel: Channel): boolean {
    return this.ownChannels.has(channel);
  }

  tones(): readonly string[] | undefined {
    return this.network.tones;
  }

  ringbackTone(): string {
    return this.network.ringbackTone ?? DEFAULT_RINGBACK_TONE;
  }

  // ---- legs ----

  /** @internal Register a leg, attach it to its channel and start its actor. */
  open(channel: Channel, leg: Leg): void {
    if (this.closed) throw new Error('This switchboard is closed');
    this.legs.set(leg.callId, leg);
    this.channels.set(leg, channel);
    channel.attach(leg);
    leg.actor.on('*', (event) => this.onLegEvent(leg, event));
    leg.actor.subscribe(() => {
      this.noteState(leg);
      channel.changed();
    });
    this.inspection.created(leg);
    this.durable?.track(leg);
    leg.actor.start();
  }

  /** Report a leg's state change once, before anything the change caused (its emitted events run first). */
  private noteState(leg: Leg): void {
    const state = leg.state;
    if (state === leg.lastState) return;
    const previous = leg.lastState;
    leg.lastState = state;
    this.supervisor.stateChanged(leg, previous, state);
    this.desk.callOfLeg(leg)?.legState(state);
    this.running(leg)?.legState(leg, state);
  }

  private onLegEvent(leg: Leg, event: ChannelEmitted): void {
    this.noteState(leg);
    switch (event.type) {
      case 'signal.dial':
        this.command(leg, 'dial', (n) => n.dial(leg.callId, leg.destination as Destination, leg.from));
        break;
      case 'signal.ring':
        this.command(leg, 'ring', (n) => n.ring(leg.callId));
        break;
      case 'signal.answer':
        this.command(leg, 'answer', (n) => n.answer(leg.callId));
        break;
      case 'signal.hold':
        this.command(leg, 'hold', (n) => n.hold(leg.callId));
        break;
      case 'signal.unhold':
        this.command(leg, 'unhold', (n) => n.unhold(leg.callId));
        break;
      case 'signal.reconnect':
        this.command(leg, 'reconnect', (n) => n.reconnect(leg.callId));
        break;
      case 'leg.offered':
        this.supervisor.offered(leg);
        break;
      case 'leg.progress':
        this.targetsTransfer(leg)?.targetProgress();
        break;
      case 'leg.answered':
        leg.answerTime = this.clock.now();
        this.supervisor.answered(leg, event.callback);
        this.targetsTransfer(leg)?.targetAnswered();
        break;
      case 'leg.ended':
        this.finish(leg, event);
        break;
      case 'leg.remoteEnd':
        this.remoteEnd(leg, event.cause, event.failure, event.errorMessage);
        break;
    }
  }

  /**
   * Run a network command for a leg. A command that throws fails that leg in this turn (it goes to ERROR, or
   * ends with cause `error` in a transfer) and is reported on `networkError`; it never escapes the engine.
   * A command that is confirmed later (`ConfirmedCommand`) is outstanding until its confirmation: a second
   * one of the same kind is not sent while the first is (the charts never ask for one; this is the port's
   * guarantee, so the call id and the indication's name are enough to correlate), and is reported instead.
   */
  command(leg: Leg, name: string, fn: (network: Network) => void): void {
    const confirmed = CONFIRMED.has(name) ? (name as ConfirmedCommand) : null;
    if (confirmed) {
      if (leg.outstanding.has(confirmed)) {
        this.supervisor.networkError(
          name,
          leg.callId,
          new Error(`a ${name} is already outstanding for this leg; not sent again`),
        );
        return;
      }
      leg.outstanding.add(confirmed); // before the command: the network may confirm it from inside
    }
    this.durable?.mark(leg);
    try {
      fn(this.network);
    } catch (error) {
      if (confirmed) leg.outstanding.delete(confirmed);
      this.supervisor.networkError(name, leg.callId, error);
      if (this.legs.has(leg.callId))
        this.failed(leg.callId, `The network's ${name} failed: ${(error as Error)?.message ?? String(error)}`);
    }
  }

  /** A confirmation for `kind` has come: true if one was outstanding (it no longer is); else it is ignored. */
  private settle(leg: Leg, kind: ConfirmedCommand): boolean {
    return leg.outstanding.delete(kind);
  }

  /**
   * A leg went IDLE: record it, release it while it is still known (an indication the network sends from
   * inside `release` is taken, and ignored, by the ending leg), report it, and drop it (its actor stops
   * after this event). The chart's event says which callback reports the end, and whether it is an error.
   */
  private finish(leg: Leg, ended: Extract<ChannelEmitted, { type: 'leg.ended' }>): void {
    const { cause, by } = ended;
    leg.endTime = this.clock.now();
    leg.endCause = cause;
    if (ended.errorMessage !== null) leg.errorMessage = ended.errorMessage;
    try {
      this.network.release(leg.callId, cause, by);
    } catch (error) {
      this.supervisor.networkError('release', leg.callId, error);
    }
    this.legs.delete(leg.callId);
    this.relations.forgetLeg(leg.callId);
    this.durable?.mark(leg);
    this.channels.get(leg)?.detach(leg);
    this.supervisor.ended(leg, ended.callback, ended.error);
    leg.actor.stop();
  }

  /**
   * End a leg: through its transfer's chart while it is in one, else directly. A hang-up gives no cause
   * (null): the leg's chart says which (its table of hang-up causes, read now).
   */
  private end(leg: Leg, cause: EndCause | null, by: ClearedBy, errorMessage?: string): void {
    const why = cause ?? hangUpCause(leg.actor.getSnapshot(), by);
    const run = this.running(leg);
    if (run) run.legCleared(leg, why, by, errorMessage);
    else leg.actor.send({ type: 'CLEAR', cause: why, by, errorMessage });
  }

  // ---- ChannelHost: what channels ask ----

  dial(
    channel: Channel,
    destination: Destination,
    options: { from: string; secondsTimeout: number | null; tag?: string },
  ): Leg {
    const leg = new Leg(
      {
        callId: newCallId(),
        direction: 'outbound',
        from: options.from,
        to: destination.to,
        tag: options.tag,
        destination,
        startTime: this.clock.now(),
      },
      this.actorOptions,
    );
    this.turn(() => {
      this.open(channel, leg);
      leg.actor.send({ type: 'DIAL', secondsTimeout: options.secondsTimeout });
    });
    return leg;
  }

  clear(leg: Leg, cause: EndCause): void {
    this.turn(() => this.end(leg, cause, 'local'));
  }

  hangUp(leg: Leg): void {
    this.turn(() => this.end(leg, null, 'local'));
  }

  signal(leg: Leg, event: ChannelEvent): void {
    this.turn(() => leg.actor.send(event));
  }

  startTransfer(parent: Leg, other: Channel, destination: Destination, options: TransferStart): void {
    const target = new Leg(
      {
        callId: newCallId(),
        direction: 'outbound',
        from: options.callFrom || parent.from,
        to: destination.to,
        tag: options.tag,
        destination,
        parent,
        startTime: this.clock.now(),
      },
      this.actorOptions,
    );
    if (options.urls) target.callbackUrls = options.urls;
    this.turn(() => {
      this.open(other, target);
      const run = new TransferRun(
        parent,
        target,
        options.secondsTimeout,
        { player: options.player, tone: options.tone },
        this,
        this.actorOptions,
      );
      if (options.room) this.conferences.attach(run, options.room);
      this.transfers.add(run);
      this.inspection.created(run);
      this.durable?.track(run);
      run.start();
    });
  }

  retrieve(parent: Leg): void {
    this.turn(() => {
      const run = this.transferOf(parent);
      if (run instanceof TransferRun) run.retrieve();
    });
  }

  // ---- TransferHost ----

  /** Every command a transfer, a consult or the desk gives a leg comes in here. */
  sendToLeg(leg: Leg, event: ChannelEvent): void {
    leg.actor.send(event);
  }

  joinTransfer(leg: Leg, run: LegTransfer): void {
    this.relations.joinTransfer(leg.callId, run.registryId);
  }

  leaveTransfer(leg: Leg, only?: LegTransfer): void {
    this.relations.leaveTransfer(leg.callId, only?.registryId);
  }

  /** The transfer `leg` belongs to, if any. */
  transferOf(leg: Leg): LegTransfer | null {
    const id = this.relations.transferOf(leg.callId);
    return id === undefined ? null : (this.transfers.get(id) ?? null);
  }

  /** The transfer `leg` belongs to while its chart still decides. */
  private running(leg: Leg): LegTransfer | null {
    const run = this.transferOf(leg);
    return run?.running ? run : null;
  }

  /** The running transfer whose target `leg` is. */
  private targetsTransfer(leg: Leg): LegTransfer | null {
    const run = this.running(leg);
    return run?.target === leg ? run : null;
  }

  dialTarget(target: Leg): void {
    this.sendToLeg(target, { type: 'DIAL', secondsTimeout: null });
  }

  transferCompleted(parent: Leg, target: Leg): void {
    this.supervisor.transferCompleted(parent, target);
  }

  transferFinished(run: LegTransfer, ended: TransferEndedInfo): void {
    this.transfers.delete(run);
    this.relations.forgetTransfer(run.registryId);
    this.durable?.mark(run);
    this.supervisor.transferEnded(ended);
  }

  playTone(leg: Leg, tone: string): void {
    this.command(leg, 'playTone', (n) => n.playTone(leg.callId, tone));
  }

  stopTone(leg: Leg): void {
    this.command(leg, 'stopTone', (n) => n.stopTone(leg.callId));
  }

  bridge(a: Leg, b: Leg): void {
    this.command(b, 'bridge', (n) => n.bridge(a.callId, b.callId));
  }

  unbridge(a: Leg, b: Leg): void {
    this.command(b, 'unbridge', (n) => n.unbridge(a.callId, b.callId));
  }

  // ---- NetworkIndications: what the network tells ----

  offer(call: { from: string; to: string; phone?: boolean }): string {
    return this.turn(() => {
      const channel = this.createChannel();
      const agent = this.desk.devices.get(call.to);
      if (agent) channel.lockToAgent(agent.phoneNumber);
      const leg = new Leg(
        { callId: newCallId(), direction: 'inbound', from: call.from, to: call.to, startTime: this.clock.now() },
        this.actorOptions,
      );
      this.open(channel, leg);
      leg.actor.send({ type: 'WAIT' });
      leg.actor.send({ type: 'NET.OFFER' });
      // A call to an agent's DN rings that agent's device; any other reaches the application.
      if (agent) this.desk.offer(agent, leg, call.phone === true);
      else this.supervisor.incomingCall(channel);
      return leg.callId;
    });
  }

  /** @internal The channel of a live leg (the simulated network hands it to whoever placed the call). */
  channelOf(callId: string): Channel | undefined {
    const leg = this.legs.get(callId);
    return leg && this.channels.get(leg);
  }

  progress(callId: string, info?: { earlyMedia?: boolean }): void {
    this.toLeg(callId, (leg) => {
      const ringing = leg.state === State.RING_OUTGOING;
      const media = info?.earlyMedia === true && !leg.earlyMedia;
      // Once the far end has sent early media it is the media of the call until the answer.
      if (info?.earlyMedia === true) leg.earlyMedia = true;
      leg.actor.send({ type: 'NET.PROGRESS' });
      // A later 183 with media while it already rings: a transfer switches A from our ringback to it.
      if (ringing && media) this.targetsTransfer(leg)?.targetProgress();
    });
  }

  // `answered`, `accepted` and `reconnected` each confirm one command, and are distinct chart events, each
  // taken only in the state that command left the leg in (anywhere else the chart ignores it).

  answered(callId: string): void {
    this.confirmed(callId, 'dial', { type: 'NET.ANSWERED' });
  }

  accepted(callId: string): void {
    this.confirmed(callId, 'answer', { type: 'NET.ACCEPTED' });
  }

  reconnected(callId: string): void {
    this.confirmed(callId, 'reconnect', { type: 'NET.RECONNECTED' });
  }

  private confirmed(callId: string, kind: ConfirmedCommand, event: ChannelEvent): void {
    if (!this.legs.has(callId)) {
      // The call has been released (a 200 crossing our CANCEL): tell the network again to end it.
      this.supervisor.turns.run(() =>
        this.command({ callId } as Leg, 'release', (n) => n.release(callId, 'cancel', 'local')),
      );
      return;
    }
    this.toLeg(callId, (leg) => {
      if (this.settle(leg, kind)) leg.actor.send(event);
    });
  }

  holdResult(callId: string, result: CommandResult): void {
    this.toLeg(callId, (leg) => {
      if (!this.settle(leg, 'hold')) return;
      if (!result.ok) this.supervisor.networkError('hold', callId, commandFailure('hold', result));
      leg.actor.send(result.ok ? { type: 'NET.HELD' } : { type: 'NET.HOLD_FAILED' });
    });
  }

  unholdResult(callId: string, result: CommandResult): void {
    // A failed unhold leaves the dialog up and the leg ON_HOLD (`unhold()` resolves ON_HOLD); it is reported.
    this.toLeg(callId, (leg) => {
      if (!this.settle(leg, 'unhold')) return;
      if (!result.ok) this.supervisor.networkError('unhold', callId, commandFailure('unhold', result));
      leg.actor.send(result.ok ? { type: 'NET.UNHELD' } : { type: 'NET.UNHOLD_FAILED' });
    });
  }

  mediaFailed(callId: string, command: string, failure: { status: number; reason?: string }): void {
    this.supervisor.networkError(command, callId, commandFailure(command, failure));
  }

  agentAnswered(callId: string): void {
    this.toLeg(callId, (leg) => this.desk.callOfLeg(leg)?.phoneAnswered());
  }

  agentHungUp(callId: string): void {
    this.toLeg(callId, (leg) => this.desk.callOfLeg(leg)?.phoneOperation('Hangup'));
  }

  agentLeft(callId: string): void {
    const leg = this.legs.get(callId);
    // Not for a leg that is ending (its agent call is released as it goes IDLE): the network's release follows.
    if (leg && leg.lastState !== State.IDLE) this.command(leg, 'agentLeft', (n) => n.agentLeft?.(callId));
  }

  agentTalksTo(leg: Leg, to: Leg | 'caller' | 'nobody'): void {
    const talk = typeof to === 'string' ? to : { leg: to.callId };
    this.command(leg, 'agentTalksTo', (n) => n.agentTalksTo?.(leg.callId, talk));
  }

  remoteHold(callId: string): void {
    this.toLeg(callId, (leg) => {
      leg.remoteHeld = true;
    });
  }

  remoteUnhold(callId: string): void {
    this.toLeg(callId, (leg) => {
      leg.remoteHeld = false;
    });
  }

  legChanged(callId: string): void {
    if (this.durable) this.toLeg(callId, () => undefined); // marks the leg: its record is written this turn
  }

  // The far end's ends and failures go through the leg's own queue (NET.END), behind whatever the network
  // told the leg before; `remoteEnd` routes them once the leg takes them.

  cleared(callId: string, cause: EndCause, errorMessage?: string): void {
    this.toLeg(callId, (leg) => leg.actor.send({ type: 'NET.END', cause, errorMessage }));
  }

  hungUp(callId: string): void {
    this.toLeg(callId, (leg) => leg.actor.send({ type: 'NET.END', cause: null }));
  }

  failed(callId: string, message: string): void {
    this.toLeg(callId, (leg) =>
      leg.actor.send({ type: 'NET.END', cause: 'error', errorMessage: message, failure: true }),
    );
  }

  /**
   * The far end ended a leg (cause null: it hung up), or the network failed it; routed once the leg's step
   * has settled (a transfer clears the very leg that reported the end). A failure on a leg in a running
   * transfer ends it at once with cause `error` (the transfer decides what follows); on any other live leg
   * it sends the leg to ERROR, where it waits for the application to hang up.
   */
  private remoteEnd(leg: Leg, cause: EndCause | null, failure: boolean, errorMessage?: string): void {
    this.supervisor.turns.step(() => {
      if (!this.legs.has(leg.callId)) return;
      if (failure && !this.running(leg)) leg.actor.send({ type: 'NET.FAILURE', message: errorMessage ?? '' });
      else this.end(leg, cause, 'remote', errorMessage);
    });
  }

  /** An indication for a live leg, as a turn; indications for ended legs are ignored. */
  private toLeg(callId: string, fn: (leg: Leg) => void): void {
    const leg = this.legs.get(callId);
    if (!leg) return;
    this.durable?.mark(leg);
    this.turn(() => fn(leg));
  }

  // ---- shutdown ----

  /** Hang up every live leg (each still emits its terminal event) and refuse new ones. */
  close(): void {
    this.closed = true;
    this.turn(() => {
      for (const leg of [...this.legs.values()]) if (this.legs.has(leg.callId)) this.end(leg, null, 'local');
    });
  }
}

/** The commands confirmed by an indication of their own (see `command`). */
const CONFIRMED: ReadonlySet<string> = new Set<ConfirmedCommand>(['dial', 'answer', 'reconnect', 'hold', 'unhold']);

function commandFailure(name: string, result: { status: number; reason?: string }): Error {
  return new Error(`${name} failed with ${result.status}${result.reason ? ` ${result.reason}` : ''}`);
}

/** A SIP network's facts about a leg (`LiveCall.sip`); nothing from other networks, or when it throws. */
function sipFactsOf(network: Network, callId: string): { sip?: SipLegFacts } {
  try {
    const sip = network.sipFacts?.(callId);
    return sip ? { sip } : {};
  } catch {
    return {};
  }
}
