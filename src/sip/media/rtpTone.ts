/**
 * The RTP tone sender: one G.711 packet every 20 ms (160 samples at 8 kHz) of a tone, on a clock (the engine's),
 * encoded with `alawmulaw` (PCMU payload type 0, PCMA 8) and packetised with `werift-rtp` (RFC 3550). The
 * timestamp advances by 160 per packet whatever the timer's jitter: a late timer sends the packets that fell due
 * meanwhile (at most a few), so the stream keeps its 20 ms cadence in media time.
 */
import { randomInt } from 'node:crypto';
import { alaw, mulaw } from 'alawmulaw';
import { RtpHeader, RtpPacket } from 'werift-rtp';
import type { SipClock, TimerHandle } from '../clock';
import { SAMPLE_RATE, toneSamples, type ToneSpec } from './tones';

/** Milliseconds of audio per packet. */
export const PACKET_MS = 20;
export const SAMPLES_PER_PACKET = (SAMPLE_RATE * PACKET_MS) / 1000;
/** The G.711 payload types (RFC 3551). */
export const PCMU = 0;
export const PCMA = 8;
/** The most packets sent at once to catch up with a late timer (older ones are skipped). */
const MAX_CATCH_UP = 5;

export interface RtpToneOptions {
  clock: SipClock;
  tone: ToneSpec;
  payloadType: typeof PCMU | typeof PCMA;
  /** Sends one serialised RTP packet. */
  send: (packet: Buffer) => void;
  /** Stream identity and start points (random by default, RFC 3550 5.1). */
  ssrc?: number;
  sequenceNumber?: number;
  timestamp?: number;
}

export class RtpToneSender {
  private readonly options: RtpToneOptions;
  private readonly ssrc: number;
  private sequenceNumber: number;
  private readonly timestamp0: number;
  /** Packets of this stream sent (or skipped to catch up): the next packet's index. */
  private index = 0;
  private startedAt = 0;
  private timer: TimerHandle | undefined;
  /** Packets actually sent. */
  sent = 0;

  constructor(options: RtpToneOptions) {
    if (options.payloadType !== PCMU && options.payloadType !== PCMA) {
      throw new TypeError(`RTP tone: payload type must be PCMU (0) or PCMA (8), got ${String(options.payloadType)}`);
    }
    this.options = options;
    this.ssrc = options.ssrc ?? randomInt(2 ** 32);
    this.sequenceNumber = options.sequenceNumber ?? randomInt(2 ** 16);
    this.timestamp0 = options.timestamp ?? randomInt(2 ** 32);
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Sends the first packet now, then one every 20 ms until `stop`. */
  start(): void {
    if (this.running) return;
    this.startedAt = this.options.clock.now();
    this.tick();
  }

  stop(): void {
    if (this.timer === undefined) return;
    this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const { clock } = this.options;
    // Packets due by now: index i is due at startedAt + i * 20 ms.
    const due = Math.floor((clock.now() - this.startedAt) / PACKET_MS) + 1;
    if (due - this.index > MAX_CATCH_UP) this.index = due - MAX_CATCH_UP;
    while (this.index < due) this.sendPacket();
    const next = this.startedAt + this.index * PACKET_MS;
    this.timer = clock.setTimeout(() => this.tick(), Math.max(0, next - clock.now()));
  }

  private sendPacket(): void {
    const { tone, payloadType } = this.options;
    const samples = toneSamples(tone, this.index * SAMPLES_PER_PACKET, SAMPLES_PER_PACKET);
    const payload = Buffer.from(payloadType === PCMA ? alaw.encode(samples) : mulaw.encode(samples));
    const header = new RtpHeader({
      payloadType,
      sequenceNumber: this.sequenceNumber,
      timestamp: (this.timestamp0 + this.index * SAMPLES_PER_PACKET) % 2 ** 32,
      ssrc: this.ssrc,
      marker: this.index === 0,
    });
    this.sequenceNumber = (this.sequenceNumber + 1) % 2 ** 16;
    this.index++;
    this.sent++;
    this.options.send(new RtpPacket(header, payload).serialize());
  }
}
