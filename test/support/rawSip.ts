// A raw SIP peer for hostile-input tests: a UDP socket or TCP connection on 127.0.0.2 that sends any bytes (valid or
// not) to a SIP network and collects what comes back, parsed. It ACKs nothing by itself; helpers build the few
// well-formed requests a test needs (INVITE, ACK, BYE, OPTIONS) from plain text.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as sip from 'sip';

export interface RawMessage {
  raw: string;
  status?: number;
  method?: string;
  headers: Record<string, unknown>;
  callId: string;
  cseqMethod: string;
}

export interface RawPeer {
  readonly transport: 'udp' | 'tcp';
  /** The peer's own address (127.0.0.2 unless given). */
  readonly address: string;
  /** The peer's own port on 127.0.0.2. */
  readonly port: number;
  /** Every message received, in order. */
  readonly received: RawMessage[];
  send(text: string | Buffer): void;
  /** The first message not yet returned by `next` that matches, waiting for it. */
  next(match?: (m: RawMessage) => boolean, timeoutMs?: number): Promise<RawMessage>;
  /** TCP: resolves when the network closed the connection. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

function parsed(raw: string): RawMessage {
  const m = sip.parse(raw);
  const headers = (m?.headers ?? {}) as Record<string, unknown>;
  const cseq = headers.cseq as { method?: string } | undefined;
  return {
    raw,
    status: m?.status,
    method: m?.method,
    headers,
    callId: String(headers['call-id'] ?? ''),
    cseqMethod: cseq?.method ?? '',
  };
}

/** Splits a TCP byte stream into messages by Content-Length. */
function framer(onMessage: (raw: string) => void): (chunk: string) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk;
    for (;;) {
      buffer = buffer.replace(/^(\r\n)+/, '');
      const end = buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      const cl = /\r\n(?:content-length|l)[ \t]*:[ \t]*(\d+)/i.exec(buffer.slice(0, end + 2));
      const total = end + 4 + (cl ? Number(cl[1]) : 0);
      if (buffer.length < total) return;
      onMessage(buffer.slice(0, total));
      buffer = buffer.slice(total);
    }
  };
}

export async function rawPeer(
  transport: 'udp' | 'tcp',
  target: { host: string; port: number },
  localAddress = '127.0.0.2',
): Promise<RawPeer> {
  const received: RawMessage[] = [];
  const taken = new Set<number>();
  const waiters = new Set<() => void>();
  const onMessage = (raw: string) => {
    received.push(parsed(raw));
    for (const w of [...waiters]) w();
  };
  let send: (data: Buffer) => void;
  let close: () => Promise<void>;
  let port: number;
  let closed: Promise<void>;
  if (transport === 'udp') {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (data) => onMessage(data.toString('binary')));
    await new Promise<void>((r) => socket.bind(0, localAddress, () => r()));
    port = socket.address().port;
    send = (data) => socket.send(data, target.port, target.host);
    close = () => new Promise<void>((r) => socket.close(() => r()));
    closed = new Promise<void>(() => {});
  } else {
    const socket = net.connect({ host: target.host, port: target.port, localAddress });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setEncoding('binary');
    socket.on('data', framer(onMessage));
    socket.on('error', () => {});
    closed = new Promise<void>((r) => socket.once('close', () => r()));
    port = socket.localPort!;
    send = (data) => socket.write(data);
    close = async () => {
      socket.destroy();
      await closed;
    };
  }
  return {
    transport,
    address: localAddress,
    port,
    received,
    closed,
    send: (text) => send(typeof text === 'string' ? Buffer.from(text, 'binary') : text),
    next(match = () => true, timeoutMs = 5000) {
      return new Promise<RawMessage>((resolve, reject) => {
        const look = () => {
          for (let i = 0; i < received.length; i++) {
            if (taken.has(i) || !match(received[i])) continue;
            taken.add(i);
            waiters.delete(look);
            clearTimeout(timer);
            resolve(received[i]);
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          waiters.delete(look);
          reject(
            new Error(
              `no matching SIP message within ${timeoutMs} ms; got:\n` +
                received.map((m) => m.raw.split('\r\n')[0]).join('\n'),
            ),
          );
        }, timeoutMs);
        if (!look()) waiters.add(look);
      });
    },
    close,
  };
}

