/**
 * CometD (Bayeux) notifications at `/api/v2/notifications`, with faye (long-polling and WebSocket), on the same
 * HTTP server as the agent API.
 *
 * - The handshake authenticates with the agent API's credentials: in `ext.authentication` `{ user, password }`,
 *   as HTTP Basic on the handshake request or the WebSocket upgrade (a Genesys desktop's way), or with the
 *   session cookie the agent API set. Wrong credentials count as failed logins (see src/http/loginLimiter.ts);
 *   a user or address over its limit is refused with `429::…` and advice to wait; at most 3 failed handshakes
 *   per request or socket. A browser of another origin cannot use the headers or the cookie it holds: such
 *   requests are refused (below), and the cookie is SameSite=Strict.
 * - Requests from web pages of other origins, JSONP (GET) requests, and bodies over 64 KiB are refused
 *   before faye reads them (a body of unknown length is cut off when it passes the limit).
 * - A client may subscribe to `/v2/me/calls` and `/v2/me/devices` only. Each subscription is moved to a private
 *   channel of the client's own agent, and named back on the way out, so an agent receives only its own
 *   notifications, on the channel name the spec gives. A device is listened to only while it has subscribers.
 * - Clients cannot publish; only the server does, through its own client with a secret token.
 * - `close()` (at shutdown) answers every pending /meta/connect with the advice to handshake again (at another
 *   server), closes the WebSockets, and refuses new requests with 503.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import faye from 'faye';
import type { AgentDevice } from '../index';
import type { UserConfig } from '../http/config';
import { authenticate } from '../http/auth';
import { basicUsername, type LoginLimiter } from '../http/loginLimiter';
import type { SessionStore } from '../http/sessions';
import { DeviceFeeds } from './deviceFeeds';
import type { RemoteNotifications } from '../cluster';

export const NOTIFICATIONS_PATH = '/api/v2/notifications';
const PUBLIC_CHANNELS = ['/v2/me/calls', '/v2/me/devices'];

interface BayeuxMessage {
  channel: string;
  clientId?: string;
  subscription?: string;
  successful?: boolean;
  error?: string;
  data?: unknown;
  ext?: { authentication?: { user?: unknown; password?: unknown }; token?: string };
  advice?: { reconnect?: string; interval?: number };
}

type Callback = (message: BayeuxMessage) => void;

/** The private channel carrying one agent's notifications for a public channel name. */
const privateChannel = (dn: string, name: string) => `/agent/${dn}${name}`;
const publicName = (channel: string) => channel.replace(/^\/agent\/[^/]+/, '');

export interface CometdNotifications {
  /**
   * Stop: tell every client to handshake again (elsewhere), close the WebSockets (destroyed if still open
   * after `graceMs`, default 1000), refuse new requests.
   */
  close(graceMs?: number): Promise<void>;
  /** Clients connected and authenticated now. */
  clients(): number;
  /** Internal record sizes (for tests): channels with subscribers, devices listened to, WebSockets open. */
  stats(): { clients: number; channels: number; devices: number; webSockets: number };
}

export interface CometdOptions {
  users: UserConfig[];
  /** Agent devices by username. */
  devices: Map<string, AgentDevice>;
  /** Web page origins allowed to connect (default none). */
  allowedOrigins?: readonly string[];
  /** Failed-login limits, shared with the HTTP API. */
  limiter: LoginLimiter;
  /** Sessions set by the agent API; the handshake accepts their cookie. */
  sessions: SessionStore;
  /** On a cluster node: the other nodes' notifications (src/cluster/). */
  remote?: RemoteNotifications;
  /** With a store: resolves once the turns ended so far are stored (notifications wait for their turn's). */
  written?: () => Promise<void>;
}

const MAX_BODY = 64 * 1024;
const MAX_FAILED_HANDSHAKES = 3;

/** A request faye should never see: answer it here. Returns the reason, or null when it may pass. */
function refusal(request: IncomingMessage, allowedOrigins: readonly string[]): [number, string] | null {
  const origin = request.headers.origin;
  if (origin !== undefined && !allowedOrigins.includes(origin)) return [403, 'origin not allowed'];
  if (request.headers.upgrade) return null;
  if (request.method !== 'POST' && request.method !== 'OPTIONS') return [405, 'use POST (long-polling) or WebSocket'];
  if (Number(request.headers['content-length'] ?? 0) > MAX_BODY) return [413, `body over ${MAX_BODY} bytes`];
  return null;
}

/** What a handshake presents: the user it proves, or the name it claims (a failed login), or nothing. */
type Presented = { user: UserConfig } | { claimed: string } | null;

