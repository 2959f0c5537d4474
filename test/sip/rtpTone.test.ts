// The SIP network's tone player: tone samples (frequencies by Goertzel, cadence in samples), the RTP sender on
// the engine clock over a SimulatedClock (one G.711 packet per 20 ms of media time), the port pool and the
// negotiated codec.
import { createSocket, type Socket } from 'node:dgram';
import { alaw, mulaw } from 'alawmulaw';
import { RtpHeader, RtpPacket } from 'werift-rtp';
import { SimulatedClock } from '../../src';
import { EngineClock } from '../../src/engine/clock';
import type { SipClock } from '../../src/sip/clock';
import { LegMedia, rtpTarget } from '../../src/sip/media/legMedia';
import { RtpPortPool, RtpPortsExhausted } from '../../src/sip/media/ports';
import { PCMA, PCMU, RtpToneSender } from '../../src/sip/media/rtpTone';
import { periodFrames, toneFrame } from '../../src/sip/media/toneFrames';
import { TONES, toneNamed, toneOn, toneSamples, type ToneSpec } from '../../src/sip/media/tones';
import { buildSdp, offerSdp } from '../../src/sip/sdp';
import { concat, parseRtp, type ParsedRtp } from '../support/rtp';
import { toneShare } from '../support/toneDetect';

describe('tones', () => {
  test('RINGBACK is the US ringback: 440 + 480 Hz and nothing else', () => {
    const samples = toneSamples(TONES.RINGBACK, 0, 8000); // the first second (on)
    const share440 = toneShare(samples, 440);
    const share480 = toneShare(samples, 480);
    expect(share440).toBeGreaterThan(0.45);
    expect(share480).toBeGreaterThan(0.45);
    for (const f of [350, 400, 425, 450, 620]) expect(toneShare(samples, f)).toBeLessThan(0.01);
  });

  test('RINGBACK cadence: 2 s on, 4 s off, exact in samples', () => {
    const on = (ms: number) => toneOn(TONES.RINGBACK, ms);
    expect([on(0), on(1999.875), on(2000), on(5999.875), on(6000), on(7999), on(8000)]).toEqual([
      true,
      true,
      false,
      false,
      true,
      true,
      false,
    ]);
    const silence = toneSamples(TONES.RINGBACK, 16000, 32000); // 2 s to 6 s
    expect(silence.every((v) => v === 0)).toBe(true);
    expect(toneSamples(TONES.RINGBACK, 15999, 1)[0]).not.toBe(0); // the last sample before 2 s still sounds
  });

  test('RINGBACK_UK is 400 + 450 Hz, 0.4 on, 0.2 off, 0.4 on, 2 off; RINGBACK_EU 425 Hz', () => {
    const uk = toneSamples(TONES.RINGBACK_UK, 0, 3200); // 0.4 s
    expect(toneShare(uk, 400)).toBeGreaterThan(0.45);
    expect(toneShare(uk, 450)).toBeGreaterThan(0.45);
    const on = (ms: number) => toneOn(TONES.RINGBACK_UK, ms);
    expect([on(399), on(400), on(599), on(600), on(999), on(1000), on(2999), on(3000)]).toEqual([
      true,
      false,
      false,
      true,
      true,
      false,
      false,
      true,
    ]);
    expect(toneShare(toneSamples(TONES.RINGBACK_EU, 0, 8000), 425)).toBeGreaterThan(0.95);
    expect(toneOn(TONES.DIAL, 123456)).toBe(true);
  });

  test('frames join without a phase jump: two halves equal the whole', () => {
    const whole = toneSamples(TONES.RINGBACK, 1000, 320);
    expect(concat([toneSamples(TONES.RINGBACK, 1000, 160), toneSamples(TONES.RINGBACK, 1160, 160)])).toEqual(whole);
  });

  test('an unknown tone name is a clear error naming the known ones', () => {
    expect(() => toneNamed('BEEP')).toThrow("Unknown tone 'BEEP': the SIP network plays RINGBACK, RINGBACK_US");
    expect(() => toneNamed('constructor')).toThrow(/Unknown tone/);
    expect(toneNamed('RINGBACK')).toBe(TONES.RINGBACK);
  });
});