export interface InviteOptions {
  callId: string;
  branch?: string;
  fromTag?: string;
  cseq?: number;
  /** Extra header lines (CRLF-terminated). */
  extra?: string;
  body?: string;
}

/** A well-formed INVITE from the peer to `target` (no SDP unless `body`). */
export function inviteText(peer: RawPeer, target: { host: string; port: number }, o: InviteOptions): string {
  const t = peer.transport.toUpperCase();
  const body = o.body ?? '';
  return (
    `INVITE sip:sut@${target.host}:${target.port} SIP/2.0\r\n` +
    `Via: SIP/2.0/${t} ${peer.address}:${peer.port};branch=${o.branch ?? `z9hG4bK-${o.callId}`};rport\r\n` +
    `From: <sip:hostile@127.0.0.2>;tag=${o.fromTag ?? `f-${o.callId}`}\r\n` +
    `To: <sip:sut@${target.host}>\r\n` +
    `Call-ID: ${o.callId}\r\n` +
    `CSeq: ${o.cseq ?? 1} INVITE\r\n` +
    `Contact: <sip:hostile@${peer.address}:${peer.port}${peer.transport === 'tcp' ? ';transport=tcp' : ''}>\r\n` +
    `Max-Forwards: 70\r\n` +
    (o.extra ?? '') +
    (body ? 'Content-Type: application/sdp\r\n' : '') +
    `Content-Length: ${Buffer.byteLength(body, 'binary')}\r\n\r\n` +
    body
  );
}

/** The header line `name: value` of a raw message, as sent (first occurrence). */
function line(raw: string, name: string): string {
  const m = new RegExp(`^${name}[ \\t]*:[^\\r\\n]*`, 'im').exec(raw);
  if (!m) throw new Error(`no ${name} header in ${raw.split('\r\n')[0]}`);
  return m[0];
}

/**
 * An in-dialog request (ACK for a 2xx, BYE, ...) from the peer on the dialog `ok` (a 2xx to its INVITE) set up, or,
 * with `branchOf`, the ACK of a non-2xx final response (same branch as the INVITE, RFC 3261 17.1.1.3).
 */
export function inDialog(
  peer: RawPeer,
  ok: RawMessage,
  method: string,
  o: { cseq: number; branch?: string; remoteTarget?: string } = { cseq: 1 },
): string {
  const t = peer.transport.toUpperCase();
  const contact = (ok.headers.contact as { uri: unknown }[] | undefined)?.[0]?.uri;
  const target = o.remoteTarget ?? (typeof contact === 'string' ? contact : sip.stringifyUri(contact));
  const branch = o.branch ?? `z9hG4bK-${method}-${Math.random().toString(36).slice(2)}`;
  return (
    `${method} ${target} SIP/2.0\r\n` +
    `Via: SIP/2.0/${t} ${peer.address}:${peer.port};branch=${branch};rport\r\n` +
    `${line(ok.raw, 'From')}\r\n${line(ok.raw, 'To')}\r\n${line(ok.raw, 'Call-ID')}\r\n` +
    `CSeq: ${o.cseq} ${method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`
  );
}

/** An OPTIONS outside any dialog: its 200 shows that everything sent before it has been processed. */
export function optionsText(peer: RawPeer, target: { host: string; port: number }, callId: string): string {
  const t = peer.transport.toUpperCase();
  return (
    `OPTIONS sip:sut@${target.host}:${target.port} SIP/2.0\r\n` +
    `Via: SIP/2.0/${t} ${peer.address}:${peer.port};branch=z9hG4bK-${callId};rport\r\n` +
    `From: <sip:hostile@127.0.0.2>;tag=o-${callId}\r\nTo: <sip:sut@${target.host}>\r\n` +
    `Call-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`
  );
}
