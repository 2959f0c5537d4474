// Re-INVITEs of a bridge (RFC 3725) against SIPp far ends: B answering our re-INVITE from a new port makes A
// follow it (and an identical answer sends nothing more: SIPp fails on any extra INVITE); a 491 (glare) retried
// after the RFC 3261 14.1 delay on the engine's clock; a 488 leaves both dialogs up, is reported on
// `networkError` and in `network.media()`, and retrieval still works.
import { SimulatedClock } from 'xstate';
import {
  createSipNetwork,
  createSwitchboard,
  State,
  TransferCause,
  type Channel,
  type SipNetwork,
  type Switchboard,
} from '../../src';
import { startSipp, type SippRun } from '../support/sipp';

const open: { close(): Promise<unknown> | void }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function start(farEnd: SippRun, clock?: SimulatedClock) {
  const network = createSipNetwork({
    listen: ['udp:127.0.0.1:0'],
    services: { voicemail: `sip:voicemail@127.0.0.2:${farEnd.port}` },
    media: { host: '127.0.0.1' },
  });
  const [bound] = await network.listening;
  const sb: Switchboard<SipNetwork> = createSwitchboard({ network, ...(clock ? { clock } : {}) });
  const errors: { command: string; callId: string; message: string }[] = [];
  sb.on('networkError', (e) => errors.push({ command: e.command, callId: e.callId, message: String(e.error) }));
  const incoming = new Promise<Channel>((resolve) => sb.once('incomingCall', resolve));
  open.push({ close: () => sb.close() });
  return { sb, network, errors, incoming, port: bound.port };
}

async function answeredCaller(r: Awaited<ReturnType<typeof start>>, scenario: string) {
  const caller = await startSipp(scenario, { target: `127.0.0.1:${r.port}` });
  const a = await r.incoming;
  await a.ring();
  expect(await a.answer()).toBe(State.ANSWERED);
  a.createTonePlayer();
  return { caller, a };
}

/** Resolves once `ok()` holds, checking on every turn of the event loop (SIP messages arrive on sockets). */
async function until(ok: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test("B's re-INVITE answered 491 is retried after 2.1-4 s of the engine's clock; its answer from a new port is passed to A", async () => {
  const clock = new SimulatedClock();
  const farEnd = await startSipp('uas-glare-move.xml');
  const r = await start(farEnd, clock);
  const { caller, a } = await answeredCaller(r, 'uac-follows-b.xml');
  const b = r.sb.createChannel();
  const timers = r.sb.stats().timers;
  expect(await a.transferToInboundService(b, 'voicemail')).toBe(State.TRANSFERRED);
  const transferTimers = r.sb.stats().timers; // the transfer's own, and the ringback's next packet
  // A re-INVITEd with B's SDP and answered; B re-INVITEd with A's answer: 491; the retry waits on our clock.
  await until(() => r.sb.stats().timers === transferTimers + 1, 'the 491 retry timer');
  expect(timers).toBeLessThanOrEqual(transferTimers);
  clock.increment(2090); // RFC 3261 14.1: we own B's Call-ID, so 2.1 s at the earliest
  expect(r.sb.stats().timers).toBe(transferTimers + 1);
  clock.increment(1910); // and 4 s at the latest: the retry went
  expect(r.sb.stats().timers).toBe(transferTimers);
  // B answered from 6008: A was re-INVITEd with it (SIPp checks), then B hung up and A was retrieved.
  expect(await a.waitForTransferredCallRetrieval()).toBe(State.ANSWERED);
  expect(a.transferCause()).toBe(TransferCause.NORMAL);
  expect(r.network.media(a.callId!).lastReinviteFailure).toBeNull();
  expect(await a.hangUp()).toBe(State.IDLE);
  expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
  expect(await farEnd.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
  expect(r.errors).toEqual([]);
  expect(r.network.legCount).toBe(0);
}, 30000);

test("B refuses A's SDP with 488: both dialogs stay up, it is reported, and A is retrieved as usual", async () => {
  const farEnd = await startSipp('uas-reinvite-488.xml');
  const r = await start(farEnd);
  const { caller, a } = await answeredCaller(r, 'uac-bridged-once.xml');
  const b = r.sb.createChannel();
  expect(await a.transferToInboundService(b, 'voicemail')).toBe(State.TRANSFERRED);
  await until(() => r.errors.length > 0, 'the report of the 488');
  expect(r.errors).toEqual([
    { command: 'bridge', callId: b.callId, message: 'Error: bridge failed with 488 Not Acceptable Here' },
  ]);
  expect(r.network.media(b.callId!)).toMatchObject({
    bridgedTo: a.callId,
    lastReinviteFailure: 'bridge: 488 Not Acceptable Here',
  });
  expect([a.state, b.state]).toEqual([State.TRANSFERRED, State.ANSWERED]);
  expect(r.network.dialogCount).toBe(2);
  expect(await a.retrieveTransferredCall()).toBe(State.ANSWERED); // A re-INVITEd to ours, B BYEd (SIPp checks)
  expect(await a.hangUp()).toBe(State.IDLE);
  expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
  expect(await farEnd.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
  expect(r.sb.stats()).toMatchObject({ legs: 0, transfers: 0 });
  expect(r.network.legCount).toBe(0);
}, 30000);
