// A webhook receiver for the tests: an HTTP server on a free port of 127.0.0.1 (or a given one) that records every
// request with its headers and body, and answers each as `answer` decides: a status code (with a body, headers
// or a delay), or not at all (held until `release()` or `close()`). Connections are kept alive as Node's server
// does; each request records which connection it came on, and `close()` ends the idle ones too.
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { BandwidthCallback } from '../../src';

export interface ReceivedRequest<Body = BandwidthCallback> {
  /** Its place among the requests this receiver has read (0 for the first). */
  n: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The header `x-switchboard-delivery` (the deliverer's id for this delivery). */
  deliveryId: string;
  raw: string;
  /** `raw` parsed as JSON (undefined when it is not JSON). */
  body: Body;
  /** The TCP connection it came on: 0 for the receiver's first, 1 for the next, … */
  connection: number;
  /** The status it was answered with, once it was. */
  status?: number;
}

/** A status code; or one with a body, headers and a delay before the answer; or `'hold'`: no answer yet. */
export type Answer =
  number | { status: number; body?: string; headers?: OutgoingHttpHeaders; delayMs?: number } | 'hold';

export interface WebhookReceiver<Body = BandwidthCallback> {
  /** `http://127.0.0.1:{port}`. */
  base: string;
  port: number;
  /** Every request, in the order their bodies were read. */
  requests: ReceivedRequest<Body>[];
  /** The requests answered with a 2xx, in the order they were answered. */
  acked: ReceivedRequest<Body>[];
  /** The requests held unanswered so far. */
  held(): number;
  /** Answers every held request with 200; from then on `'hold'` answers at once with 200 too. */
  release(): void;
  /** How many TCP connections have been made to it. */
  connections(): number;
  /** Ends every connection (held requests included) and stops listening. */
  close(): Promise<void>;
}

export interface ReceiverOptions<Body> {
  /** How to answer each request (default: 200). */
  answer?: (request: ReceivedRequest<Body>) => Answer;
  /** The port to listen on (default: a free one). */
  port?: number;
}

export async function startReceiver<Body = BandwidthCallback>(
  options: ReceiverOptions<Body> = {},
): Promise<WebhookReceiver<Body>> {
  const requests: ReceivedRequest<Body>[] = [];
  const acked: ReceivedRequest<Body>[] = [];
  const held: Array<() => void> = [];
  const connectionOf = new WeakMap<Socket, number>();
  let connections = 0;
  let released = false;

  const respond = (request: ReceivedRequest<Body>, res: ServerResponse, answer: Exclude<Answer, 'hold'>) => {
    const { status, body = '', headers = {} } = typeof answer === 'number' ? { status: answer } : answer;
    request.status = status;
    if (status >= 200 && status < 300) acked.push(request);
    res.writeHead(status, headers).end(body);
  };

  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      let body: Body;
      try {
        body = JSON.parse(raw) as Body;
      } catch {
        body = undefined as Body;
      }
      const request: ReceivedRequest<Body> = {
        n: requests.length,
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        deliveryId: String(req.headers['x-switchboard-delivery']),
        raw,
        body,
        connection: connectionOf.get(req.socket) ?? -1,
      };
      requests.push(request);
      const answer = options.answer?.(request) ?? 200;
      if (answer === 'hold' && !released) return void held.push(() => respond(request, res, 200));
      if (answer === 'hold') return respond(request, res, 200);
      if (typeof answer === 'object' && answer.delayMs) {
        setTimeout(() => respond(request, res, answer), answer.delayMs);
        return;
      }
      respond(request, res, answer);
    });
  });
  server.on('connection', (socket: Socket) => connectionOf.set(socket, connections++));
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    requests,
    acked,
    held: () => held.length,
    release: () => {
      released = true;
      for (const answer of held.splice(0)) answer();
    },
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
