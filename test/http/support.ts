/** A server on a random loopback port over a SimulatedClock switchboard, and a small authenticated client. */
import { createSwitchboard, SimulatedClock, type CallNotification, type Switchboard } from '../../src';
import { loadConfig, type ServerConfig } from '../../src/http/config';
import { createServer } from '../../src/http/server';

export const USERS = 'agent5005:pw-5005:5005,agent5006:pw-5006:5006';

/** `options.now`: the clock of login limits and sessions; `options.config`: settings over the loaded ones. */
export async function startServer(
  env: Record<string, string> = {},
  options: { now?: () => number; config?: Partial<ServerConfig> } = {},
) {
  const clock = new SimulatedClock();
  const config = { ...loadConfig({ env: { SWITCHBOARD_USERS: USERS, ...env }, port: 0 }), ...options.config };
  const sb: Switchboard = createSwitchboard({ clock, publicUrl: 'http://127.0.0.1:8080' });
  const server = createServer({ switchboard: sb, config, logger: false, now: options.now });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const address = server.app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const notifications: CallNotification[] = [];
  server.devices.get('agent5005')?.on('notification', (m) => notifications.push(m));
  const request = async (
    method: string,
    path: string,
    options: { body?: unknown; raw?: string; user?: string | null; type?: string } = {},
  ) => {
    const user = options.user === undefined ? 'agent5005:pw-5005' : options.user;
    const headers: Record<string, string> = {};
    if (user) headers.authorization = `Basic ${Buffer.from(user).toString('base64')}`;
    let body: string | undefined;
    if (options.raw !== undefined || options.body !== undefined) {
      headers['content-type'] = options.type ?? 'application/json';
      body = options.raw ?? JSON.stringify(options.body);
    }
    const res = await fetch(`${base}${path}`, { method, headers, body });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return { sb, clock, server, base, request, notifications, close: () => server.app.close() };
}
