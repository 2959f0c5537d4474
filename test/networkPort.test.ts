/**
 * The network port's guarantees (src/engine/network.ts), against a network driven by hand: a command that
 * throws fails its leg in the same turn; a late answer for a released call is released again; a failed hold
 * leaves the call up; media commands come in the order of the transfer.
 */
import { createSwitchboard, SimulatedClock, State, TransferCause, type BandwidthCallback } from '../src';
import type { EndCause } from '../machines/vocabulary';
import { ManualNetwork } from './support/manualNetwork';
import { flush } from './harness';
import { InspectorHub } from '../src/inspect/hub';
import type { Engine } from '../src/engine/engine';
import type { Leg } from '../src/engine/leg';

function setup(network = new ManualNetwork()) {
  const sb = createSwitchboard({ clock: new SimulatedClock(), network });
  network.useChannels((callId) => sb.channel(callId));
  const callbacks: BandwidthCallback[] = [];
  const errors: string[] = [];
  sb.on('callback', (p) => callbacks.push(p));
  sb.on('networkError', (e) => errors.push(`${e.command} ${e.callId}`));
  const summary = () => callbacks.map((c) => `${c.eventType}${'cause' in c ? `(${c.cause})` : ''}`);
  return { sb, net: network, callbacks, errors, summary };
}

/** An inbound call answered by the application, with a tone player. */
async function answered(t: ReturnType<typeof setup>) {
  const a = t.net.offer('+15550001111', '+15559990000');
  const answering = a.answer();
  t.net.connected(a.callId as string);
  await answering;
  a.createTonePlayer();
  return a;
}

test('a dial that throws: the leg is in ERROR when call() returns, no uncaught exception; hangUp ends it with error', async () => {
  const t = setup();
  t.net.throwOn.add('dial');
  const channel = t.sb.createChannel();
  const result = channel.call('+15557770000');
  expect(channel.state).toBe(State.ERROR); // in the same turn
  expect(await result).toBe(State.ERROR);
  expect(t.errors).toEqual([`dial ${channel.callId}`]);
  await channel.hangUp();
  expect(t.summary()).toEqual(['disconnect(error)']);
  expect(t.callbacks[0]).toMatchObject({ errorMessage: "The network's dial failed: dial refused by the test network" });
  expect(t.sb.stats()).toMatchObject({ legs: 0, transfers: 0, timers: 0 });
});

test("a transfer target's dial that throws: B ends with its terminal callback in the same turn, A back to ANSWERED", async () => {
  const t = setup();
  const a = await answered(t);
  const b = t.sb.createChannel();
  t.net.throwOn.add('dial');
  const before = t.callbacks.length;
  const result = a.retrievableTransfer(b, '+15557770000');
  expect([a.state, b.state]).toEqual([State.ANSWERED, State.IDLE]);
  expect(t.summary().slice(before)).toEqual(['transferDisconnect(error)', 'transferComplete(error)']);
  expect(await result).toBe(State.ANSWERED);
  expect(a.transferCause()).toBe(TransferCause.FAIL);
  t.sb.close();
  expect(t.sb.stats()).toMatchObject({ legs: 0, transfers: 0, timers: 0 });
});

test('an answer (200) that crosses our cancel: ignored for the call, and the network is told again to release it', async () => {
  const t = setup();
  const channel = t.sb.createChannel();
  void channel.call('+15557770000');
  const id = channel.callId as string;
  t.net.indications.progress(id, { earlyMedia: true });
  await channel.hangUp();
  expect(t.net.commands.map((c) => c.type)).toEqual(['dial', 'release']);
  t.net.indications.answered(id); // the far end's 200 arrives after our CANCEL
  expect(t.net.commands.map((c) => `${c.type} ${c.callId === id}`)).toEqual([
    'dial true',
    'release true',
    'release true',
  ]);
  expect(channel.state).toBe(State.IDLE);
  expect(t.summary()).toEqual(['disconnect(cancel)']);
  expect(t.sb.stats()).toMatchObject({ legs: 0, timers: 0 });
});

