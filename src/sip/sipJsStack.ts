// SipStack on the npm `sip` package (kirm/sip.js 0.0.6 with patches/sip+0.0.6.patch): every incoming message
// passes validate.ts first (the patch's `inspect` hook), URIs come out as strings, and close() closes every socket.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as sip from 'sip';
import type { NameAddr, Remote, SipRequest, SipResponse } from './message';
import type { ListenAddress, SipStack } from './stack';
import { frameStreamHead, validateMessage, type Verdict } from './validate';

export interface SipJsStackOptions {
  /** Address to bind and to put in Via/Contact (a loopback or interface address). */
  host: string;
  /** Port for both UDP and TCP; 0 or absent picks a free one. */
  port?: number;
  udp?: boolean;
  tcp?: boolean;
  /** Largest message accepted (bytes). */
  maxBytes?: number;
  /** Told of every message the validator refused (for logs and tests). */
  onInvalid?: (verdict: Verdict, raw: string) => void;
  /** Told of errors the stack caught (a throwing handler, a transport error after listening). */
  onError?: (e: unknown) => void;
}

/** A port free for both UDP and TCP on `host`. */
export async function freePort(host: string): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const server = net.createServer();
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port));
    });
    const udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, host, () => resolve(true));
    });
    await new Promise<void>((r) => udp.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
    if (ok) return port;
  }
  throw new Error(`no free SIP port on ${host}`);
}

function uriString(u: unknown): string {
  return typeof u === 'string' ? u : sip.stringifyUri(u);
}

/** Route and Record-Route come out of `sip` with parsed URIs; the model keeps strings. */
function normalise<T extends SipRequest | SipResponse>(m: T): T {
  for (const name of ['route', 'record-route'] as const) {
    const list = m.headers[name] as NameAddr[] | undefined;
    if (Array.isArray(list))
      m.headers[name] = list.map((a) => ({ ...a, uri: uriString(a.uri), params: a.params ?? {} }));
  }
  for (const name of ['from', 'to'] as const) {
    const a = m.headers[name];
    if (a) a.params = a.params ?? {};
  }
  if (Array.isArray(m.headers.contact)) {
    m.headers.contact = m.headers.contact.map((a) => ({ ...a, uri: uriString(a.uri), params: a.params ?? {} }));
  }
  return m;
}

export class SipJsStack implements SipStack {
  readonly listening: Promise<readonly ListenAddress[]>;
  host: string;
  port = 0;
  private stack: sip.SipJsStack | undefined;
  private handler: (rq: SipRequest, remote: Remote) => void = () => {};
  private closed = false;

  constructor(private readonly options: SipJsStackOptions) {
    this.host = options.host;
    this.listening = this.start();
    this.listening.catch(() => {});
  }

  private async start(): Promise<readonly ListenAddress[]> {
    const o = this.options;
    const port = o.port || (await freePort(o.host));
    this.port = port;
    if (this.closed) throw new Error('closed before listening');
    const protocols: ('UDP' | 'TCP')[] = [];
    if (o.udp !== false) protocols.push('UDP');
    if (o.tcp !== false) protocols.push('TCP');
    return new Promise((resolve, reject) => {
      const up = new Set<string>();
      let settled = false;
      const inspect = (raw: string, stream: boolean): string | false | undefined => {
        const verdict = validateMessage(raw, { stream, maxBytes: o.maxBytes });
        if (verdict.ok) return undefined;
        o.onInvalid?.(verdict, raw);
        return verdict.reply ?? false;
      };
      this.stack = sip.create(
        {
          address: o.host,
          hostname: o.host,
          port,
          udp: o.udp !== false,
          tcp: o.tcp !== false,
          logger: { error: (e) => o.onError?.(e) },
          inspect: {
            // The patched stack calls message() for datagrams and, after frame(), for stream messages.
            message: inspect,
            frame: (head) => {
              const r = frameStreamHead(head, o.maxBytes);
              if (typeof r !== 'number') o.onInvalid?.({ ok: false, status: 400, reason: 'unframeable' }, head);
              return r;
            },
          },
          onListening: (protocol) => {
            up.add(protocol);
            if (!settled && protocols.every((p) => up.has(p))) {
              settled = true;
              resolve(protocols.map((p) => ({ protocol: p, host: o.host, port })));
            }
          },
          onTransportError: (e, protocol) => {
            if (!settled) {
              settled = true;
              this.stack?.destroy();
              reject(new Error(`SIP ${protocol} ${o.host}:${port}: ${e.message}`));
            } else o.onError?.(e);
          },
        },
        (m, remote) => {
          if (!m.method) return;
          const protocol = remote.protocol.toUpperCase() === 'TCP' ? 'TCP' : 'UDP';
          this.handler(normalise(m as unknown as SipRequest), { protocol, address: remote.address, port: remote.port });
        },
      );
    });
  }

  sendRequest(rq: SipRequest, onResponse?: (rs: SipResponse) => void): void {
    if (!this.stack || this.closed) throw new Error('SIP stack is not listening');
    this.stack.send(
      rq as unknown as sip.SipJsMessage,
      onResponse && ((rs) => onResponse(normalise(rs as unknown as SipResponse))),
    );
  }

  sendResponse(rs: SipResponse): void {
    if (!this.stack || this.closed) return;
    this.stack.send(rs as unknown as sip.SipJsMessage);
  }

  /** Client and server transactions alive in the `sip` stack (0 once every exchange has ended). */
  get transactionCount(): number {
    return this.stack?.transactionCount() ?? 0;
  }

  onRequest(handler: (rq: SipRequest, remote: Remote) => void): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.listening.catch(() => {});
    this.stack?.destroy();
    this.stack = undefined;
    // The sockets finish closing on the next turn.
    await new Promise((r) => setImmediate(r));
  }
}
