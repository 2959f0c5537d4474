// createSipNetwork against SIPp over UDP and TCP: the rows of docs/behaviour.md §3 (test/sip/rows.ts: a SIPp
// caller reaches the application, which transfers it to a SIPp far end), inbound and outbound calls, hold,
// shutdown and bad options, with the channel states, the exact callbacks in order, SIPp's verdict on both sides,
// and nothing left behind (sb.stats(), dialogs, legs).
import { Cause, createSipNetwork, State, type NetworkIndications } from '../../src';
import { userOf } from '../../src/sip/network';
import { startSipp, type SippRun } from '../support/sipp';
import {
  closeRuns,
  NO_FAR_END,
  outgoingRings,
  startRun,
  summary,
  type SipProfile,
  type Transport,
} from '../support/sipRun';
import { rowTests } from './rows';

const PROFILE = (transport: Transport): SipProfile => ({ transport, testTimeoutMs: 20000 });

afterEach(closeRuns);

describe.each(['udp', 'tcp'] as const)('SIP network over %s', (transport) => {
  /** A network whose services and gateway point at nothing (for calls that never leave SIPp's side). */
  const inboundOnly = () => startRun(transport, NO_FAR_END);
  const start = (farEnd: SippRun) => startRun(transport, farEnd);

  rowTests('plain', PROFILE(transport));

  test('sb.close() with a call up: BYE with Q.850 16, disconnect, and the port is free again', async () => {
    const r = await inboundOnly();
    const caller = await startSipp('uac-bye-from-sut.xml', { target: `127.0.0.1:${r.port}`, transport });
    const a = await r.a;
    await a.answer();
    await r.sb.close();
    expect(summary(r)).toEqual([
      ['initiate', undefined],
      ['disconnect', 'hangup'],
    ]);
    expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    const again = createSipNetwork({ listen: [`${transport}:127.0.0.1:${r.port}`] });
    await expect(again.listening).resolves.toEqual([
      { protocol: transport.toUpperCase(), host: '127.0.0.1', port: r.port },
    ]);
    await again.close();
  }, 20000);

  test('sb.close() while an outgoing call rings: CANCEL, 487 ACKed before the sockets close', async () => {
    const farEnd = await startSipp('uas-cancel.xml', { transport });
    const r = await start(farEnd);
    const ringing = outgoingRings(r);
    const c = r.sb.createChannel();
    const dialled = c.call('+15557770000');
    await ringing;
    await r.sb.close();
    expect(await dialled).toBe(State.IDLE);
    expect(summary(r)).toEqual([['disconnect', 'cancel']]);
    expect(await farEnd.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(r.network.legCount).toBe(0);
  }, 20000);

  test('inbound: ring and answer from inside the incomingCall listener (before offer returns); caller BYE', async () => {
    const r = await inboundOnly();
    r.sb.on('incomingCall', (a) => {
      void a.ring();
      void a.answer();
    });
    const caller = await startSipp('uac-basic.xml', { target: `127.0.0.1:${r.port}`, transport });
    const a = await r.a;
    expect(await a.waitForIdle()).toBe(State.IDLE);
    expect(summary(r)).toEqual([
      ['initiate', undefined],
      ['disconnect', 'hangup'],
    ]);
    expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(r.network.legCount).toBe(0);
    expect(r.network.dialogCount).toBe(0);
  }, 20000);

  test('inbound: the application rejects with cause BUSY → 486, leg IDLE, disconnect(busy)', async () => {
    const r = await inboundOnly();
    const caller = await startSipp('uac-busy.xml', { target: `127.0.0.1:${r.port}`, transport });
    const a = await r.a;
    expect(await a.reject({ cause: Cause.BUSY })).toBe(State.IDLE);
    expect(summary(r)).toEqual([
      ['initiate', undefined],
      ['disconnect', 'busy'],
    ]);
    expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(r.sb.stats()).toMatchObject({ legs: 0, transfers: 0, timers: 0, terminalEvents: 1 });
    expect(r.network.legCount).toBe(0);
  }, 20000);

  test('inbound: the caller CANCELs while we ring → 200 + 487, leg IDLE, disconnect(cancel)', async () => {
    const r = await inboundOnly();
    const caller = await startSipp('uac-cancel.xml', { target: `127.0.0.1:${r.port}`, transport });
    const a = await r.a;
    await a.ring();
    expect(await a.waitForIdle()).toBe(State.IDLE);
    expect(summary(r)).toEqual([
      ['initiate', undefined],
      ['disconnect', 'cancel'],
    ]);
    expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(r.network.legCount).toBe(0);
  }, 20000);

  test('inbound: the caller holds (re-INVITE sendonly, answered recvonly), then hangs up', async () => {
    const r = await inboundOnly();
    const caller = await startSipp('uac-hold.xml', { target: `127.0.0.1:${r.port}`, transport });
    const a = await r.a;
    await a.ring();
    await a.answer();
    const engine = (r.network as unknown as { engine: NetworkIndications }).engine;
    const remoteHold = jest.spyOn(engine, 'remoteHold');
    expect(await a.waitForIdle()).toBe(State.IDLE);
    expect(remoteHold.mock.calls).toEqual([[expect.any(String)]]);
    expect(summary(r)).toEqual([
      ['initiate', undefined],
      ['disconnect', 'hangup'],
    ]);
    expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(r.network.dialogCount).toBe(0);
  }, 20000);

  test('outbound: call() to sip:{to}@gateway, answered; hold re-INVITEs sendonly; hang-up BYEs', async () => {
    const farEnd = await startSipp('uas-hold.xml', { transport });
    const r = await start(farEnd);
    const c = r.sb.createChannel();
    expect(await c.call('+15557770000')).toBe(State.ANSWERED);
    expect(await c.hold()).toBe(State.ON_HOLD);
    expect(await c.hangUp()).toBe(State.IDLE);
    expect(summary(r)).toEqual([
      ['answer', undefined],
      ['disconnect', 'hangup'],
    ]);
    expect(await farEnd.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(r.network.legCount).toBe(0);
    expect(r.network.dialogCount).toBe(0);
  }, 20000);

  test('outbound: 183 with SDP is progress with earlyMedia; hold then unhold are re-INVITEs sendonly, sendrecv', async () => {
    const farEnd = await startSipp('uas-early-hold.xml', { transport });
    const r = await start(farEnd);
    const engine = (r.network as unknown as { engine: NetworkIndications }).engine;
    const progress = jest.spyOn(engine, 'progress');
    const c = r.sb.createChannel();
    expect(await c.call('+15557770000')).toBe(State.ANSWERED);
    expect(progress.mock.calls).toEqual([[expect.any(String), { earlyMedia: true }]]);
    expect(await c.hold()).toBe(State.ON_HOLD);
    expect(await c.unhold()).toBe(State.ANSWERED);
    expect(await c.hangUp()).toBe(State.IDLE);
    expect(summary(r)).toEqual([
      ['answer', undefined],
      ['disconnect', 'hangup'],
    ]);
    expect(await farEnd.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(r.network.dialogCount).toBe(0);
  }, 20000);

  test('outbound: an unknown service is unobtainable without any SIP', async () => {
    const r = await inboundOnly();
    const c = r.sb.createChannel();
    expect(await c.call('not a number')).toBe(State.IDLE);
    expect(c.cause()).toBe(Cause.UNOBTAINABLE);
    expect(r.network.legCount).toBe(0);
  });
});

describe('createSipNetwork options', () => {
  test('listening rejects when the port is taken', async () => {
    const first = createSipNetwork({ listen: ['udp:127.0.0.1:0'] });
    const [bound] = await first.listening;
    const second = createSipNetwork({ listen: [`udp:127.0.0.1:${bound.port}`] });
    await expect(second.listening).rejects.toThrow(/EADDRINUSE/);
    await second.close();
    await first.close();
  });

  test.each([
    [{ listen: [] }, /non-empty array/],
    [{ listen: ['sctp:127.0.0.1:5060'] }, /listen entry/],
    [{ listen: ['udp:127.0.0.1:5060', 'tcp:127.0.0.1:5062'] }, /same host and port/],
    [{ listen: ['udp:0.0.0.0:5060'] }, /not 0\.0\.0\.0: it is what Via, Contact and SDP carry/],
    [{ listen: ['tcp:[::]:5060'] }, /not ::/],
    [{ listen: ['udp:127.0.0.1:0'], gateway: 'http://x' }, /gateway must be a SIP URI/],
    [{ listen: ['udp:127.0.0.1:0'], services: { vm: 'nope' } }, /service 'vm'/],
    [{ listen: ['udp:127.0.0.1:0'], media: { ports: [30000, 20000] } }, /media.ports/],
  ])('bad options %j: a clear error', (options, message) => {
    expect(() => createSipNetwork(options as never)).toThrow(message);
  });
});

test.each([
  ['sip:+15551234567@carrier.example;user=phone', '+15551234567'],
  ['sips:alice%20b@example.com', 'alice b'],
  ['sip:bad%zz@example.com', 'bad%zz'],
  ['sip:example.com', 'sip:example.com'],
  [undefined, ''],
])('callback from/to: the user part of %s is %j', (uri, user) => {
  expect(userOf(uri)).toBe(user);
});
