/**
 * The media of one SIP leg: its RTP port from the pool (the port our SDP names), the UDP socket on it (bound the
 * first time a tone plays, so legs that never play one hold no socket), and the tone sender playing to the far
 * end's address and payload type from the SDP (not sent while that SDP takes no media: sendonly, inactive). If
 * another process holds the port, the tone is sent from a free port of the same host instead (the far end still
 * gets it; symmetric RTP aside). RTP the far end sends to the port meanwhile (a caller hearing ringback may
 * send its own) is read and dropped at once: only counted, never buffered, so it costs no memory however much
 * comes. `close` stops the tone, closes the socket and returns the port.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { SipClock } from '../clock';
import { parseSdp } from '../sdp';
import { PCMA, PCMU, RtpToneSender } from './rtpTone';
import type { RtpPortPool } from './ports';
import { toneNamed } from './tones';

/** Where a tone goes and how it is encoded, from the SDP of both sides. */
export interface RtpTarget {
  address: string;
  port: number;
  payloadType: typeof PCMU | typeof PCMA;
  /** Whether the far end takes media (its SDP is sendrecv or recvonly); a tone to one that does not is not sent. */
  receives: boolean;
}

/**
 * The far end's RTP address and the negotiated G.711 payload type: the far end's first PCMU/PCMA that our SDP
 * also lists. Throws when the SDP does not parse or has no common G.711 codec.
 */
export function rtpTarget(ourSdp: string, remoteSdp: string): RtpTarget {
  const ours = parseSdp(ourSdp).payloads;
  const remote = parseSdp(remoteSdp);
  const payloadType = remote.payloads.find((p) => (p === PCMU || p === PCMA) && ours.includes(p));
  if (payloadType !== PCMU && payloadType !== PCMA) {
    throw new Error(`No common G.711 codec: we offer ${ours.join(' ')}, the far end ${remote.payloads.join(' ')}`);
  }
  const receives = remote.direction === 'sendrecv' || remote.direction === 'recvonly';
  return { address: remote.address, port: remote.port, payloadType, receives };
}

export class LegMedia {
  private socket: Socket | undefined;
  /** Packets that fell due while the socket was still binding (sent once it is bound, from whichever port). */
  private queued: Buffer[] = [];
  private bound = false;
  private sender: RtpToneSender | undefined;
  private target: RtpTarget | undefined;
  private closed = false;
  /** Packets sent to the far end over the leg's life. */
  packetsSent = 0;
  /** Datagrams that arrived on the leg's socket (the far end's RTP while we play a tone), read and dropped. */
  packetsReceived = 0;

  constructor(
    private readonly pool: RtpPortPool,
    private readonly host: string,
    /** The leg's RTP port (the one in our SDP). */
    readonly port: number,
    private readonly clock: SipClock,
    private readonly onError: (e: Error) => void = () => {},
  ) {}

  /** The tone playing now, or null. */
  tone: string | null = null;

  /** Plays the named tone to `target` until `stop` (a tone already playing is replaced). */
  play(name: string, target: RtpTarget): void {
    const spec = toneNamed(name);
    this.stop();
    this.open();
    this.target = target;
    this.tone = name;
    this.sender = new RtpToneSender({
      clock: this.clock,
      tone: spec,
      payloadType: target.payloadType,
      send: (packet) => this.send(packet),
    });
    this.sender.start();
  }

  /** The far end's SDP changed (its re-INVITE): a tone playing goes on to the new address and codec. */
  retarget(ourSdp: string, remoteSdp: string): void {
    const tone = this.tone;
    if (tone === null || !this.target) return;
    let target: RtpTarget;
    try {
      target = rtpTarget(ourSdp, remoteSdp);
    } catch {
      return; // no usable media in the new SDP: the tone goes on where it went
    }
    if (target.payloadType !== this.target.payloadType) this.play(tone, target);
    else this.target = target;
  }

  stop(): void {
    this.sender?.stop();
    this.sender = undefined;
    this.tone = null;
  }

  /** Stops any tone, closes the socket and returns the port to the pool. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stop();
    this.pool.release(this.port);
    this.socket?.close();
    this.socket = undefined;
  }

  private send(packet: Buffer): void {
    const { socket, target } = this;
    if (!socket || !target?.receives) return; // the far end holds the leg: the tone runs on, unsent
    this.packetsSent++;
    // Held back until the socket is bound: a bind that fails (our port taken) must not lose them.
    if (!this.bound) {
      this.queued.push(packet);
      return;
    }
    socket.send(packet, target.port, target.address, (e) => {
      if (e) this.onError(e);
    });
  }

  private flush(): void {
    const { socket, target } = this;
    const queued = this.queued;
    this.queued = [];
    if (!socket || !target?.receives) return;
    for (const packet of queued) {
      socket.send(packet, target.port, target.address, (e) => {
        if (e) this.onError(e);
      });
    }
  }

  private open(): void {
    if (this.socket || this.closed) return;
    this.bind(this.port);
  }

  private bind(port: number): void {
    const socket = createSocket({ type: isIPv6(this.host) ? 'udp6' : 'udp4' });
    this.socket = socket;
    let bound = false;
    this.bound = false;
    socket.on('message', () => this.packetsReceived++); // the far end's RTP while we play: counted, dropped
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (this.socket !== socket) return;
      if (!bound && port !== 0 && e.code === 'EADDRINUSE') {
        socket.close();
        this.bind(0); // someone else holds our port: send from a free one
        return;
      }
      this.onError(e);
    });
    socket.bind(port, this.host, () => {
      bound = true;
      if (this.socket !== socket) return;
      this.bound = true;
      this.flush();
    });
    socket.unref();
  }
}
