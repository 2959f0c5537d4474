/**
 * The official CometD client (`cometd` + `cometd-nodejs-client`) as the tests use it: one transport, and the
 * credentials an agent desktop sends (in `ext.authentication`, as HTTP Basic, or as a session cookie; on the
 * long-polling requests and on the WebSocket upgrade).
 */
import { CometD, type Message } from 'cometd';
import { adapt } from 'cometd-nodejs-client';

adapt();

export type Transport = 'long-polling' | 'websocket';

export interface Credentials {
  /** `ext.authentication` on the handshake. */
  ext?: { user: string; password: string };
  /** HTTP headers on every request and on the WebSocket upgrade (`Authorization`, `Cookie`). */
  headers?: Record<string, string>;
}

export const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

type WebSocketClass = new (url: string, protocols?: string | string[], options?: object) => object;
const globalWindow = (global as unknown as { window: { WebSocket: WebSocketClass } }).window;
const PlainWebSocket = globalWindow.WebSocket;

/** The WebSocket class the client uses, sending `headers` on the upgrade (as a browser sends its cookies). */
function webSocketWith(headers: Record<string, string>): WebSocketClass {
  return class extends PlainWebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers });
    }
  };
}

/** A client that has not handshaken yet, on one transport. */
export function client(base: string, transport: Transport, credentials: Credentials = {}): CometD {
  const cometd = new CometD();
  if (transport === 'long-polling') cometd.unregisterTransport('websocket');
  else {
    cometd.unregisterTransport('long-polling');
    cometd.unregisterTransport('callback-polling');
  }
  cometd.configure({
    url: `${base}/api/v2/notifications`,
    logLevel: 'warn',
    requestHeaders: credentials.headers ?? {},
  });
  return cometd;
}

/** Handshake (no retry on refusal); resolves to the connected client, rejects with the server's error. */
export async function connect(base: string, transport: Transport, credentials: Credentials): Promise<CometD> {
  const cometd = client(base, transport, credentials);
  // The client makes its WebSocket during the handshake; it keeps that class for its reconnections.
  globalWindow.WebSocket = webSocketWith(credentials.headers ?? {});
  try {
    await new Promise<void>((resolve, reject) =>
      cometd.handshake(credentials.ext ? { ext: { authentication: credentials.ext } } : {}, (reply: Message) => {
        if (reply.successful) return resolve();
        cometd.disconnect(); // no retries
        reject(new Error(`handshake refused: ${String(reply.error)}`));
      }),
    );
  } finally {
    globalWindow.WebSocket = PlainWebSocket;
  }
  return cometd;
}

export async function subscribe(cometd: CometD, channel: string, into: Message[]): Promise<Message> {
  return new Promise((resolve) =>
    cometd.subscribe(
      channel,
      (m: Message) => into.push(m),
      (reply: Message) => resolve(reply),
    ),
  );
}

export const disconnect = (cometd: CometD) => new Promise<void>((resolve) => cometd.disconnect(() => resolve()));

/** Polls `check` every 10 ms for up to 5 s (for events crossing a real socket). */
export async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
