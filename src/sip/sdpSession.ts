/**
 * Our SDP session towards one side of a call (RFC 4566 5.2, RFC 3264 8): as a B2BUA Switchboard presents its own
 * session to each far end, whatever media it names. Every body sent on a leg (our offer or answer, a hold, the
 * other far end's SDP when the leg is bridged to it, our SDP again on retrieval) goes through `stamp`: its o= line
 * becomes ours (`o=switchboard <id> <version> IN IP4 <our address>`, the id fixed for the leg), its s= line ours,
 * and the version goes up by one whenever the body differs from the last one stamped (an identical body keeps
 * its version, RFC 3264 8). The c=, t=, m= and a= lines are the body's own: media stays end to end.
 */
import { randomInt } from 'node:crypto';
import { isIPv6 } from 'node:net';

export class SdpSession {
  /** The o= line's session id, fixed for the leg (RFC 4566: a number; random, so two legs' ids differ). */
  readonly id: number;
  /** The version of the last body stamped (0 before the first). */
  version = 0;
  /** The last body stamped, without its o= line (what decides a version bump). */
  private last: string | undefined;
  private readonly origin: string;

  constructor(address: string, id: number = randomInt(1, 2 ** 47)) {
    if (!Number.isSafeInteger(id) || id < 0) throw new TypeError(`SdpSession: id must be a whole number, got ${id}`);
    this.id = id;
    this.origin = `IN ${isIPv6(address) ? 'IP6' : 'IP4'} ${address}`;
  }

  /** `sdp` as this session's next body: our o= and s= lines, the version bumped if the rest changed. */
  stamp(sdp: string): string {
    const lines = sdp.split(/\r?\n/).filter((l) => l !== '');
    const body = lines.filter((l) => !l.startsWith('o=') && !l.startsWith('s='));
    // v= first, then o= and s= (RFC 4566 5: v, o, s in that order), then the body's own lines.
    const rest = body[0] === 'v=0' ? body.slice(1) : body;
    const key = rest.join('\r\n');
    if (key !== this.last) {
      this.version++;
      this.last = key;
    }
    return (
      ['v=0', `o=switchboard ${this.id} ${this.version} ${this.origin}`, 's=switchboard', ...rest].join('\r\n') + '\r\n'
    );
  }
}

/** The session id and version of an SDP's o= line, or undefined when it has none that parses. */
export function originOf(sdp: string): { username: string; id: string; version: string } | undefined {
  const m = /^o=(\S+) (\d+) (\d+) IN IP[46] \S+$/m.exec(sdp.replace(/\r/g, ''));
  return m ? { username: m[1], id: m[2], version: m[3] } : undefined;
}
