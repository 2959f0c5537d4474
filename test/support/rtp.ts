// RTP helpers for media tests: parse a packet (werift-rtp), decode its G.711 payload (alawmulaw), and measure the
// power of one frequency in samples (the Goertzel algorithm), relative to the samples' total power.
import { alaw, mulaw } from 'alawmulaw';
import { RtpPacket } from 'werift-rtp';

export interface ParsedRtp {
  version: number;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
  samples: Int16Array;
}

export function parseRtp(packet: Buffer): ParsedRtp {
  const p = RtpPacket.deSerialize(packet);
  const h = p.header;
  const samples = h.payloadType === 8 ? alaw.decode(p.payload) : mulaw.decode(p.payload);
  return {
    version: h.version,
    payloadType: h.payloadType,
    sequenceNumber: h.sequenceNumber,
    timestamp: h.timestamp,
    ssrc: h.ssrc,
    marker: h.marker,
    samples,
  };
}

/** The share (0..1) of the samples' power at `frequency` Hz (8 kHz sampling), by the Goertzel algorithm. */
export function powerShare(samples: ArrayLike<number>, frequency: number, rate = 8000): number {
  const n = samples.length;
  const coeff = 2 * Math.cos((2 * Math.PI * frequency) / rate);
  let s1 = 0;
  let s2 = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const s = samples[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s;
    total += samples[i] * samples[i];
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  // A pure sine of amplitude A over n samples: Goertzel power (n*A/2)^2, total power n*A^2/2.
  return total === 0 ? 0 : power / ((n * total) / 2);
}

export function concat(chunks: Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