describe('RtpToneSender on the engine clock (SimulatedClock)', () => {
  function sender(payloadType: typeof PCMU | typeof PCMA, tone = TONES.RINGBACK) {
    const sim = new SimulatedClock();
    const clock = new EngineClock(sim);
    const packets: ParsedRtp[] = [];
    const s = new RtpToneSender({
      clock,
      tone,
      payloadType,
      send: (b) => packets.push(parseRtp(b)),
      ssrc: 0x12345678,
      sequenceNumber: 65534,
      timestamp: 2 ** 32 - 320,
    });
    return { sim, clock, packets, s };
  }

  test('one PCMU packet per 20 ms: sequence +1, timestamp +160 (wrapping), marker on the first only', () => {
    const { sim, clock, packets, s } = sender(PCMU);
    s.start();
    expect(packets).toHaveLength(1);
    sim.increment(1000);
    expect(packets).toHaveLength(51); // t = 0, 20, …, 1000
    packets.forEach((p, i) => {
      expect(p).toMatchObject({ version: 2, payloadType: 0, ssrc: 0x12345678, marker: i === 0 });
      expect(p.sequenceNumber).toBe((65534 + i) % 65536);
      expect(p.timestamp).toBe((2 ** 32 - 320 + 160 * i) % 2 ** 32);
      expect(p.samples).toHaveLength(160);
    });
    expect(clock.pendingTimers).toBe(1);
    s.stop();
    expect(clock.pendingTimers).toBe(0);
    sim.increment(1000);
    expect(packets).toHaveLength(51);
    expect(s.sent).toBe(51);
  });

  test('PCMA packets carry the tone in its cadence: 440 + 480 Hz for 2 s, then 4 s of silence', () => {
    const { sim, packets, s } = sender(PCMA);
    s.start();
    sim.increment(6000 - 20);
    s.stop();
    expect(packets).toHaveLength(300);
    expect(packets.every((p) => p.payloadType === 8)).toBe(true);
    const on = concat(packets.slice(0, 100).map((p) => p.samples));
    expect(toneShare(on, 440)).toBeGreaterThan(0.45);
    expect(toneShare(on, 480)).toBeGreaterThan(0.45);
    expect(toneShare(on, 620)).toBeLessThan(0.01);
    // A-law has no exact zero: silence decodes to ±8.
    expect(packets.slice(100).every((p) => p.samples.every((v) => Math.abs(v) <= 8))).toBe(true);
  });

  test('a late timer catches up (at most 5 packets at once), keeping the 20 ms timestamp cadence', () => {
    let now = 0;
    let pending: (() => void) | undefined;
    const clock: SipClock = {
      now: () => now,
      setTimeout: (fn) => (pending = fn),
      clearTimeout: () => (pending = undefined),
    };
    const stamps: number[] = [];
    const s = new RtpToneSender({
      clock,
      tone: TONES.RINGBACK,
      payloadType: PCMU,
      send: (b) => stamps.push(parseRtp(b).timestamp),
      timestamp: 0,
    });
    s.start();
    now = 45; // two packets due (20, 40)
    pending!();
    expect(stamps).toEqual([0, 160, 320]);
    now = 1000; // 48 due: the last 5 are sent, the media clock jumps
    pending!();
    expect(stamps).toEqual([0, 160, 320, 46 * 160, 47 * 160, 48 * 160, 49 * 160, 50 * 160]);
  });

  test('only PCMU and PCMA', () => {
    expect(() => sender(9 as never)).toThrow('payload type must be PCMU (0) or PCMA (8), got 9');
  });
});

describe('RtpPortPool', () => {
  test('even ports of the range, round-robin, released ports reused, then a clear error', () => {
    const pool = new RtpPortPool(20001, 20006);
    expect(pool.size).toBe(2);
    expect([pool.allocate(), pool.allocate()]).toEqual([20002, 20004]);
    expect(() => pool.allocate()).toThrow(RtpPortsExhausted);
    expect(() => pool.allocate()).toThrow(
      'No free RTP port: all 2 even ports of media.ports [20001, 20006] are in use',
    );
    pool.release(20002);
    expect(pool.used).toBe(1);
    expect(pool.allocate()).toBe(20002);
    expect(() => new RtpPortPool(20001, 20001).allocate()).toThrow(/all 0 even ports/);
  });
});

