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
import type { ChannelEvent } from '../../machines/channel';
import type { Engine } from '../../src/engine/engine';
import type { Leg } from '../../src/engine/leg';
import { runModel, type Driver, type Probe } from './runner';

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
  input: { direction: 'inbound' },
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
    { type: 'TARGET.PROGRESS' },
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
        on.progress(id(ctx.b));
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