test('release is called while the leg is known: an answer sent from inside it is taken and ignored', async () => {
  class AnswersOnRelease extends ManualNetwork {
    override release(callId: string, cause: EndCause, by: 'local' | 'remote'): void {
      super.release(callId, cause, by);
      this.indications.answered(callId);
    }
  }
  const t = setup(new AnswersOnRelease());
  const channel = t.sb.createChannel();
  void channel.call('+15557770000');
  await channel.hangUp();
  // One release: the crossing answer reached the ending leg (still known), not the "unknown call" path.
  expect(t.net.commands.map((c) => c.type)).toEqual(['dial', 'release']);
  expect(t.summary()).toEqual(['disconnect(cancel)']);
  expect(t.sb.stats()).toMatchObject({ legs: 0, timers: 0 });
});

test('a hold that fails (491) leaves the call up: back to ANSWERED; a release that throws is reported', async () => {
  const t = setup();
  const a = await answered(t);
  const held = a.hold();
  expect(a.state).toBe(State.HOLDING);
  t.net.indications.holdResult(a.callId as string, { ok: false, status: 491, reason: 'Request Pending' });
  expect(await held).toBe(State.ANSWERED);
  t.net.throwOn.add('release');
  await a.hangUp();
  expect(t.errors).toEqual([`hold ${a.callId}`, `release ${a.callId}`]);
  expect(t.summary()).toEqual(['initiate', 'disconnect(hangup)']);
  expect(t.sb.stats()).toMatchObject({ legs: 0, timers: 0 });
});

test('media commands follow the transfer: ringback while B rings, A and B bridged, unbridged before B is released', async () => {
  const t = setup();
  const a = await answered(t);
  const b = t.sb.createChannel();
  void a.retrievableTransfer(b, '+15557770000');
  const A = a.callId as string;
  const B = b.callId as string;
  t.net.indications.progress(B);
  t.net.connected(B);
  const retrieved = a.retrieveTransferredCall();
  t.net.connected(A);
  expect(await retrieved).toBe(State.ANSWERED);
  const name = (id: string | undefined) => (id === A ? 'A' : id === B ? 'B' : id);
  expect(t.net.commands.slice(1).map((c) => `${c.type} ${name(c.callId)}${c.to ? ` ${name(c.to)}` : ''}`)).toEqual([
    'dial B +15557770000',
    'playTone A RINGBACK',
    'stopTone A',
    'bridge A B',
    'unbridge A B',
    'release B',
    'reconnect A',
  ]);
  t.sb.close();
});

test('the simulated network keeps the media state: ringback to A, then A and B bridged, nothing once ended', async () => {
  const clock = new SimulatedClock();
  const sb = createSwitchboard({ clock });
  sb.network.addEndpoint('+1777', { outcome: 'answer', ringFor: 1 });
  const { channel: a } = sb.network.placeCall({ from: '+1555', to: '+1999' });
  await a.answer();
  a.createTonePlayer();
  const b = sb.createChannel();
  const result = a.retrievableTransfer(b, '+1777');
  expect(sb.network.media(a.callId as string)).toEqual({ tone: 'RINGBACK', bridgedTo: null });
  clock.increment(1000);
  expect(await result).toBe(State.TRANSFERRED);
  expect(sb.network.media(a.callId as string)).toEqual({ tone: null, bridgedTo: b.callId });
  expect(sb.network.media(b.callId as string)).toEqual({ tone: null, bridgedTo: a.callId });
  sb.close();
  expect(sb.network.media(a.callId as string)).toEqual({ tone: null, bridgedTo: null });
});

