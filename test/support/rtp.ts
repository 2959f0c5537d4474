// RTP helpers for media tests: parse a packet (werift-rtp), decode its G.711 payload (alawmulaw), join sample
// frames (frequencies are measured with toneDetect.ts).
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

export function concat(chunks: Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
