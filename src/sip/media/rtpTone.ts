/**
 * The RTP tone sender: one G.711 packet every 20 ms (160 samples at 8 kHz) of a tone, on a clock (the engine's),
 * its G.711 frames encoded once per tone and codec (toneFrames.ts; PCMU payload type 0, PCMA 8), each packet a
 * 12-byte RFC 3550 header (version 2, no padding, extension or CSRC) and one frame, in one buffer. The
 * timestamp advances by 160 per packet whatever the timer's jitter: a late timer sends the packets that fell due
 * meanwhile (at most a few), so the stream keeps its 20 ms cadence in media time.
 */
import { randomInt } from 'node:crypto';
import type { SipClock, TimerHandle } from '../clock';
import { toneFrame } from './toneFrames';
import { SAMPLE_RATE, type ToneSpec } from './tones';

/** Milliseconds of audio per packet. */
export const PACKET_MS = 20;
export const SAMPLES_PER_PACKET = (SAMPLE_RATE * PACKET_MS) / 1000;
/** The G.711 payload types (RFC 3551). */
export const PCMU = 0;
export const PCMA = 8;
const HEADER_BYTES = 12;
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
    const payload = toneFrame(tone, payloadType === PCMA, this.index);
    const packet = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
    packet[0] = 0x80; // version 2
    packet[1] = (this.index === 0 ? 0x80 : 0) | payloadType; // marker on the first packet
    packet.writeUInt16BE(this.sequenceNumber, 2);
    packet.writeUInt32BE((this.timestamp0 + this.index * SAMPLES_PER_PACKET) % 2 ** 32, 4);
    packet.writeUInt32BE(this.ssrc, 8);
    packet.set(payload, HEADER_BYTES);
    this.sequenceNumber = (this.sequenceNumber + 1) % 2 ** 16;
    this.index++;
    this.sent++;
    this.options.send(packet);
  }
}