describe('unhold is confirmed like hold (unholdResult)', () => {
  test('the leg stays ON_HOLD until the network confirms; then ANSWERED', async () => {
    const t = setup();
    const a = await answered(t);
    const A = a.callId as string;
    void a.hold();
    t.net.held(A);
    let settled: State | null = null;
    const unheld = a.unhold().then((s) => (settled = s));
    await flush();
    expect([a.state, settled]).toEqual([State.ON_HOLD, null]);
    t.net.unheld(A);
    await unheld;
    expect([a.state, settled]).toEqual([State.ANSWERED, State.ANSWERED]);
    expect(t.net.commands.map((c) => c.type)).toEqual(['answer', 'hold', 'unhold']);
    t.sb.close();
  });

  test('an unhold that fails (491) leaves the call up and held: unhold() resolves ON_HOLD, reported; a new unhold works', async () => {
    const t = setup();
    const a = await answered(t);
    const A = a.callId as string;
    void a.hold();
    t.net.held(A);
    const first = a.unhold();
    t.net.indications.unholdResult(A, { ok: false, status: 491, reason: 'Request Pending' });
    expect(await first).toBe(State.ON_HOLD);
    expect(t.errors).toEqual([`unhold ${A}`]);
    const second = a.unhold();
    t.net.unheld(A);
    expect(await second).toBe(State.ANSWERED);
    expect(t.summary()).toEqual(['initiate']);
    t.sb.close();
  });

  test('unhold while the hold is unconfirmed: sent once the hold takes (one re-INVITE at a time)', async () => {
    const t = setup();
    const a = await answered(t);
    const A = a.callId as string;
    void a.hold();
    const unheld = a.unhold();
    expect(t.net.commands.map((c) => c.type)).toEqual(['answer', 'hold']);
    t.net.held(A);
    expect([a.state, t.net.commands.at(-1)?.type]).toEqual([State.ON_HOLD, 'unhold']);
    t.net.unheld(A);
    expect(await unheld).toBe(State.ANSWERED);
    t.sb.close();
  });

  test('unhold while the hold is unconfirmed, and the hold fails: ANSWERED, no unhold sent', async () => {
    const t = setup();
    const a = await answered(t);
    void a.hold();
    const unheld = a.unhold();
    t.net.indications.holdResult(a.callId as string, { ok: false, status: 488 });
    expect(await unheld).toBe(State.ANSWERED);
    expect(t.net.commands.map((c) => c.type)).toEqual(['answer', 'hold']);
    t.sb.close();
  });
});

describe('at most one command of a kind outstanding per leg: (callId, kind) is the correlation', () => {
  test('a second hold or unhold while one is pending is refused, and the network sees one', async () => {
    const t = setup();
    const a = await answered(t);
    const A = a.callId as string;
    void a.hold();
    await expect(a.hold()).rejects.toThrow(/hold\(\) needs the channel ANSWERED, but it is HOLDING/);
    t.net.held(A);
    void a.unhold();
    await expect(a.unhold()).rejects.toThrow(/unhold\(\): an unhold is already pending/);
    expect(t.net.commands.map((c) => c.type)).toEqual(['answer', 'hold', 'unhold']);
    expect(a.state).toBe(State.ON_HOLD);
    t.sb.close();
  });

  test('the engine itself never sends a second of a kind while one is outstanding (reported instead)', async () => {
    const t = setup();
    const a = await answered(t);
    const A = a.callId as string;
    void a.hold();
    // Below the charts (which never ask twice): the engine's own guard, as an adapter bug would meet it.
    const engine = t.net.indications as unknown as Engine;
    engine.command(engine.legs.get(A) as Leg, 'hold', (n) => n.hold(A));
    expect(t.net.commands.map((c) => c.type)).toEqual(['answer', 'hold']);
    expect(t.errors).toEqual([`hold ${A}`]);
    t.net.held(A); // the one outstanding hold is confirmed: a new one may be sent
    void a.unhold();
    t.net.unheld(A);
    void a.hold();
    expect(a.state).toBe(State.HOLDING);
    expect(t.net.commands.map((c) => c.type)).toEqual(['answer', 'hold', 'unhold', 'hold']);
    t.sb.close();
  });

  test('a confirmation with no command of its kind outstanding is ignored (a stale or repeated result)', async () => {
    const t = setup();
    const a = await answered(t);
    const A = a.callId as string;
    t.net.indications.holdResult(A, { ok: true }); // no hold was asked for
    t.net.indications.unholdResult(A, { ok: false, status: 500 });
    t.net.indications.accepted(A); // a repeated ACK
    expect(a.state).toBe(State.ANSWERED);
    void a.hold();
    t.net.held(A);
    t.net.held(A); // a repeated 200 to the re-INVITE
    void a.unhold();
    t.net.indications.holdResult(A, { ok: false, status: 491 }); // not the unhold's result: ignored
    expect(a.state).toBe(State.ON_HOLD);
    t.net.unheld(A);
    expect(a.state).toBe(State.ANSWERED);
    expect(t.errors).toEqual([]);
    t.sb.close();
  });
});

