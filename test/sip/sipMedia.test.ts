// SIP media against SIPp: the ringback A hears over RTP while B rings (packets counted at A's SDP address by a
// UDP socket of the test: valid RTP, the negotiated PCMA, a 20 ms cadence in timestamps, the US ringback's
// frequencies), stopping when B answers; B's early media (183 with SDP) instead of our ringback; the re-INVITEs
// of A with B's SDP (early, then answered) and back to ours on retrieval; B's re-INVITE with A's answer (RFC 3725,
// two-way media); a far end's re-INVITE while bridged passed on to the other; an exhausted RTP port range; the
// network's default ringbackTone; the caller's own RTP to our port, counted and dropped.
import { createSocket, type Socket } from 'node:dgram';
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
import { freePort } from '../../src/sip/sipJsStack';
import { startSipp, type SippRun } from '../support/sipp';
import { parseRtp, type ParsedRtp } from '../support/rtp';
import { toneShare } from '../support/toneDetect';

interface Run {
  sb: Switchboard<SipNetwork>;
  network: SipNetwork;
  callbacks: BandwidthCallback[];
  a: Promise<Channel>;
  port: number;
}

const open: { close(): Promise<unknown> | void }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

type Transport = 'udp' | 'tcp';

async function start(
  farEnd: SippRun | undefined,
  media?: { ports: [number, number] },
  transport: Transport = 'udp',
  options: { ringbackTone?: string } = {},
): Promise<Run> {
  const t = transport === 'tcp' ? ';transport=tcp' : '';
  const network = createSipNetwork({
    listen: [`${transport}:127.0.0.1:0`],
    services: { voicemail: `sip:voicemail@127.0.0.2:${farEnd?.port ?? 9}${t}` },
    media: { host: '127.0.0.1', ...media },
    ...options,
  });
  const [bound] = await network.listening;
  const sb = createSwitchboard({ network });
  const callbacks: BandwidthCallback[] = [];
  sb.on('callback', (c) => callbacks.push(c));
  const a = new Promise<Channel>((resolve) => sb.once('incomingCall', resolve));
  open.push({ close: () => sb.close() });
  return { sb, network, callbacks, a, port: bound.port };
}

