// An in-memory SipStack pair for unit tests of the dialog layer: what one side sends the other receives on a later
// turn (as from a socket); responses find their client transaction by top Via branch and CSeq method (a
// retransmitted 2xx too); every message is logged with the clock's time, and a test may drop (lose) any of them.
import type { Remote, SipRequest, SipResponse } from '../../src/sip/message';
import type { ListenAddress, SipStack } from '../../src/sip/stack';

export interface Wire {
  at: number;
  from: string;
  to: string;
  /** `INVITE`, `ACK`, … or `200 INVITE`, `487 INVITE`, … */
  what: string;
  lost: boolean;
  message: SipRequest | SipResponse;
}

export class MemoryNet {
  readonly wire: Wire[] = [];
  /** Return true to lose a message. */
  drop: (m: SipRequest | SipResponse, from: string) => boolean = () => false;
  private branch = 0;

  constructor(private readonly now: () => number) {}

  pair(): [MemorySipStack, MemorySipStack] {
    const a = new MemorySipStack(this, 'A', '10.0.0.1');
    const b = new MemorySipStack(this, 'B', '10.0.0.2');
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  newBranch(): string {
    return `z9hG4bK-mem-${++this.branch}`;
  }

  /** The wire as `A→B INVITE` lines (lost ones marked), optionally with times. */
  lines(withTimes = false): string[] {
    return this.wire.map((w) => `${withTimes ? `${w.at} ` : ''}${w.from}→${w.to} ${w.what}${w.lost ? ' (lost)' : ''}`);
  }

  send(from: MemorySipStack, m: SipRequest | SipResponse, deliver: () => void): void {
    const what = 'method' in m ? m.method : `${m.status} ${m.headers.cseq?.method}`;
    const lost = this.drop(m, from.name);
    this.wire.push({ at: this.now(), from: from.name, to: from.peer.name, what, lost, message: m });
    if (!lost) setImmediate(deliver);
  }
}

const key = (m: SipRequest | SipResponse) => `${m.headers.via?.[0]?.params.branch};${m.headers.cseq?.method}`;

export class MemorySipStack implements SipStack {
  peer!: MemorySipStack;
  readonly port = 5060;
  readonly listening: Promise<readonly ListenAddress[]>;
  private handler: (rq: SipRequest, remote: Remote) => void = () => {};
  private readonly clients = new Map<string, (rs: SipResponse) => void>();

  constructor(
    private readonly net: MemoryNet,
    readonly name: string,
    readonly host: string,
  ) {
    this.listening = Promise.resolve([{ protocol: 'UDP', host, port: this.port }]);
  }

  sendRequest(rq: SipRequest, onResponse?: (rs: SipResponse) => void): void {
    const m = structuredClone(rq);
    const via = m.headers.via ?? [];
    // Like `sip`: a new top Via per request; a CANCEL keeps the INVITE's; an ACK without Via gets one.
    if (m.method !== 'CANCEL' && !(m.method === 'ACK' && via.length > 0)) {
      via.unshift({ protocol: 'UDP', host: this.host, port: this.port, params: { branch: this.net.newBranch() } });
    }
    m.headers.via = via;
    rq.headers.via = structuredClone(via);
    if (m.method !== 'ACK') this.clients.set(key(m), onResponse ?? (() => {}));
    this.net.send(this, m, () => this.peer.handler(m, { protocol: 'UDP', address: this.host, port: this.port }));
  }

  sendResponse(rs: SipResponse): void {
    const m = structuredClone(rs);
    this.net.send(this, m, () => this.peer.clients.get(key(m))?.(m));
  }

  onRequest(handler: (rq: SipRequest, remote: Remote) => void): void {
    this.handler = handler;
  }

  async close(): Promise<void> {}
}
