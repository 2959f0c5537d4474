/**
 * CometD (Bayeux) notifications at `/api/v2/notifications`, with faye (long-polling and WebSocket), on the same
 * HTTP server as the agent API.
 *
 * - The handshake must authenticate with the same credentials as the HTTP API, in `ext.authentication`
 *   `{ user, password }` (never from a header a browser could add by itself); at most 3 failed handshakes per
 *   request or socket.
 * - Requests from web pages of other origins, JSONP (GET) requests, and bodies over 64 KiB are refused
 *   before faye reads them (a body of unknown length is cut off when it passes the limit).
 * - A client may subscribe to `/v2/me/calls` and `/v2/me/devices` only. Each subscription is moved to a private
 *   channel of the client's own agent, and named back on the way out, so an agent receives only its own
 *   notifications, on the channel name the spec gives.
 * - Clients cannot publish; only the server does, through its own client with a secret token.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import faye from 'faye';
import type { AgentDevice } from '../index';
import type { UserConfig } from '../http/config';
import { authenticate } from '../http/auth';

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
}

type Callback = (message: BayeuxMessage) => void;

/** The private channel carrying one agent's notifications for a public channel name. */
const privateChannel = (dn: string, name: string) => `/agent/${dn}${name}`;
const publicName = (channel: string) => channel.replace(/^\/agent\/[^/]+/, '');

export interface CometdNotifications {
  /** Stop: disconnect every client. */
  close(): Promise<void>;
  /** Clients connected and authenticated now. */
  clients(): number;
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

export function attachCometd(
  server: Server,
  users: UserConfig[],
  devices: Map<string, AgentDevice>,
  allowedOrigins: readonly string[] = [],
): CometdNotifications {
  const bayeux = new faye.NodeAdapter({ mount: NOTIFICATIONS_PATH, timeout: 25 });
  const token = randomBytes(24).toString('hex');
  const clients = new Map<string, UserConfig>();
  const handshakes = new WeakMap<object, UserConfig>();
  const failures = new WeakMap<object, number>();

  const fromExt = (message: BayeuxMessage): UserConfig | null => {
    const auth = message.ext?.authentication;
    if (typeof auth?.user !== 'string' || typeof auth.password !== 'string') return null;
    return authenticate(users, `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`);
  };

  bayeux.addExtension<BayeuxMessage>({
    incoming(message: BayeuxMessage, request: IncomingMessage | undefined, callback: Callback) {
      if (message.ext?.token === token) {
        delete message.ext.token; // the server's own publication
        return callback(message);
      }
      switch (message.channel) {
        case '/meta/handshake': {
          const failed = request ? (failures.get(request) ?? 0) : 0;
          if (failed >= MAX_FAILED_HANDSHAKES) {
            message.error = '429::Too many failed handshakes';
            return callback(message);
          }
          const user = fromExt(message);
          if (message.ext?.authentication) delete message.ext.authentication.password; // never kept or echoed
          if (!user) {
            message.error = '401::Authentication failed';
            if (request) failures.set(request, failed + 1);
          } else if (request) handshakes.set(request, user);
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
          else if (!PUBLIC_CHANNELS.includes(message.subscription ?? '')) message.error = `403:${message.subscription}:Forbidden channel`;
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
      if (typeof message.subscription === 'string') message.subscription = publicName(message.subscription);
      if (typeof message.channel === 'string' && message.channel.startsWith('/agent/')) message.channel = publicName(message.channel);
      callback(message);
    },
  });
  // Subscribers per private channel: nothing is published to an agent nobody is listening for.
  const subscribers = new Map<string, Set<string>>();
  bayeux.on('subscribe', (clientId: string, channel: string) => {
    if (!subscribers.has(channel)) subscribers.set(channel, new Set());
    subscribers.get(channel)?.add(clientId);
  });
  bayeux.on('unsubscribe', (clientId: string, channel: string) => subscribers.get(channel)?.delete(clientId));
  bayeux.on('disconnect', (clientId: string) => {
    clients.delete(clientId);
    for (const set of subscribers.values()) set.delete(clientId);
  });

  // The server publishes every agent's notifications on that agent's private channel.
  const publisher = bayeux.getClient();
  publisher.addExtension<BayeuxMessage>({
    outgoing(message: BayeuxMessage, callback: Callback) {
      message.ext = { ...message.ext, token };
      callback(message);
    },
  });
  for (const user of users) {
    const device = devices.get(user.username);
    device?.on('notification', (notification) => {
      const channel = privateChannel(user.deviceDn, notification.channel);
      if (subscribers.get(channel)?.size) void publisher.publish(channel, notification.data);
    });
  }

  // faye wraps the server's listeners and parses the URL of every request; we dispatch by path ourselves so
  // that API requests go straight to fastify, and refuse in front of faye what it should not see (it reads
  // its own requests, outside fastify's limits).
  const original = { request: server.listeners('request'), upgrade: server.listeners('upgrade') };
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
      const refused = refusal(request, allowedOrigins);
      if (refused) {
        const [status, reason] = refused;
        const target = rest[0] as { writeHead?: (s: number) => { end(t: string): void }; destroy?: () => void };
        if (event === 'request' && target.writeHead) target.writeHead(status).end(JSON.stringify({ statusCode: 1, statusMessage: `CometD request refused: ${reason}` }));
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
      for (const listener of faye) listener.call(server, request, ...rest);
    });
  }

  return {
    clients: () => clients.size,
    close: async () => {
      clients.clear();
      publisher.disconnect(); // or its reconnect loop keeps the process alive
      bayeux.close();
    },
  };
}
