// End to end with a real softphone on both sides: baresip A calls an IVR-like application on the SIP network,
// which answers and does a retrievable transfer to baresip B; A hears ringback (decoded from our RTP) while B
// rings; B then answers (A is re-INVITEd with B's SDP, so A's RTP reaches B: B decodes A's 600 Hz tone); B hangs
// up, A is retrieved (re-INVITEd back), A hangs up. Asserts the states, transferCause(), the callbacks in order,
// both phones' view and RTP counts, and nothing left behind.
import {
  createSipNetwork,
  createSwitchboard,
  State,
  TransferCause,
  type BandwidthCallback,
  type Channel,
  type SipNetwork,
  type Switchboard,
} from '../../src';
import { Baresip, findBaresip } from '../support/baresip';
import { toneShare } from '../support/toneDetect';

const phones: Baresip[] = [];
let sb: Switchboard<SipNetwork> | undefined;

// Installing baresip-core when it is missing (apt) takes longer than a test's own timeout.
beforeAll(() => void findBaresip(), 300_000);

afterEach(async () => {
  await sb?.close();
  sb = undefined;
  await Promise.all(phones.splice(0).map((p) => p.stop()));
});

/** An IVR: rings and answers every call, then transfers it (retrievably) to `number`, ringback while it rings. */
function ivr(switchboard: Switchboard<SipNetwork>, number: string) {
  return new Promise<{ a: Channel; b: Channel; transfer: Promise<State> }>((resolve, reject) =>
    switchboard.once('incomingCall', (a) => {
      void (async () => {
        await a.ring();
        await a.answer();
        a.createTonePlayer();
        const b = switchboard.createChannel();
        resolve({ a, b, transfer: a.retrievableTransfer(b, number) });
      })().catch(reject);
    }),
  );
}

/** Resolves once `condition()` holds (a real process's state: polled every 20 ms), or rejects after `ms`. */
async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('tone detection: a 600 Hz sine is 600 Hz, not 440 Hz; silence is nothing', () => {
  const sine = Int16Array.from({ length: 4000 }, (_, i) => 8000 * Math.sin((2 * Math.PI * 600 * i) / 8000));
  expect(toneShare(sine, 600)).toBeGreaterThan(0.95);
  expect(toneShare(sine, 440)).toBeLessThan(0.01);
  expect(toneShare(new Int16Array(4000), 600)).toBe(0);
});

