/**
 * How a Genesys desktop authenticates its CometD connection, with the official client over real sockets: HTTP
 * Basic on the long-polling requests and on the WebSocket upgrade, or the session cookie the agent API set on
 * its answer to an authenticated request; `ext.authentication` still works. Each agent receives only its own
 * notifications; wrong credentials, unknown and expired sessions are refused.
 */
import type { Message } from 'cometd';
import type { CallNotification } from '../../src';
import { SESSION_COOKIE, SessionStore } from '../../src/http/sessions';
import { basic, connect, disconnect, subscribe, until, type Credentials, type Transport } from './cometdClient';
import { startServer } from './support';

type Server = Awaited<ReturnType<typeof startServer>>;

/** The session cookie the agent API sets for `user` (the `Set-Cookie` header), via GET /api/v2/me. */
async function sessionCookie(s: Server, user: string, password: string, cookie?: string): Promise<string | null> {
  const headers: Record<string, string> = { authorization: basic(user, password) };
  if (cookie) headers.cookie = cookie;
  const res = await fetch(`${s.base}/api/v2/me`, { headers });
  expect(res.status).toBe(200);
  return res.headers.get('set-cookie');
}

const pair = (setCookie: string) => setCookie.split(';')[0];

describe.each(['long-polling', 'websocket'] as Transport[])('CometD authentication over %s', (transport) => {
  let s: Server;
  let now = 1_000_000;
  beforeEach(async () => {
    now = 1_000_000;
    s = await startServer({}, { now: () => now });
  });
  afterEach(async () => {
    await s.close();
  });

  /** agent5005 and agent5006 connect with `credentials(user, password)`; a call rings 5005; who got what. */
  async function isolation(credentials: (user: string, password: string) => Promise<Credentials>) {
    const mine: Message[] = [];
    const theirs: Message[] = [];
    const agent = await connect(s.base, transport, await credentials('agent5005', 'pw-5005'));
    const other = await connect(s.base, transport, await credentials('agent5006', 'pw-5006'));
    expect(await subscribe(agent, '/v2/me/calls', mine)).toMatchObject({
      successful: true,
      subscription: '/v2/me/calls',
    });
    expect(await subscribe(other, '/v2/me/calls', theirs)).toMatchObject({ successful: true });
    await s.request('POST', '/api/v2/simulator/calls', { body: { from: '5000', to: '5005' } });
    await until(() => mine.length === 1, 'the Ringing notification');
    expect(mine.map((m) => ({ channel: m.channel, data: m.data }))).toEqual(
      s.notifications.map((n: CallNotification) => ({ channel: n.channel, data: n.data })),
    );
    expect((mine[0].data as CallNotification['data']).call.state).toBe('Ringing');
    expect(theirs).toEqual([]);
    await disconnect(agent);
    await disconnect(other);
  }

  test('HTTP Basic on the handshake request (and the WebSocket upgrade): each agent receives only its own calls', async () => {
    await isolation(async (user, password) => ({ headers: { authorization: basic(user, password) } }));
  });

  test('the session cookie the agent API set: each agent receives only its own calls', async () => {
    await isolation(async (user, password) => ({
      headers: { cookie: pair((await sessionCookie(s, user, password)) as string) },
    }));
  });

  test('ext.authentication still works', async () => {
    await isolation(async (user, password) => ({ ext: { user, password } }));
  });

  test('wrong Basic credentials, an unknown session, an expired session and no credentials are refused', async () => {
    const refused = (credentials: Credentials) =>
      expect(connect(s.base, transport, credentials)).rejects.toThrow(/handshake refused: 401::Authentication failed/);
    await refused({ headers: { authorization: basic('agent5005', 'wrong') } });
    await refused({ headers: { authorization: basic('nobody', 'pw-5005') } });
    await refused({ headers: { cookie: `${SESSION_COOKIE}=${'A'.repeat(43)}` } });
    await refused({});
    // Right Basic credentials do not rescue wrong ext.authentication: the credentials given first decide.
    await refused({
      ext: { user: 'agent5005', password: 'wrong' },
      headers: { authorization: basic('agent5005', 'pw-5005') },
    });
    const cookie = pair((await sessionCookie(s, 'agent5005', 'pw-5005')) as string);
    now += 8 * 3600 * 1000; // the session's lifetime (8 h by default) has passed
    await refused({ headers: { cookie } });
  });
});

