/**
 * Model-based tests of the channel and retrievable-transfer statecharts, against the real engine: every
 * state reached and every transition taken, on a manual network that confirms nothing by itself.
 */
import {
  createSwitchboard,
  SimulatedClock,
  channelMachine,
  retrievableTransferMachine,
  type Channel,
  type Switchboard,
} from '../../src';
import { ManualNetwork } from '../support/manualNetwork';
import { State } from '../../machines/vocabulary';
import { createActor, type AnyEventObject } from 'xstate';
import { hangUpCause, type ChannelEmitted, type ChannelEvent, type ChannelInput } from '../../machines/channel';
import { toBandwidth } from '../../src/causes';
import type { BandwidthCallback } from '../../src/engine/callbacks';
import type { Engine } from '../../src/engine/engine';
import type { Leg } from '../../src/engine/leg';
import { pathsFor, runModel, type Driver, type Probe } from './runner';

interface Ctx {
  sb: Switchboard<ManualNetwork>;
  net: ManualNetwork;
  clock: SimulatedClock;
  a: Channel | null;
  b: Channel | null;
  /** Rejections of the channel methods a path called (there must be none). */
  errors: string[];
}

/** Call a channel method without waiting for it, recording a rejection. */
function fire(ctx: Ctx, promise: Promise<unknown> | undefined): void {
  promise?.catch((error: unknown) => ctx.errors.push(String(error)));
}

function engine(probe: Probe) {
  const net = new ManualNetwork();
  const clock = new SimulatedClock();
  const sb = createSwitchboard({ clock, network: net, inspect: probe.inspect });
  net.useChannels((callId) => sb.channel(callId));
  return { sb, net, clock, a: null, b: null, errors: [] } as Ctx;
}

const id = (c: Channel | null) => c?.callId as string;

/** A's leg in the engine (for what only the engine, not the channel API, sends a leg). */
function legOf(ctx: Ctx): Leg {
  return (ctx.net.indications as unknown as Engine).legs.get(id(ctx.a)) as Leg;
}

/** Send an event to A's leg as the engine's consult does (the channel API refuses these). */
function toLeg(ctx: Ctx, event: ChannelEvent): void {
  (ctx.net.indications as unknown as Engine).signal(legOf(ctx), event);
}

/** Whether A's leg has an unhold under way (`unhold()` refuses then). */
const pending = (ctx: Ctx) => legOf(ctx)?.actor.getSnapshot().context.unholdPending === true;

function report(name: string, coverage: Awaited<ReturnType<typeof runModel>>) {
  console.log(
    `${name}: ${coverage.paths} paths; states ${coverage.states.covered}/${coverage.states.total}; transitions ${coverage.transitions.covered}/${coverage.transitions.total}`,
  );
  expect(coverage.states.missing).toEqual([]);
  expect(coverage.transitions.missing).toEqual([]);
}