test('baresip calls in, is answered and transferred to a second baresip, which answers; retrieval; hang-up', async () => {
  const [caller, target] = await Promise.all([
    Baresip.start({ user: 'alice', toneHz: 600 }),
    Baresip.start({ user: '2001', toneHz: 1000 }),
  ]);
  phones.push(caller, target);
  const network = createSipNetwork({ listen: ['udp:127.0.0.1:0'], gateway: `sip:127.0.0.2:${target.port}` });
  const [bound] = await network.listening;
  sb = createSwitchboard({ network });
  const callbacks: BandwidthCallback[] = [];
  sb.on('callback', (c) => callbacks.push(c));
  const bRinging = new Promise<void>((resolve) =>
    sb!.on('legState', (c) => {
      if (c.state === State.RING_OUTGOING) resolve();
    }),
  );
  const call = ivr(sb, '2001');

  // A dials the IVR, which rings and answers it.
  await caller.dial(`sip:ivr@127.0.0.1:${bound.port}`);
  const { a, b, transfer } = await call;
  expect(await caller.waitForEvent('CALL_ESTABLISHED')).toMatchObject({
    direction: 'outgoing',
    peeruri: `sip:ivr@127.0.0.1:${bound.port}`,
  });
  expect(caller.events.map((e) => e.type).slice(0, 2)).toEqual(['CALL_LOCAL_SDP', 'CALL_RINGING']);
  expect(callbacks[0]).toMatchObject({ eventType: 'initiate', from: 'alice', to: 'ivr' });

  // B rings (its 180 makes the target leg RING_OUTGOING); the INVITE carries A's caller id.
  expect(await target.waitForEvent('CALL_INCOMING')).toMatchObject({
    direction: 'incoming',
    peeruri: `sip:alice@127.0.0.1:${bound.port}`,
  });
  await bRinging;
  expect(b.state).toBe(State.RING_OUTGOING);

  // While B rings, A hears ringback: RTP from the tone player reaches A's SDP port and A decodes it as the US
  // ringback (440 + 480 Hz, the first 2 s of its cadence are on), not as anything of B's or its own.
  await until(() => caller.decodedFrames() >= 25, 'A to decode 25 frames (0.5 s) of ringback');
  const ringback = caller.decodedSamples();
  expect(toneShare(ringback, 440)).toBeGreaterThan(0.3);
  expect(toneShare(ringback, 480)).toBeGreaterThan(0.3);
  expect(toneShare(ringback, 600)).toBeLessThan(0.05);
  expect(b.state).toBe(State.RING_OUTGOING);

  // B answers: the transfer is complete and A is re-INVITEd with B's SDP (RFC 3725), so A's RTP goes to B.
  await target.accept();
  expect(await transfer).toBe(State.TRANSFERRED);
  expect(a.state).toBe(State.TRANSFERRED);
  expect(b.state).toBe(State.ANSWERED);
  expect(a.transferCause()).toBe(TransferCause.NORMAL);
  expect(await caller.waitForEvent('CALL_REMOTE_SDP', 2)).toMatchObject({ param: 'offer' });
  await target.waitForEvent('CALL_RTPESTAB');
  await until(() => target.decodedFrames() >= 25, 'B to decode 25 frames of A');
  // What B hears is A's microphone (600 Hz), straight from A.
  expect(toneShare(target.decodedSamples().slice(-4000), 600)).toBeGreaterThan(0.8);
  // And A hears B's (1000 Hz), straight from B: B was re-INVITEd with A's SDP once A answered B's (RFC 3725).
  expect(await target.waitForEvent('CALL_REMOTE_SDP', 2)).toMatchObject({ param: 'offer' });
  const heard = caller.decodedFrames();
  await until(() => caller.decodedFrames() >= heard + 25, 'A to decode 25 frames of B');
  const fromB = caller.decodedSamples().slice(-4000);
  expect(toneShare(fromB, 1000)).toBeGreaterThan(0.8);
  expect(toneShare(fromB, 440)).toBeLessThan(0.05);

  // B hangs up: A is retrieved (re-INVITEd back to our media), then A hangs up.
  const retrieved = a.waitForTransferredCallRetrieval();
  await target.hangup();
  expect(await retrieved).toBe(State.ANSWERED);
  expect(b.state).toBe(State.IDLE);
  expect(a.transferCause()).toBe(TransferCause.NORMAL);
  expect(await caller.waitForEvent('CALL_REMOTE_SDP', 3)).toMatchObject({ param: 'offer' });
  await caller.hangup();
  expect(await a.waitForIdle()).toBe(State.IDLE);
  expect(await caller.waitForEvent('CALL_CLOSED')).toMatchObject({ param: 'Connection reset by user' });
  expect(await target.waitForEvent('CALL_CLOSED')).toMatchObject({ param: 'Connection reset by user' });

  expect(callbacks.map((c) => [c.eventType, 'cause' in c ? c.cause : undefined])).toEqual([
    ['initiate', undefined],
    ['transferAnswer', undefined],
    ['transferDisconnect', 'hangup'],
    ['transferComplete', 'hangup'],
    ['disconnect', 'hangup'],
  ]);
  expect(callbacks[1]).toMatchObject({ transferTo: '2001' });
  expect(sb.stats()).toEqual({ legs: 0, agentCalls: 0, transfers: 0, timers: 0, terminalEvents: 2 });
  expect(network.legCount).toBe(0);
  expect(network.dialogCount).toBe(0);

  // Each phone's own RTP counts for its one call: A received at least the ringback it decoded (the jitter
  // buffer holds a few packets back), B what A sent it after the bridge.
  const [[aStats], [bStats]] = await Promise.all([caller.stop(), target.stop()]);
  expect(aStats.rxPackets).toBeGreaterThanOrEqual(ringback.length / 160);
  expect(aStats.txPackets).toBeGreaterThan(25);
  expect(bStats.rxPackets).toBeGreaterThanOrEqual(25);
}, 30_000);
