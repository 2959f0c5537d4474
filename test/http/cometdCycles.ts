/**
 * CometD clients that come and go, driven in-process through the HTTP server's request listener (the same
 * path as a real long-polling request: the endpoint's checks, faye, the extensions) with no sockets, so that
 * thousands of cycles take seconds. Run directly (`node --expose-gc -r esbuild-register test/http/cometdCycles.ts`)
 * it measures the heap around 10,000 cycles and prints JSON.
 */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { startServer } from './support';

type Server = Awaited<ReturnType<typeof startServer>>;
type Reply = { successful: boolean; clientId?: string; error?: string };

/** One long-polling POST of `messages`, answered in-process; resolves to faye's replies. */
export function post(s: Server, messages: object[]): Promise<Reply[]> {
  return new Promise((resolve) => {
    const body = JSON.stringify(messages);
    const request = Object.assign(new PassThrough(), {
      url: '/api/v2/notifications',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      socket: { remoteAddress: '127.0.0.1' },
    });
    const response = Object.assign(new EventEmitter(), {
      writeHead: () => response,
      end: (text: string) => resolve(JSON.parse(text) as Reply[]),
    });
    s.server.app.server.emit('request', request, response);
    request.end(body);
  });
}

/**
 * `n` clients, one after another, alternating agents: handshake, subscribe to both channels, connect, and
 * disconnect (every tenth unsubscribes first). `during` is called while each is subscribed.
 */
export async function cycles(s: Server, n: number, during?: (user: string) => void): Promise<void> {
  for (let i = 0; i < n; i++) {
    const [user, password] = i % 2 ? ['agent5006', 'pw-5006'] : ['agent5005', 'pw-5005'];
    const [hs] = await post(s, [
      {
        channel: '/meta/handshake',
        version: '1.0',
        supportedConnectionTypes: ['long-polling'],
        ext: { authentication: { user, password } },
      },
    ]);
    const clientId = hs.clientId as string;
    const subscribed = await post(
      s,
      ['/v2/me/calls', '/v2/me/devices'].map((subscription) => ({
        channel: '/meta/subscribe',
        clientId,
        subscription,
      })),
    );
    if (!hs.successful || !subscribed.every((r) => r.successful))
      throw new Error(`cycle ${i} refused: ${JSON.stringify([hs, subscribed])}`);
    during?.(user);
    if (i % 10 === 9) {
      await post(
        s,
        ['/v2/me/calls', '/v2/me/devices'].map((subscription) => ({
          channel: '/meta/unsubscribe',
          clientId,
          subscription,
        })),
      );
    }
    // A connect that the disconnect in the same request answers (as a client leaving while polling).
    await post(s, [
      { channel: '/meta/connect', clientId, connectionType: 'long-polling' },
      { channel: '/meta/disconnect', clientId },
    ]);
  }
}

/** Listener counts of both agents' devices, and the CometD module's record sizes. */
export function records(s: Server) {
  const count = (user: string) => s.server.devices.get(user)?.listenerCount('notification') ?? -1;
  return { listeners: { agent5005: count('agent5005'), agent5006: count('agent5006') }, ...s.server.cometd.stats() };
}

async function main(): Promise<void> {
  const gc = (global as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const s = await startServer();
  const before = records(s);
  await cycles(s, 1000); // warm up (compiled code, faye's caches)
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = Date.now();
  await cycles(s, 10_000);
  const ms = Date.now() - started;
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  console.log(JSON.stringify({ before, after: records(s), heapBefore, heapAfter, ms }));
  await s.close();
}

if (require.main === module) void main();
