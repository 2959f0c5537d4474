// Minimal SDP (RFC 4566) offer/answer for G.711 audio (RFC 3264): PCMU/0, PCMA/8, telephone-event; c=/m= parsing,
// direction attributes, building; parse() throws on anything it cannot use.

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface AudioSession {
  /** Connection address (c=IN IP4 …). */
  address: string;
  port: number;
  /** RTP payload types in preference order (0 PCMU, 8 PCMA, 101 telephone-event by default). */
  payloads: number[];
  direction: Direction;
  /** Payload type of telephone-event, when offered. */
  telephoneEvent?: number;
}

const DIRECTIONS: Direction[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

export class SdpError extends Error {}

export function parseSdp(text: string): AudioSession {
  const lines = text.split(/\r?\n/).filter((l) => l !== '');
  if (lines[0] !== 'v=0') throw new SdpError('SDP must start with v=0');
  let address: string | undefined;
  let media: { port: number; payloads: number[] } | undefined;
  let direction: Direction = 'sendrecv';
  let telephoneEvent: number | undefined;
  for (const l of lines) {
    if (!/^[a-z]=/.test(l)) throw new SdpError(`bad SDP line: ${l}`);
    const v = l.slice(2);
    if (l.startsWith('c=')) {
      const m = /^IN IP[46] (\S+)$/.exec(v);
      if (!m) throw new SdpError(`bad c= line: ${l}`);
      address = m[1];
    } else if (l.startsWith('m=')) {
      if (media) continue; // only the first m= line (audio) is used
      const m = /^audio (\d{1,5}) RTP\/AVP((?: \d{1,3})+)$/.exec(v);
      if (!m || Number(m[1]) > 65535) throw new SdpError(`bad or non-audio m= line: ${l}`);
      media = { port: Number(m[1]), payloads: m[2].trim().split(' ').map(Number) };
    } else if (l.startsWith('a=') && DIRECTIONS.includes(v as Direction)) {
      direction = v as Direction;
    } else if (l.startsWith('a=rtpmap:')) {
      const m = /^rtpmap:(\d+) telephone-event\/8000/i.exec(v);
      if (m) telephoneEvent = Number(m[1]);
    }
  }
  if (address === undefined) throw new SdpError('no c= line');
  if (!media) throw new SdpError('no m=audio line');
  return {
    address,
    port: media.port,
    payloads: media.payloads,
    direction,
    ...(telephoneEvent !== undefined ? { telephoneEvent } : {}),
  };
}

export function buildSdp(s: AudioSession, sessionId = 1, version = 1): string {
  const names: Record<number, string> = { 0: 'PCMU/8000', 8: 'PCMA/8000' };
  const lines = [
    'v=0',
    `o=switchboard ${sessionId} ${version} IN IP4 ${s.address}`,
    's=switchboard',
    `c=IN IP4 ${s.address}`,
    't=0 0',
    `m=audio ${s.port} RTP/AVP ${s.payloads.join(' ')}`,
  ];
  for (const p of s.payloads) {
    if (names[p]) lines.push(`a=rtpmap:${p} ${names[p]}`);
    else if (p === s.telephoneEvent) lines.push(`a=rtpmap:${p} telephone-event/8000`, `a=fmtp:${p} 0-16`);
  }
  lines.push(`a=${s.direction}`);
  return lines.join('\r\n') + '\r\n';
}

const ANSWER_DIRECTION: Record<Direction, Direction> = {
  sendrecv: 'sendrecv',
  sendonly: 'recvonly',
  recvonly: 'sendonly',
  inactive: 'inactive',
};

/** The direction an answer takes to an offer's (RFC 3264 6.1): sendonly → recvonly, recvonly → sendonly. */
export function answerDirection(offered: Direction): Direction {
  return ANSWER_DIRECTION[offered];
}

/** `sdp` with its direction attribute set to `direction` (replaced, or added at the end). */
export function withDirection(sdp: string, direction: Direction): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/).filter((l) => l !== '' && !DIRECTIONS.some((d) => l === `a=${d}`));
  return [...lines, `a=${direction}`].join(eol) + eol;
}

/** Our answer to an offer: the first G.711 codec offered (PCMU preferred), telephone-event if offered. */
export function answerSdp(offer: AudioSession, local: { address: string; port: number; hold?: boolean }): AudioSession {
  const codec = offer.payloads.find((p) => p === 0) ?? offer.payloads.find((p) => p === 8);
  if (codec === undefined) throw new SdpError('no G.711 codec offered');
  const te = offer.telephoneEvent;
  const direction = local.hold && offer.direction === 'sendrecv' ? 'sendonly' : ANSWER_DIRECTION[offer.direction];
  return {
    address: local.address,
    port: local.port,
    payloads: te !== undefined ? [codec, te] : [codec],
    direction,
    ...(te !== undefined ? { telephoneEvent: te } : {}),
  };
}

/** Our offer: PCMU, PCMA, telephone-event/101, with the given direction (sendonly/inactive to hold). */
export function offerSdp(local: { address: string; port: number; direction?: Direction }): AudioSession {
  return {
    address: local.address,
    port: local.port,
    payloads: [0, 8, 101],
    direction: local.direction ?? 'sendrecv',
    telephoneEvent: 101,
  };
}