describe('the session cookie', () => {
  test('set on the answer to an authenticated request: opaque, HttpOnly, SameSite=Strict, path /api/v2, expiring', async () => {
    const s = await startServer();
    const first = (await sessionCookie(s, 'agent5005', 'pw-5005')) as string;
    expect(first).toMatch(
      new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; Path=/api/v2; Max-Age=28800; HttpOnly; SameSite=Strict$`),
    );
    // A request carrying the live session gets no new one; another user's request gets its own.
    expect(await sessionCookie(s, 'agent5005', 'pw-5005', pair(first))).toBeNull();
    const other = (await sessionCookie(s, 'agent5006', 'pw-5006', pair(first))) as string;
    expect(pair(other)).not.toBe(pair(first));
    // Wrong credentials get no cookie; the cookie alone does not authenticate the agent API.
    const wrong = await fetch(`${s.base}/api/v2/me`, { headers: { authorization: basic('agent5005', 'x') } });
    expect([wrong.status, wrong.headers.get('set-cookie')]).toEqual([401, null]);
    expect((await fetch(`${s.base}/api/v2/me`, { headers: { cookie: pair(first) } })).status).toBe(401);
    expect(s.server.sessions.size()).toBe(2);
    await s.close();
  });

  test('one session per user and address: a client without cookies gets the same one again', async () => {
    const s = await startServer();
    const first = (await sessionCookie(s, 'agent5005', 'pw-5005')) as string;
    for (let i = 0; i < 25; i++)
      expect(pair((await sessionCookie(s, 'agent5005', 'pw-5005')) as string)).toBe(pair(first));
    expect(s.server.sessions.size()).toBe(1);
    // The desktop's cookie still opens a CometD session after a script polled without cookies.
    const cometd = await connect(s.base, 'long-polling', { headers: { cookie: pair(first) } });
    await disconnect(cometd);
    await s.close();
  });

  test('at most 20 sessions per user (addresses), the least recently used dropped first', () => {
    let now = 0;
    const sessions = new SessionStore({ ttlSeconds: 3600, now: () => now });
    const user = { username: 'ann', password: 'pw', deviceDn: '5005' };
    const cookies: string[] = [];
    for (let i = 0; i < 20; i++) cookies.push(pair(sessions.cookieFor(undefined, user, `10.0.0.${i}`) as string));
    now = 1000;
    expect(sessions.userOf(cookies[0])).toBe(user); // used: now the most recent
    for (let i = 20; i < 22; i++) sessions.cookieFor(undefined, user, `10.0.0.${i}`);
    expect(sessions.size()).toBe(20);
    expect(sessions.userOf(cookies[0])).toBe(user);
    expect(sessions.userOf(cookies[1])).toBeNull();
    expect(sessions.userOf(cookies[2])).toBeNull();
    expect(sessions.userOf(cookies[3])).toBe(user);
    // A dropped session's address gets a new one; the re-sent cookie's Max-Age is what is left of its life.
    expect(pair(sessions.cookieFor(undefined, user, '10.0.0.1') as string)).not.toBe(cookies[1]);
    expect(sessions.cookieFor(undefined, user, '10.0.0.3')).toMatch(/; Max-Age=3599; /);
  });

  test('a page of another origin cannot use Basic credentials or the cookie a browser holds', async () => {
    const s = await startServer();
    const cookie = pair((await sessionCookie(s, 'agent5005', 'pw-5005')) as string);
    const handshake = JSON.stringify([
      { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] },
    ]);
    for (const header of [{ cookie }, { authorization: basic('agent5005', 'pw-5005') }] as Array<
      Record<string, string>
    >) {
      const res = await fetch(`${s.base}/api/v2/notifications`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'https://evil.example', ...header },
        body: handshake,
      });
      expect(res.status).toBe(403);
    }
    await s.close();
  });
});