describe('rtpTarget: the far end address and the negotiated G.711 codec', () => {
  const ours = buildSdp(offerSdp({ address: '127.0.0.1', port: 20000 }));
  const theirs = (payloads: string) =>
    `v=0\r\no=a 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\nm=audio 4000 RTP/AVP ${payloads}\r\n`;
  test.each([
    ['8 0', 8],
    ['0 8', 0],
    ['18 8 101', 8],
  ])('far end %s → payload type %i', (payloads, pt) => {
    expect(rtpTarget(ours, theirs(payloads))).toEqual({
      address: '10.0.0.9',
      port: 4000,
      payloadType: pt,
      receives: true,
    });
  });
  test.each([
    ['sendrecv', true],
    ['recvonly', true],
    ['sendonly', false],
    ['inactive', false],
  ])('a=%s: the far end takes media: %s', (direction, receives) => {
    expect(rtpTarget(ours, theirs('8') + `a=${direction}\r\n`).receives).toBe(receives);
  });
  test('no common codec is a clear error', () => {
    expect(() => rtpTarget(ours, theirs('18 9'))).toThrow('No common G.711 codec: we offer 0 8 101, the far end 18 9');
  });
});

describe('LegMedia: a leg port, its socket and tone', () => {
  async function listener(): Promise<{
    port: number;
    got: (n: number) => Promise<{ from: number; rtp: ParsedRtp }[]>;
  }> {
    const socket = createSocket('udp4');
    const seen: { from: number; rtp: ParsedRtp }[] = [];
    let waiting: (() => void) | undefined;
    socket.on('message', (m, rinfo) => {
      seen.push({ from: rinfo.port, rtp: parseRtp(m) });
      waiting?.();
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    sockets.push(socket);
    const got = (n: number) =>
      new Promise<typeof seen>((resolve) => {
        const check = () => seen.length >= n && resolve(seen);
        waiting = check;
        check();
      });
    return { port: socket.address().port, got };
  }
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  test('plays from its own port to the target, on the engine clock; close stops it and returns the port', async () => {
    const sim = new SimulatedClock();
    const clock = new EngineClock(sim);
    const pool = new RtpPortPool(40000, 49999);
    const far = await listener();
    const media = new LegMedia(pool, '127.0.0.1', pool.allocate(), clock);
    media.play('RINGBACK', { address: '127.0.0.1', port: far.port, payloadType: PCMU, receives: true });
    sim.increment(40);
    const seen = await far.got(3);
    expect(seen.map((s) => [s.from, s.rtp.payloadType])).toEqual([
      [media.port, 0],
      [media.port, 0],
      [media.port, 0],
    ]);
    expect([media.tone, media.packetsSent]).toEqual(['RINGBACK', 3]);
    media.close();
    media.close();
    expect([media.tone, pool.used, clock.pendingTimers]).toEqual([null, 0, 0]);
    expect(() =>
      media.play('BEEP', { address: '127.0.0.1', port: far.port, payloadType: PCMU, receives: true }),
    ).toThrow(/BEEP/);
  });

  test('retarget: nothing sent while held; a new codec: a new stream to the new port; no G.711: kept', async () => {
    const sim = new SimulatedClock();
    const clock = new EngineClock(sim);
    const pool = new RtpPortPool(40000, 49999);
    const one = await listener();
    const two = await listener();
    const sdp = (port: number, pt: number) =>
      `v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP ${pt}\r\n`;
    const ours = buildSdp(offerSdp({ address: '127.0.0.1', port: 40000 }));
    const media = new LegMedia(pool, '127.0.0.1', pool.allocate(), clock);
    media.retarget(ours, sdp(two.port, 8)); // no tone: nothing to move
    media.play('RINGBACK', rtpTarget(ours, sdp(one.port, 0)));
    media.retarget(ours, sdp(two.port, 18)); // no common codec: stays
    sim.increment(20);
    const before = await one.got(2);
    media.retarget(ours, sdp(one.port, 0) + 'a=inactive\r\n'); // the far end holds: nothing is sent
    sim.increment(100);
    expect(media.packetsSent).toBe(2);
    media.retarget(ours, sdp(two.port, 8));
    sim.increment(20);
    const after = await two.got(2);
    expect(before.map((p) => [p.rtp.payloadType, p.rtp.marker])).toEqual([
      [0, true],
      [0, false],
    ]);
    expect(after.map((p) => [p.rtp.payloadType, p.rtp.marker])).toEqual([
      [8, true],
      [8, false],
    ]);
    expect(after[0].rtp.ssrc).not.toBe(before[0].rtp.ssrc);
    media.close();
  });

  test('a port another process holds: the tone is sent from a free port of the host instead', async () => {
    const sim = new SimulatedClock();
    const clock = new EngineClock(sim);
    const taken = createSocket('udp4');
    sockets.push(taken);
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', resolve));
    const port = taken.address().port;
    const pool = new RtpPortPool(port, port + 1);
    const far = await listener();
    const errors: Error[] = [];
    const media = new LegMedia(pool, '127.0.0.1', port, clock, (e) => errors.push(e));
    media.play('RINGBACK_UK', { address: '127.0.0.1', port: far.port, payloadType: PCMA, receives: true });
    // The bind fails and is retried on a free port; the packet that fell due meanwhile is sent from there.
    sim.increment(0);
    const [first] = await far.got(1);
    expect(first.from).not.toBe(port);
    expect(first.rtp).toMatchObject({ payloadType: 8, marker: true });
    expect(media.packetsSent).toBe(1);
    expect(errors).toEqual([]);
    media.close();
  });
});

test('RtpToneSender: start while running and stop while stopped change nothing', () => {
  const sim = new SimulatedClock();
  const clock = new EngineClock(sim);
  let sent = 0;
  const s = new RtpToneSender({ clock, tone: TONES.DIAL, payloadType: PCMU, send: () => sent++ });
  s.stop();
  s.start();
  s.start();
  expect([s.running, sent, clock.pendingTimers]).toEqual([true, 1, 1]);
  s.stop();
  expect([s.running, clock.pendingTimers]).toEqual([false, 0]);
});

describe('toneFrames: each tone and codec encoded once', () => {
  const encoded = (spec: ToneSpec, pcma: boolean, index: number) => {
    const samples = toneSamples(spec, index * 160, 160);
    return pcma ? alaw.encode(samples) : mulaw.encode(samples);
  };

  test('the period in frames of every tone (cadence and sines): US 6 s, UK 3 s, EU 5 s, DIAL 100 ms', () => {
    expect([TONES.RINGBACK, TONES.RINGBACK_UK, TONES.RINGBACK_EU, TONES.DIAL].map(periodFrames)).toEqual([
      300, 150, 250, 5,
    ]);
    expect(periodFrames({ frequencies: [440.5], cadence: [1000] })).toBeUndefined();
    expect(periodFrames({ frequencies: [441], cadence: [61_000, 1000] })).toBeUndefined(); // over 60 s
  });

  test('frame i is the encoding of its own samples, and the same buffer as frame i + period', () => {
    for (const [spec, pcma] of [
      [TONES.RINGBACK, false],
      [TONES.RINGBACK_UK, true],
      [TONES.DIAL, false],
    ] as const) {
      const period = periodFrames(spec)!;
      for (let i = 0; i < 2 * period; i++) {
        expect(Buffer.from(toneFrame(spec, pcma, i))).toEqual(Buffer.from(encoded(spec, pcma, i)));
      }
      expect(toneFrame(spec, pcma, 7 + period)).toBe(toneFrame(spec, pcma, 7));
      expect(toneFrame(spec, !pcma, 7)).not.toEqual(toneFrame(spec, pcma, 7));
    }
  });

  test('a tone with no short period is encoded frame by frame, the same samples', () => {
    const odd = { frequencies: [440.5], cadence: [1000] };
    expect(toneFrame(odd, false, 3)).not.toBe(toneFrame(odd, false, 3));
    expect(Buffer.from(toneFrame(odd, false, 3))).toEqual(Buffer.from(encoded(odd, false, 3)));
  });

  test('RtpToneSender packets are byte for byte what werift-rtp serialises', () => {
    const sim = new SimulatedClock();
    const packets: Buffer[] = [];
    const s = new RtpToneSender({
      clock: new EngineClock(sim),
      tone: TONES.RINGBACK_EU,
      payloadType: PCMA,
      send: (b) => packets.push(b),
      ssrc: 0xdeadbeef,
      sequenceNumber: 65535,
      timestamp: 2 ** 32 - 160,
    });
    s.start();
    sim.increment(40);
    s.stop();
    expect(packets).toHaveLength(3);
    packets.forEach((packet, i) => {
      const header = new RtpHeader({
        payloadType: PCMA,
        sequenceNumber: (65535 + i) % 65536,
        timestamp: (2 ** 32 - 160 + 160 * i) % 2 ** 32,
        ssrc: 0xdeadbeef,
        marker: i === 0,
      });
      const payload = Buffer.from(encoded(TONES.RINGBACK_EU, true, i));
      expect(packet).toEqual(new RtpPacket(header, payload).serialize());
    });
  });
});