const channelDriver: Driver<Ctx> = {
  name: 'channel',
  machine: channelMachine,
  input: { direction: 'inbound', callId: 'c-model' },
  // Whether an unhold (and a re-hold behind it) is pending is part of the state: hold, unhold and their
  // results depend on it.
  serialize: (snapshot) => {
    const { unholdPending, rehold } = snapshot.context as { unholdPending: boolean; rehold: boolean };
    return JSON.stringify([snapshot.value, unholdPending, rehold]);
  },
  events: [
    { type: 'WAIT' },
    { type: 'NET.OFFER' },
    { type: 'DIAL', secondsTimeout: 30 },
    { type: 'RING' },
    { type: 'ANSWER' },
    { type: 'HOLD' },
    { type: 'UNHOLD' },
    { type: 'NET.PROGRESS' },
    { type: 'NET.ANSWERED' },
    { type: 'NET.ACCEPTED' },
    { type: 'NET.RECONNECTED' },
    { type: 'NET.HELD' },
    { type: 'NET.HOLD_FAILED' },
    { type: 'NET.UNHELD' },
    { type: 'NET.UNHOLD_FAILED' },
    { type: 'NET.FAILURE', message: 'signalling failed' },
    { type: 'CLEAR', cause: 'normal', by: 'local' },
    { type: 'CLEAR', cause: 'normal', by: 'remote' },
    { type: 'CALL_TIMEOUT' },
    { type: 'TRANSFER.START' },
    { type: 'TRANSFER.CONNECTED' },
    { type: 'TRANSFER.FAILED', transferCause: 'TARGETREJECT' },
    { type: 'TRANSFER.RECONNECT', transferCause: 'NORMAL' },
  ],
  // The engine offers an inbound call as WAIT and NET.OFFER in one turn: WAITING is never a resting state.
  realizable: (events) => events.every((e, i) => e.type !== 'WAIT' || events[i + 1]?.type === 'NET.OFFER'),
  setup: async (probe) => engine(probe),
  async perform(ctx, event) {
    const { net, sb } = ctx;
    const on = net.indications;
    switch (event.type) {
      case 'WAIT':
        ctx.a = net.offer('+15550001111', '+15559990000'); // WAIT and NET.OFFER, as the engine offers a call
        break;
      case 'NET.OFFER':
        break;
      case 'DIAL':
        ctx.a = sb.createChannel();
        fire(ctx, ctx.a.call('+15557770000', { secondsTimeout: 30 }));
        break;
      case 'RING':
        fire(ctx, ctx.a?.ring());
        break;
      case 'ANSWER':
        fire(ctx, ctx.a?.answer());
        break;
      case 'HOLD':
        // A hold while one is under way comes only from a consult (SwapCalls): sent as the engine sends it.
        if (ctx.a?.state === State.ANSWERED) fire(ctx, ctx.a.hold());
        else toLeg(ctx, { type: 'HOLD' });
        break;
      case 'UNHOLD':
        if (pending(ctx)) toLeg(ctx, { type: 'UNHOLD' });
        else fire(ctx, ctx.a?.unhold());
        break;
      case 'NET.PROGRESS':
        on.progress(id(ctx.a));
        break;
      case 'NET.ANSWERED':
        on.answered(id(ctx.a));
        break;
      case 'NET.ACCEPTED':
        on.accepted(id(ctx.a));
        break;
      case 'NET.RECONNECTED':
        on.reconnected(id(ctx.a));
        break;
      case 'NET.HELD':
        ctx.net.held(id(ctx.a));
        break;
      case 'NET.HOLD_FAILED':
        on.holdResult(id(ctx.a), { ok: false, status: 491, reason: 'Request Pending' });
        break;
      case 'NET.UNHELD':
        on.unholdResult(id(ctx.a), { ok: true });
        break;
      case 'NET.UNHOLD_FAILED':
        on.unholdResult(id(ctx.a), { ok: false, status: 491, reason: 'Request Pending' });
        break;
      case 'NET.FAILURE':
        on.failed(id(ctx.a), 'signalling failed');
        break;
      case 'CLEAR':
        if (event.by === 'local') fire(ctx, ctx.a?.hangUp());
        else on.hungUp(id(ctx.a));
        break;
      case 'CALL_TIMEOUT':
        ctx.clock.increment(30_000);
        break;
      case 'TRANSFER.START':
        ctx.a?.createTonePlayer();
        ctx.b = sb.createChannel();
        fire(ctx, ctx.a?.retrievableTransfer(ctx.b, '+15558880000', { secondsTimeout: null }));
        break;
      case 'TRANSFER.CONNECTED':
        ctx.net.connected(id(ctx.b));
        break;
      case 'TRANSFER.FAILED':
        on.cleared(id(ctx.b), 'busy');
        break;
      case 'TRANSFER.RECONNECT':
        fire(ctx, ctx.a?.retrieveTransferredCall());
        break;
      default:
        throw new Error(`no driver for ${event.type}`);
    }
  },
  async teardown(ctx) {
    expect(ctx.errors).toEqual([]);
    ctx.sb.close();
    expect(ctx.sb.stats()).toMatchObject({ legs: 0, transfers: 0, timers: 0 });
  },
};