/** The handshake's credentials: `ext.authentication` first, then HTTP Basic, then the session cookie. */
function presented(message: BayeuxMessage, request: IncomingMessage | undefined, options: CometdOptions): Presented {
  const auth = message.ext?.authentication;
  if (auth !== undefined) {
    if (typeof auth?.user !== 'string' || typeof auth.password !== 'string')
      return { claimed: String(auth?.user ?? '') };
    const user = authenticate(
      options.users,
      `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`,
    );
    return user ? { user } : { claimed: auth.user };
  }
  const header = request?.headers.authorization;
  const name = basicUsername(header);
  if (name !== null) {
    const user = authenticate(options.users, header);
    return user ? { user } : { claimed: name };
  }
  const user = options.sessions.userOf(request?.headers.cookie);
  return user ? { user } : null;
}

export function attachCometd(server: Server, options: CometdOptions): CometdNotifications {
  const { users, devices, limiter } = options;
  const allowedOrigins = options.allowedOrigins ?? [];
  const bayeux = new faye.NodeAdapter({ mount: NOTIFICATIONS_PATH, timeout: 25 });
  const token = randomBytes(24).toString('hex');
  const clients = new Map<string, UserConfig>();
  const handshakes = new WeakMap<object, UserConfig>();
  const failures = new WeakMap<object, number>();
  /** Seconds a refused handshake's client is advised to wait. */
  const waits = new WeakMap<object, number>();
  let closing = false;

  bayeux.addExtension<BayeuxMessage>({
    incoming(message: BayeuxMessage, request: IncomingMessage | undefined, callback: Callback) {
      if (message.ext?.token === token) {
        delete message.ext.token; // the server's own publication
        return callback(message);
      }
      if (closing) {
        message.error = '503::The server is shutting down';
        return callback(message);
      }
      switch (message.channel) {
        case '/meta/handshake': {
          const failed = request ? (failures.get(request) ?? 0) : 0;
          if (failed >= MAX_FAILED_HANDSHAKES) {
            message.error = '429::Too many failed handshakes';
            return callback(message);
          }
          const address = request?.socket?.remoteAddress;
          const given = presented(message, request, options);
          if (message.ext?.authentication) delete message.ext.authentication.password; // never kept or echoed
          const name = given === null ? null : 'user' in given ? given.user.username : given.claimed;
          const wait = name === null ? 0 : limiter.retryAfter(address, name);
          if (wait > 0) {
            message.error = `429::Too many failed logins: try again in ${wait} s`;
            if (request) waits.set(request, wait);
          } else if (given === null || !('user' in given)) {
            message.error = '401::Authentication failed';
            if (request) failures.set(request, failed + 1);
            if (given !== null) limiter.failed(address, given.claimed);
          } else {
            limiter.succeeded(address, given.user.username);
            if (request) handshakes.set(request, given.user);
          }
          return callback(message);
        }
        case '/meta/connect':
        case '/meta/disconnect':
          if (!clients.has(message.clientId ?? '')) message.error = '401::Unknown or unauthenticated client';
          return callback(message);
        case '/meta/subscribe':
        case '/meta/unsubscribe': {
          const user = clients.get(message.clientId ?? '');
          if (!user) message.error = '401::Unknown or unauthenticated client';
          else if (!PUBLIC_CHANNELS.includes(message.subscription ?? ''))
            message.error = `403:${message.subscription}:Forbidden channel`;
          else message.subscription = privateChannel(user.deviceDn, message.subscription as string);
          return callback(message);
        }
        default:
          message.error = '403::Clients cannot publish';
          return callback(message);
      }
    },
    outgoing(message: BayeuxMessage, request: IncomingMessage | undefined, callback: Callback) {
      if (message.channel === '/meta/handshake' && message.successful && message.clientId && request) {
        const user = handshakes.get(request);
        if (user) clients.set(message.clientId, user);
      }
      if (message.channel === '/meta/handshake' && request && message.error?.startsWith('429::')) {
        message.advice = { reconnect: 'handshake', interval: (waits.get(request) ?? 1) * 1000 };
      }
      // Shutting down: the held /meta/connect is answered now, with the advice to start again (elsewhere).
      if (closing && message.channel === '/meta/connect') message.advice = { reconnect: 'handshake', interval: 0 };
      if (typeof message.subscription === 'string') message.subscription = publicName(message.subscription);
      if (typeof message.channel === 'string' && message.channel.startsWith('/agent/'))
        message.channel = publicName(message.channel);
      callback(message);
    },
  });
  // The server publishes every agent's notifications on that agent's private channel, while it has subscribers.
  const publisher = bayeux.getClient();
  publisher.addExtension<BayeuxMessage>({
    outgoing(message: BayeuxMessage, callback: Callback) {
      message.ext = { ...message.ext, token };
      callback(message);
    },
  });
  const publishing = new Set<PromiseLike<unknown>>();
  const feeds = new DeviceFeeds(
    (channel) => {
      const user = users.find((u) => channel.startsWith(privateChannel(u.deviceDn, '/')));
      const device = user && devices.get(user.username);
      return device && user ? { device, channel: (name) => privateChannel(user.deviceDn, name) } : undefined;
    },
    (channel, data) => {
      const publication = publisher.publish(channel, data) as unknown as PromiseLike<unknown>;
      const settled = () => publishing.delete(publication);
      publishing.add(publication);
      publication.then(settled, settled);
    },
    options.remote,
    options.written,
  );
  bayeux.on('subscribe', (clientId: string, channel: string) => feeds.subscribed(clientId, channel));
  bayeux.on('unsubscribe', (clientId: string, channel: string) => feeds.unsubscribed(clientId, channel));
  bayeux.on('disconnect', (clientId: string) => {
    clients.delete(clientId);
    feeds.disconnected(clientId);
  });

  // faye wraps the server's listeners and parses the URL of every request; we dispatch by path ourselves so
  // that API requests go straight to fastify, and refuse in front of faye what it should not see (it reads
  // its own requests, outside fastify's limits).
  const original = { request: server.listeners('request'), upgrade: server.listeners('upgrade') };
  const webSockets = new Set<Socket>();
  bayeux.attach(server);
  for (const event of ['request', 'upgrade'] as const) {
    const faye = server.listeners(event) as Array<(...args: unknown[]) => void>;
    const others = original[event] as Array<(...args: unknown[]) => void>;
    server.removeAllListeners(event);
    server.on(event, (request: IncomingMessage, ...rest: unknown[]) => {
      if (!request.url?.startsWith(NOTIFICATIONS_PATH)) {
        for (const listener of others) listener.call(server, request, ...rest);
        return;
      }
      const refused: [number, string] | null = closing
        ? [503, 'the server is shutting down']
        : refusal(request, allowedOrigins);
      if (refused) {
        const [status, reason] = refused;
        const target = rest[0] as {
          writeHead?: (s: number, h: object) => { end(t: string): void };
          destroy?: () => void;
        };
        const headers = status === 503 ? { connection: 'close' } : {};
        const body = JSON.stringify({ statusCode: 1, statusMessage: `CometD request refused: ${reason}` });
        if (event === 'request' && target.writeHead) target.writeHead(status, headers).end(body);
        else target.destroy?.();
        return;
      }
      if (event === 'request') {
        // A body sent without a length (chunked) is counted as it arrives, and cut off past the limit.
        let received = 0;
        request.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_BODY) request.destroy();
        });
      }
      if (event === 'upgrade') {
        const socket = rest[0] as Socket;
        webSockets.add(socket);
        socket.once('close', () => webSockets.delete(socket));
      }
      for (const listener of faye) listener.call(server, request, ...rest);
    });
  }

  return {
    clients: () => clients.size,
    stats: () => ({ clients: clients.size, ...feeds.stats(), webSockets: webSockets.size }),
    close: async (graceMs = 1000) => {
      if (closing) return;
      // Notifications published just before (the calls ended at shutdown) reach the clients first.
      await settledWithin([...publishing], graceMs);
      closing = true;
      publisher.disconnect(); // or its reconnect loop keeps the process alive
      // Each held /meta/connect is answered (advice: handshake); the replies are written a turn later, so the
      // WebSockets close after that (bayeux.close() alone would close them before their reply).
      for (const connection of fayeConnections(bayeux)) connection.flush();
      await new Promise((resolve) => setImmediate(resolve));
      bayeux.close();
      clients.clear();
      feeds.clear();
      const open = [...webSockets].map((socket) => new Promise((resolve) => socket.once('close', resolve)));
      await settledWithin(open, graceMs);
      for (const socket of webSockets) socket.destroy();
    },
  };
}

/**
 * faye's open connections (one per client with a held /meta/connect or a WebSocket). faye 1.4 has no public
 * way to answer them without also closing their sockets at once; this reads its engine's connection table.
 */
function fayeConnections(bayeux: object): Array<{ flush(): void }> {
  const engine = (bayeux as { _server?: { _engine?: { _connections?: Map<string, { flush(): void }> } } })._server
    ?._engine;
  return [...(engine?._connections?.values() ?? [])];
}

/** Waits for the promises to settle, or `ms`, whichever comes first. */
async function settledWithin(promises: Array<PromiseLike<unknown>>, ms: number): Promise<void> {
  if (promises.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([Promise.allSettled(promises), timeout]);
  clearTimeout(timer);
}
