/**
 * CometD (Bayeux) notifications at `/api/v2/notifications`, with faye (long-polling and WebSocket), on the same
 * HTTP server as the agent API.
 *
 * - The handshake must authenticate with the same credentials as the HTTP API: `ext.authentication`
 *   `{ user, password }`, or an `Authorization: Basic` header on the request.
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
import { authenticate } from '../http/server';

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

export function attachCometd(server: Server, users: UserConfig[], devices: Map<string, AgentDevice>): CometdNotifications {
  const bayeux = new faye.NodeAdapter({ mount: NOTIFICATIONS_PATH, timeout: 25 });
  const token = randomBytes(24).toString('hex');
  const clients = new Map<string, UserConfig>();
  const handshakes = new WeakMap<object, UserConfig>();

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
          const user = fromExt(message) ?? authenticate(users, request?.headers?.authorization);
          if (message.ext?.authentication) delete message.ext.authentication.password; // never kept or echoed
          if (!user) message.error = '401::Authentication failed';
          else if (request) handshakes.set(request, user);
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
      if (message.subscription) message.subscription = publicName(message.subscription);
      if (message.channel.startsWith('/agent/')) message.channel = publicName(message.channel);
      callback(message);
    },
  });
  bayeux.on('disconnect', (clientId: string) => clients.delete(clientId));

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
      void publisher.publish(privateChannel(user.deviceDn, notification.channel), notification.data);
    });
  }

  bayeux.attach(server);
  return {
    clients: () => clients.size,
    close: async () => {
      clients.clear();
      publisher.disconnect(); // or its reconnect loop keeps the process alive
      bayeux.close();
    },
  };
}