/** A UDP socket on 127.0.0.2 standing for the caller's RTP port: every packet that arrives, parsed; `send`s from it. */
async function rtpListener(): Promise<{
  port: number;
  packets: ParsedRtp[];
  send: (packet: Buffer, port: number) => Promise<void>;
}> {
  const port = await freePort('127.0.0.2');
  const socket: Socket = createSocket('udp4');
  const packets: ParsedRtp[] = [];
  socket.on('message', (m) => packets.push(parseRtp(m)));
  await new Promise<void>((resolve) => socket.bind(port, '127.0.0.2', resolve));
  open.push({ close: () => new Promise<void>((resolve) => socket.close(() => resolve())) });
  const send = (packet: Buffer, to: number) =>
    new Promise<void>((resolve, reject) => socket.send(packet, to, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  return { port, packets, send };
}

/** SIPp calls in (its SDP names `rtpPort`); the application rings and answers. */
async function callIn(r: Run, scenario: string, rtpPort: number, transport: Transport = 'udp') {
  const caller = await startSipp(scenario, {
    target: `127.0.0.1:${r.port}`,
    transport,
    extra: ['-key', 'rtp_port', `${rtpPort}`],
  });
  const a = await r.a;
  await a.ring();
  expect(await a.answer()).toBe(State.ANSWERED);
  a.createTonePlayer();
  return { caller, a };
}

/**
 * One RTP stream: a single SSRC, rising sequence numbers, timestamps on the 20 ms grid (160 at 8 kHz) at least
 * 160 per sequence step (more when a late timer skipped media); almost every packet the next one, 160 later.
 * (A packet lost on the way is tolerated: UDP under load.)
 */
function expectStream(packets: ParsedRtp[], payloadType: number): void {
  expect(packets.length).toBeGreaterThan(0);
  expect(packets[0].marker).toBe(true);
  let consecutive = 0;
  packets.forEach((p, i) => {
    expect(p).toMatchObject({ version: 2, payloadType, ssrc: packets[0].ssrc });
    expect(p.samples).toHaveLength(160);
    if (i === 0) return;
    const seqStep = (p.sequenceNumber - packets[i - 1].sequenceNumber + 65536) % 65536;
    const tsStep = (p.timestamp - packets[i - 1].timestamp + 2 ** 32) % 2 ** 32;
    expect(seqStep).toBeGreaterThanOrEqual(1);
    expect(tsStep % 160).toBe(0);
    expect(tsStep).toBeGreaterThanOrEqual(160 * seqStep);
    if (seqStep === 1 && tsStep === 160) consecutive++;
  });
  expect(consecutive).toBeGreaterThanOrEqual(0.9 * (packets.length - 1));
}

/** The first `count` samples of a stream, each packet at its timestamp (media skipped by a late timer: zeros). */
function mediaTime(packets: ParsedRtp[], count: number): Int16Array {
  const out = new Int16Array(count);
  for (const p of packets) {
    const at = (p.timestamp - packets[0].timestamp + 2 ** 32) % 2 ** 32;
    if (at < count) out.set(p.samples.subarray(0, Math.min(160, count - at)), at);
  }
  return out;
}

/** Real time for packets still in flight to arrive (there is no event for "nothing more comes"). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

describe.each(['udp', 'tcp'] as const)('signalling over %s', (transport) => {
  test('ringback over RTP while B rings (PCMA, 20 ms, 440 + 480 Hz), none after the answer; RINGBACK_EU', async () => {
    const rtp = await rtpListener();
    const farEnd = await startSipp('uas-ring-answer.xml', { calls: 2, transport });
    const r = await start(farEnd, undefined, transport);
    const { caller, a } = await callIn(r, 'uac-media-ringback.xml', rtp.port, transport);
    expect(rtp.packets).toHaveLength(0);

    const streams: ParsedRtp[][] = [];
    for (let round = 0; round < 2; round++) {
      const before = rtp.packets.length;
      const b = r.sb.createChannel();
      const ringbackTone = round === 0 ? undefined : 'RINGBACK_EU';
      expect(await a.transferToInboundService(b, 'voicemail', { ringbackTone })).toBe(State.TRANSFERRED);
      expect(r.network.media(a.callId!)).toMatchObject({ tone: null, bridgedTo: b.callId });
      const sent = r.network.media(a.callId!).rtpPacketsSent; // the tone stopped with the answer
      await settle();
      const stream = rtp.packets.slice(before);
      // B rang for 1.5 s: about 75 packets (UDP: one in flight may still be lost under load).
      expect(stream.length).toBeGreaterThanOrEqual(50);
      expect(stream.length).toBeLessThanOrEqual(90);
      expect(rtp.packets.length).toBeLessThanOrEqual(sent);
      expect(rtp.packets.length).toBeGreaterThanOrEqual(sent - 2);
      expectStream(stream, 8);
      const samples = mediaTime(stream, 8000); // the first second: the tone is on
      if (round === 0) {
        // The default: the US ringback.
        expect(toneShare(samples, 440)).toBeGreaterThan(0.4);
        expect(toneShare(samples, 480)).toBeGreaterThan(0.4);
        expect(toneShare(samples, 425)).toBeLessThan(0.05);
      } else {
        expect(toneShare(samples, 425)).toBeGreaterThan(0.8);
        expect(toneShare(samples, 480)).toBeLessThan(0.05);
      }
      streams.push(stream);
      expect(await a.retrieveTransferredCall()).toBe(State.ANSWERED);
      expect(a.transferCause()).toBe(TransferCause.NORMAL);
      // Nothing more was sent after the answer (the sender's count), nor arrived.
      expect(r.network.media(a.callId!).rtpPacketsSent).toBe(sent);
      expect(rtp.packets.length).toBeLessThanOrEqual(sent);
    }
    expect(streams[1][0].ssrc).not.toBe(streams[0][0].ssrc); // a new stream for the second ringback
    expect(await a.hangUp()).toBe(State.IDLE);
    // SIPp checked each re-INVITE of A: B's SDP (o=answer), then ours (o=switchboard), twice; and that each B was
    // re-INVITEd with A's answer (o=caller 1 2: RFC 3725, so B sends its RTP to A, not to us).
    expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(await farEnd.done).toMatchObject({ code: 0, successful: 2, failed: 0 });
    expect(r.sb.stats()).toMatchObject({ legs: 0, transfers: 0, timers: 0 });
    expect(r.network.rtpPortsInUse).toBe(0);
    expect(r.network.legCount).toBe(0);
  }, 30000);

  test("early media: A re-INVITEd with B's 183 SDP (no ringback), its answer, ours on retrieval", async () => {
    const rtp = await rtpListener();
    const farEnd = await startSipp('uas-early-answer.xml', { transport });
    const r = await start(farEnd, undefined, transport);
    const { caller, a } = await callIn(r, 'uac-media-early.xml', rtp.port, transport);
    const b = r.sb.createChannel();
    const earlyMedia = new Promise<void>((resolve) =>
      r.sb.on('legState', (c) => c.callId === b.callId && c.state === State.RING_OUTGOING && resolve()),
    );
    const transferred = a.transferToInboundService(b, 'voicemail');
    await earlyMedia;
    expect(r.network.media(a.callId!)).toMatchObject({ tone: null, bridgedTo: b.callId });
    expect(await transferred).toBe(State.TRANSFERRED);
    await settle(); // A's re-INVITE with B's answer, then B's with A's (SIPp checks o=caller), before retrieval
    expect(await a.retrieveTransferredCall()).toBe(State.ANSWERED);
    expect(await a.hangUp()).toBe(State.IDLE);
    await settle();
    expect(rtp.packets).toHaveLength(0); // A heard B's early media, never our ringback
    expect(r.network.media(a.callId!).rtpPacketsSent).toBe(0);
    // SIPp checked A's re-INVITEs in order: o=early (183), o=answer (200), o=switchboard (retrieval), and B's
    // re-INVITE once it answered: A's SDP (o=caller 1 2), which it never had while it rang.
    expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(await farEnd.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(r.network.rtpPortsInUse).toBe(0);
  }, 30000);

  test("a far end's re-INVITE while bridged reaches the other: A moves, then B moves; B's BYE retrieves A", async () => {
    const farEnd = await startSipp('uas-bridged-move.xml', { transport });
    const r = await start(farEnd, undefined, transport);
    const { caller, a } = await callIn(r, 'uac-bridged-move.xml', 7000, transport);
    expect(await a.transferToInboundService(r.sb.createChannel(), 'voicemail')).toBe(State.TRANSFERRED);
    // SIPp A moves to 7002 (B re-INVITEd with it), then B to 6004 (A re-INVITEd with it), then B hangs up.
    expect(await a.waitForTransferredCallRetrieval()).toBe(State.ANSWERED);
    expect(a.transferCause()).toBe(TransferCause.NORMAL);
    expect(await a.hangUp()).toBe(State.IDLE);
    // SIPp checked each re-INVITE's SDP: B got A's answer (7000) then A's move (7002); A got B's move (6004).
    expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(await farEnd.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(r.network.legCount).toBe(0);
    expect(r.network.rtpPortsInUse).toBe(0);
  }, 30000);
});

/** Resolves once `ok()` holds, checking on every turn of the event loop (packets arrive on sockets). */
async function until(ok: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test("the caller's own RTP while it hears ringback: read and dropped, counted, no error; the tone goes on", async () => {
  const rtp = await rtpListener();
  const farEnd = await startSipp('uas-ring-answer.xml', { calls: 2 });
  // A port range of our own (the default one may be another process's: our tone would go from a free port).
  const low = 2 * Math.floor((await freePort('127.0.0.1')) / 2);
  const r = await start(farEnd, { ports: [low, low + 5] });
  const errors: unknown[] = [];
  r.sb.on('networkError', (e) => errors.push(e));
  const { caller, a } = await callIn(r, 'uac-media-ringback.xml', rtp.port);
  const transferred = a.transferToInboundService(r.sb.createChannel(), 'voicemail');
  await until(() => rtp.packets.length > 0, 'the first ringback packet');
  const ours = r.network.media(a.callId!).rtpPort!;
  // 1,000 G.711 packets (12-byte header, 160 samples) from the caller's RTP port to ours, 100 at a time.
  const packet = Buffer.concat([Buffer.from([0x80, 8, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4]), Buffer.alloc(160, 0xd5)]);
  for (let sent = 0; sent < 1000;) {
    for (let i = 0; i < 100; i++, sent++) await rtp.send(packet, ours);
    await until(() => r.network.media(a.callId!).rtpPacketsReceived === sent, `${sent} packets counted`);
  }
  expect(r.network.media(a.callId!)).toMatchObject({ tone: 'RINGBACK', rtpPacketsReceived: 1000 });
  expect(await transferred).toBe(State.TRANSFERRED);
  await settle(); // A's re-INVITE with B's answer, then B's with A's, before retrieval (SIPp checks both)
  expect(await a.retrieveTransferredCall()).toBe(State.ANSWERED);
  // The scenario's second round (SIPp expects two transfers).
  expect(await a.transferToInboundService(r.sb.createChannel(), 'voicemail')).toBe(State.TRANSFERRED);
  await settle();
  expect(await a.retrieveTransferredCall()).toBe(State.ANSWERED);
  expect(await a.hangUp()).toBe(State.IDLE);
  expect(errors).toEqual([]);
  expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
  expect(await farEnd.done).toMatchObject({ code: 0, successful: 2, failed: 0 });
  expect(r.network.rtpPortsInUse).toBe(0);
}, 30000);

test('the caller re-INVITEs to a new RTP port while B rings: the ringback follows it there, one stream', async () => {
  const first = await rtpListener();
  const moved = await rtpListener();
  const farEnd = await startSipp('uas-ring-answer.xml');
  const r = await start(farEnd);
  const caller = await startSipp('uac-media-move.xml', {
    target: `127.0.0.1:${r.port}`,
    extra: ['-key', 'rtp_port', `${first.port}`, '-key', 'rtp_port2', `${moved.port}`],
  });
  const a = await r.a;
  await a.ring();
  expect(await a.answer()).toBe(State.ANSWERED);
  a.createTonePlayer();
  expect(await a.transferToInboundService(r.sb.createChannel(), 'voicemail')).toBe(State.TRANSFERRED);
  await settle();
  // About 0.9 s of ringback at the first port (less the time B takes to ring), then 0.6 s at the new one.
  expect(first.packets.length).toBeGreaterThanOrEqual(10);
  expect(moved.packets.length).toBeGreaterThanOrEqual(10);
  expectStream([...first.packets, ...moved.packets], 8); // the same stream, moved
  expect(await a.retrieveTransferredCall()).toBe(State.ANSWERED);
  expect(await a.hangUp()).toBe(State.IDLE);
  expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
  expect(await farEnd.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
}, 30000);

test('media.ports exhausted: B fails in the same turn, clearly; A stays up; a new call gets 503', async () => {
  const rtp = await rtpListener();
  const low = 2 * Math.floor((await freePort('127.0.0.1')) / 2);
  const r = await start(undefined, { ports: [low, low + 1] }); // one RTP port: A's
  const errors: Error[] = [];
  r.sb.on('networkError', (e) => errors.push(e.error as Error));
  const { caller, a } = await callIn(r, 'uac-bye-from-sut.xml', rtp.port);
  expect(r.network.media(a.callId!).rtpPort).toBe(low);
  const b = r.sb.createChannel();
  expect(await a.transferToInboundService(b, 'voicemail')).toBe(State.ANSWERED);
  expect(b.state).toBe(State.IDLE);
  expect(a.transferCause()).toBe(TransferCause.FAIL);
  const message = `No free RTP port: all 1 even ports of media.ports [${low}, ${low + 1}] are in use`;
  expect(r.callbacks[1]).toMatchObject({
    eventType: 'transferDisconnect',
    cause: 'error',
    errorMessage: `The network's dial failed: ${message}`,
  });
  expect(errors.map((e) => e.message)).toEqual([message]);
  // Another call while A holds the one port: 503 with a Warning saying why (SIPp checks it), no offer.
  let offers = 0;
  r.sb.on('incomingCall', () => offers++);
  const second = await startSipp('uac-no-rtp-port.xml', { target: `127.0.0.1:${r.port}` });
  expect(await second.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
  expect(offers).toBe(0);
  expect(await a.hangUp()).toBe(State.IDLE);
  expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
  expect(r.network.rtpPortsInUse).toBe(0);
}, 30000);

test("createSipNetwork's ringbackTone is the transfers' default; a transfer's own ringbackTone wins", async () => {
  const rtp = await rtpListener();
  const farEnd = await startSipp('uas-ring-answer.xml', { calls: 2 });
  const r = await start(farEnd, undefined, 'udp', { ringbackTone: 'RINGBACK_UK' });
  const { caller, a } = await callIn(r, 'uac-media-ringback.xml', rtp.port);
  const heard: string[] = [];
  for (const ringbackTone of [undefined, 'RINGBACK_EU']) {
    const before = rtp.packets.length;
    expect(await a.transferToInboundService(r.sb.createChannel(), 'voicemail', { ringbackTone })).toBe(
      State.TRANSFERRED,
    );
    await settle();
    const samples = mediaTime(rtp.packets.slice(before), 8000);
    const share = (hz: number) => toneShare(samples, hz);
    if (share(400) > 0.3 && share(450) > 0.3 && share(440) < 0.05)
      heard.push('RINGBACK_UK'); // 400 + 450 Hz
    else if (share(425) > 0.8) heard.push('RINGBACK_EU');
    else heard.push(`something else: 400 ${share(400)}, 425 ${share(425)}, 440 ${share(440)}`);
    expect(await a.retrieveTransferredCall()).toBe(State.ANSWERED);
  }
  expect(heard).toEqual(['RINGBACK_UK', 'RINGBACK_EU']);
  expect(await a.hangUp()).toBe(State.IDLE);
  expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
  expect(await farEnd.done).toMatchObject({ code: 0, successful: 2, failed: 0 });
  expect(() => createSipNetwork({ listen: ['udp:127.0.0.1:0'], ringbackTone: 'BEEP' })).toThrow(
    new TypeError(
      'createSipNetwork(): ringbackTone must be one of RINGBACK, RINGBACK_US, RINGBACK_UK, RINGBACK_EU, DIAL, got "BEEP"',
    ),
  );
}, 30000);

test('an unknown ringbackTone is refused before anything happens: a TypeError naming the tones it plays', async () => {
  const rtp = await rtpListener();
  const r = await start(undefined);
  const { caller, a } = await callIn(r, 'uac-bye-from-sut.xml', rtp.port);
  const b = r.sb.createChannel();
  await expect(a.transferToInboundService(b, 'voicemail', { ringbackTone: 'BEEP' })).rejects.toThrow(
    new TypeError(
      "transferToInboundService(): ringbackTone 'BEEP' is not a tone the network plays " +
        '(RINGBACK, RINGBACK_US, RINGBACK_UK, RINGBACK_EU, DIAL)',
    ),
  );
  expect([a.state, b.state]).toEqual([State.ANSWERED, State.IDLE]);
  expect(r.sb.stats()).toMatchObject({ legs: 1, transfers: 0 });
  expect(await a.hangUp()).toBe(State.IDLE);
  expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
  expect(r.network.rtpPortsInUse).toBe(0);
}, 30000);

test.each([[[20001, 20002]], [[20000, 20000]], [[0, 1]], [[20000.5, 20010]]])(
  'media.ports %j without an even port and the one above it: a TypeError naming the option',
  (ports) => {
    expect(() =>
      createSipNetwork({ listen: ['udp:127.0.0.1:0'], media: { ports: ports as [number, number] } }),
    ).toThrow(
      new TypeError(
        `createSipNetwork(): media.ports must be [low, high] (an even port and the next), got ${JSON.stringify(ports)}`,
      ),
    );
  },
);