describe('early media (183 with SDP): A hears B, not our ringback', () => {
  test("the simulated far end's earlyMedia: A is bridged to B while B rings (no tone), and stays bridged on answer", async () => {
    const clock = new SimulatedClock();
    const sb = createSwitchboard({ clock });
    sb.network.addEndpoint('+1777', { outcome: 'answer', ringFor: 1, earlyMedia: true });
    const { channel: a } = sb.network.placeCall({ from: '+1555', to: '+1999' });
    await a.answer();
    const player = a.createTonePlayer();
    const b = sb.createChannel();
    const result = a.retrievableTransfer(b, '+1777');
    const [A, B] = [a.callId as string, b.callId as string];
    expect([b.state, sb.network.media(A), player.playing]).toEqual([
      State.RING_OUTGOING,
      { tone: null, bridgedTo: B },
      null,
    ]);
    clock.increment(1000);
    expect(await result).toBe(State.TRANSFERRED);
    expect([sb.network.media(A), sb.network.media(B)]).toEqual([
      { tone: null, bridgedTo: B },
      { tone: null, bridgedTo: A },
    ]);
    sb.close();
  });

  test('the commands: one bridge for early media and answer, no tone; unbridged before B is released', async () => {
    const t = setup();
    const a = await answered(t);
    const b = t.sb.createChannel();
    void a.retrievableTransfer(b, '+15557770000');
    const [A, B] = [a.callId as string, b.callId as string];
    t.net.indications.progress(B, { earlyMedia: true });
    expect(a.tonePlayer?.playing).toBeNull();
    t.net.connected(B);
    const retrieved = a.retrieveTransferredCall();
    t.net.connected(A);
    expect(await retrieved).toBe(State.ANSWERED);
    const name = (id: string | undefined) => (id === A ? 'A' : id === B ? 'B' : id);
    expect(t.net.commands.slice(1).map((c) => `${c.type} ${name(c.callId)}${c.to ? ` ${name(c.to)}` : ''}`)).toEqual([
      'dial B +15557770000',
      'bridge A B',
      'unbridge A B',
      'release B',
      'reconnect A',
    ]);
    t.sb.close();
  });

  test('B sends early media, then rejects: A is unbridged and back to ANSWERED, with nothing playing', async () => {
    const clock = new SimulatedClock();
    const sb = createSwitchboard({ clock });
    sb.network.addEndpoint('+1777', { outcome: 'reject', ringFor: 1, earlyMedia: true });
    const { channel: a } = sb.network.placeCall({ from: '+1555', to: '+1999' });
    await a.answer();
    a.createTonePlayer();
    const b = sb.createChannel();
    const result = a.retrievableTransfer(b, '+1777');
    expect(sb.network.media(a.callId as string)).toEqual({ tone: null, bridgedTo: b.callId });
    clock.increment(1000);
    expect(await result).toBe(State.ANSWERED);
    expect(a.transferCause()).toBe(TransferCause.TARGETREJECT);
    expect(sb.network.media(a.callId as string)).toEqual({ tone: null, bridgedTo: null });
    sb.close();
  });

  test('180 first, then 183 with media: the ringback stops and A is bridged to B', async () => {
    const t = setup();
    const a = await answered(t);
    const b = t.sb.createChannel();
    void a.retrievableTransfer(b, '+15557770000');
    const [A, B] = [a.callId as string, b.callId as string];
    t.net.indications.progress(B);
    expect(a.tonePlayer?.playing).toBe('RINGBACK');
    t.net.indications.progress(B, { earlyMedia: true });
    expect(a.tonePlayer?.playing).toBeNull();
    t.net.connected(B);
    const name = (id: string | undefined) => (id === A ? 'A' : id === B ? 'B' : id);
    expect(t.net.commands.slice(2).map((c) => `${c.type} ${name(c.callId)}${c.to ? ` ${name(c.to)}` : ''}`)).toEqual([
      'playTone A RINGBACK',
      'stopTone A',
      'bridge A B',
    ]);
    t.sb.close();
  });

  test('a script with earlyMedia that cannot ring, or not a boolean, is refused', () => {
    const sb = createSwitchboard({ clock: new SimulatedClock() });
    expect(() => sb.network.addEndpoint('+1777', { outcome: 'busy', earlyMedia: true })).toThrow(
      /earlyMedia needs an outcome that rings/,
    );
    expect(() => sb.network.addEndpoint('+1777', { outcome: 'answer', earlyMedia: 'yes' as never })).toThrow(
      /earlyMedia must be true or false/,
    );
    sb.close();
  });
});