const transferDriver: Driver<Ctx> = {
  name: 'retrievable-transfer',
  machine: retrievableTransferMachine,
  input: { secondsTimeout: 60 },
  events: [
    // B rings without media of its own (a 180), or sends early media (a 183 with SDP: at once, or after a 180).
    { type: 'TARGET.PROGRESS', earlyMedia: false },
    { type: 'TARGET.PROGRESS', earlyMedia: true },
    { type: 'TARGET.ANSWERED' },
    { type: 'TARGET.CLEARED', cause: 'busy', by: 'remote' },
    { type: 'TARGET.CLEARED', cause: 'normal', by: 'local' },
    { type: 'PARENT.CLEARED', cause: 'normal', by: 'remote' },
    { type: 'PARENT.CLEARED', cause: 'normal', by: 'local' },
    { type: 'RETRIEVE' },
    { type: 'TIMEOUT' },
  ],
  // The transfer starts as soon as the application asks: setup answers A and starts it.
  async setup(probe) {
    const ctx = engine(probe);
    ctx.a = ctx.net.offer('+15550001111', '+15559990000');
    fire(ctx, ctx.a.answer());
    ctx.net.connected(id(ctx.a));
    ctx.a.createTonePlayer();
    ctx.b = ctx.sb.createChannel();
    fire(ctx, ctx.a.retrievableTransfer(ctx.b, '+15558880000', { secondsTimeout: 60 }));
    return ctx;
  },
  async perform(ctx, event) {
    const on = ctx.net.indications;
    switch (event.type) {
      case 'TARGET.PROGRESS':
        on.progress(id(ctx.b), { earlyMedia: event.earlyMedia === true });
        break;
      case 'TARGET.ANSWERED':
        ctx.net.connected(id(ctx.b));
        break;
      case 'TARGET.CLEARED':
        if (event.by === 'local') fire(ctx, ctx.b?.hangUp());
        else on.cleared(id(ctx.b), event.cause);
        break;
      case 'PARENT.CLEARED':
        if (event.by === 'local') fire(ctx, ctx.a?.hangUp());
        else on.hungUp(id(ctx.a));
        break;
      case 'RETRIEVE':
        fire(ctx, ctx.a?.retrieveTransferredCall());
        break;
      case 'TIMEOUT':
        ctx.clock.increment(60_000);
        break;
      default:
        throw new Error(`no driver for ${event.type}`);
    }
  },
  teardown: channelDriver.teardown,
};

test('channel statechart: every state and transition, driven through the engine', async () => {
  report('channel', await runModel(channelDriver));
});

test('retrievable-transfer statechart: every state and transition, driven through the engine', async () => {
  report('retrievable-transfer', await runModel(transferDriver));
});

/**
 * The chart alone says how a leg ends: replay a path on a bare actor of the chart, where a hang-up (the
 * model's CLEAR) has the cause the chart's hang-up table gives at that moment, and take the `leg.ended` it
 * emits (cause, whether it is an error, the message, the callback).
 */
function chartEnd(events: AnyEventObject[]): Extract<ChannelEmitted, { type: 'leg.ended' }> | undefined {
  const actor = createActor(channelMachine, {
    input: channelDriver.input as ChannelInput,
    clock: new SimulatedClock(),
  });
  let ended: Extract<ChannelEmitted, { type: 'leg.ended' }> | undefined;
  actor.on('leg.ended', (e) => (ended = e));
  actor.start();
  for (const event of events) {
    const e = event as ChannelEvent;
    if (e.type === 'CLEAR') actor.send({ ...e, cause: hangUpCause(actor.getSnapshot(), e.by) });
    else actor.send(e);
  }
  actor.stop();
  return ended;
}

test('every way the channel chart ends a leg: the engine ends it with the chart’s cause, callback and error', async () => {
  const exits = new Map<string, AnyEventObject[]>();
  for (const path of pathsFor(channelDriver)) {
    const last = path.events.at(-1)?.type;
    if (path.finalValue === State.IDLE && (last === 'CLEAR' || last === 'CALL_TIMEOUT'))
      exits.set(JSON.stringify(path.events), path.events);
  }
  const seen = new Set<string>();
  for (const events of exits.values()) {
    const expected = chartEnd(events);
    if (!expected) throw new Error(`the chart did not end on ${JSON.stringify(events)}`);
    const ctx = engine({ inspect: () => undefined });
    const callbacks: BandwidthCallback[] = [];
    ctx.sb.on('callback', (p) => callbacks.push(p));
    for (const event of events) {
      await channelDriver.perform(ctx, event);
      for (let i = 0; i < 8; i++) await Promise.resolve();
    }
    const callId = id(ctx.a);
    const ends = callbacks.filter((c) => c.callId === callId && /isconnect$/.test(c.eventType));
    const label = events.map((e) => e.type).join(' ');
    const end = ends[0] as { eventType: string; cause: string; errorMessage?: string; errorId?: string };
    expect({ label, count: ends.length, eventType: end.eventType, cause: end.cause }).toEqual({
      label,
      count: 1,
      eventType: expected.callback,
      cause: toBandwidth(expected.cause),
    });
    const message = expected.errorMessage?.replace('c-model', callId);
    expect({ label, message: end.errorMessage, errorId: end.errorId !== undefined }).toEqual({
      label,
      message: expected.error ? message : undefined,
      errorId: expected.error,
    });
    seen.add(`${expected.cause} by ${expected.by}`);
    await channelDriver.teardown(ctx);
  }
  // Every row of the chart's hang-up table, both sides, and the dialled call's own timeout.
  expect([...seen].sort()).toEqual([
    'cancel by local',
    'cancel by remote',
    'error by local',
    'error by remote',
    'noAnswer by local',
    'normal by local',
    'normal by remote',
  ]);
});