describe('far-end hold (remoteHold / remoteUnhold): a leg property, not a state', () => {
  test('the channel and the inspection show it; the state and the callbacks do not change; gone with the leg', async () => {
    const clock = new SimulatedClock();
    const sb = createSwitchboard({ clock });
    const callbacks: string[] = [];
    const states: string[] = [];
    sb.on('callback', (p) => callbacks.push(p.eventType));
    sb.on('legState', (c) => states.push(c.state));
    const { channel: a, farEnd } = sb.network.placeCall({ from: '+1555', to: '+1999' });
    await a.answer();
    const A = a.callId as string;
    const before = { callbacks: callbacks.length, states: states.length };
    expect([a.remoteHold, sb.inspection.liveCall(A)?.remoteHold]).toEqual([false, false]);
    farEnd.hold();
    expect([a.state, a.remoteHold, sb.inspection.liveCall(A)?.remoteHold]).toEqual([State.ANSWERED, true, true]);
    // The application may still hold the call itself: both sides' holds are independent.
    expect(await a.hold()).toBe(State.ON_HOLD);
    expect(await a.unhold()).toBe(State.ANSWERED);
    expect(a.remoteHold).toBe(true);
    farEnd.unhold();
    expect([a.state, a.remoteHold, sb.inspection.liveCall(A)?.remoteHold]).toEqual([State.ANSWERED, false, false]);
    farEnd.hold();
    expect(callbacks.length).toBe(before.callbacks);
    expect(states.slice(before.states)).toEqual([State.HOLDING, State.ON_HOLD, State.ANSWERED]);
    await a.hangUp();
    expect(a.remoteHold).toBe(false);
    expect(sb.inspection.liveCall(A)).toBeUndefined();
    sb.network.farEnd(A).unhold(); // for a call that has ended: ignored
    sb.close();
  });

  test('the inspector shows it on a live call, read afresh (not kept once the call ends)', async () => {
    const clock = new SimulatedClock();
    const sb = createSwitchboard({ clock });
    const hub = new InspectorHub(sb, { mode: 'always' });
    const { channel: a, farEnd } = sb.network.placeCall({ from: '+1555', to: '+1999' });
    await a.answer();
    const A = a.callId as string;
    farEnd.hold();
    expect(hub.call(A)?.call).toMatchObject({ callId: A, state: 'ANSWERED', live: true, remoteHold: true });
    expect(hub.calls().find((c) => c.callId === A)).toMatchObject({ remoteHold: true });
    farEnd.unhold();
    expect(hub.call(A)?.call).toMatchObject({ live: true, remoteHold: false });
    farEnd.hold();
    await a.hangUp();
    expect(hub.call(A)?.call.live).toBe(false);
    expect(hub.call(A)?.call.remoteHold).toBeUndefined();
    hub.close();
    sb.close();
  });
});
