/**
 * Failed logins are limited per user and address and per address, for the agent API, the inspector and the
 * CometD handshake (one limiter): past the limit the right password is refused too (429 with Retry-After),
 * from that address only; the window ends on the injected clock (no sleeping). Requests come from two
 * loopback addresses (127.0.0.1 and 127.0.0.2) to show the real user is not locked out from another one.
 */
import { request as httpRequest } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/http/config';
import { DEFAULT_LOGIN_LIMITS, LoginLimiter } from '../../src/http/loginLimiter';
import { basic } from './cometdClient';
import { startServer } from './support';

type Server = Awaited<ReturnType<typeof startServer>>;
interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: unknown;
}

/** One request from a given local (loopback) address, on a fresh connection. */
function from(
  address: string,
  s: Server,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, s.base);
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method, headers, localAddress: address, agent: false },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'],
            body: text ? JSON.parse(text) : null,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const LIMITS = { perUserAndAddress: 3, perAddress: 10, windowSeconds: 60, maxTracked: 1000 };

describe('the login limiter (clock injected)', () => {
  test('per user and address: refused after the limit, from that address only, until the window ends', () => {
    let now = 0;
    const limiter = new LoginLimiter(LIMITS, () => now);
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfter('10.0.0.1', 'ann')).toBe(0);
      limiter.failed('10.0.0.1', 'ann');
    }
    expect(limiter.retryAfter('10.0.0.1', 'ann')).toBe(60);
    expect(limiter.retryAfter('::ffff:10.0.0.1', 'ann')).toBe(60); // the same address
    expect(limiter.retryAfter('10.0.0.2', 'ann')).toBe(0);
    expect(limiter.retryAfter('10.0.0.1', 'bob')).toBe(0);
    now = 59_001;
    expect(limiter.retryAfter('10.0.0.1', 'ann')).toBe(1);
    now = 60_000;
    expect(limiter.retryAfter('10.0.0.1', 'ann')).toBe(0);
  });

  test('per address, across usernames; a success forgets only that user’s failures at that address', () => {
    let now = 0;
    const limiter = new LoginLimiter(LIMITS, () => now);
    limiter.failed('10.0.0.1', 'ann');
    limiter.failed('10.0.0.1', 'ann');
    limiter.succeeded('10.0.0.1', 'ann');
    limiter.failed('10.0.0.1', 'ann');
    limiter.failed('10.0.0.1', 'ann');
    expect(limiter.retryAfter('10.0.0.1', 'ann')).toBe(0);
    for (let i = 0; i < 6; i++) limiter.failed('10.0.0.1', `guess${i}`);
    // 10 failures from this address (4 for ann, 6 others): every user is refused there, none elsewhere.
    now = 10_000;
    expect(limiter.retryAfter('10.0.0.1', 'carol')).toBe(50);
    expect(limiter.retryAfter('10.0.0.2', 'carol')).toBe(0);
  });

  test('memory is bounded: at most maxTracked counts, the oldest dropped first', () => {
    let now = 0;
    const limiter = new LoginLimiter({ ...LIMITS, maxTracked: 50 }, () => now);
    for (let i = 0; i < 1000; i++) {
      limiter.failed(`10.0.${i >> 8}.${i & 255}`, `user${i}`);
      now += 1;
    }
    expect(limiter.tracked()).toBeLessThanOrEqual(50);
    now += 60_000; // every window has ended: the next failure drops them all
    limiter.failed('10.9.9.9', 'x');
    expect(limiter.tracked()).toBe(2);
  });
});

describe('failed logins over HTTP and CometD', () => {
  let s: Server;
  let now: number;
  beforeEach(async () => {
    now = 1_000_000;
    s = await startServer({}, { now: () => now, config: { loginLimits: LIMITS } });
  });
  afterEach(async () => {
    await s.close();
  });
  const me = (address: string, password: string) =>
    from(address, s, 'GET', '/api/v2/me', { authorization: basic('agent5005', password) });

  test('agent API: after 3 wrong passwords the right one gets 429 with Retry-After, from that address only, until the window ends', async () => {
    for (let i = 0; i < 3; i++) expect((await me('127.0.0.1', `wrong${i}`)).status).toBe(401);
    expect(await me('127.0.0.1', 'pw-5005')).toEqual({
      status: 429,
      retryAfter: '60',
      body: { statusCode: 20, statusMessage: 'Too many failed logins: try again in 60 s' },
    });
    expect((await me('127.0.0.2', 'pw-5005')).status).toBe(200); // the real user, elsewhere
    expect(
      (await from('127.0.0.1', s, 'GET', '/api/v2/me', { authorization: basic('agent5006', 'pw-5006') })).status,
    ).toBe(200);
    now += 59_000;
    expect((await me('127.0.0.1', 'pw-5005')).retryAfter).toBe('1');
    now += 1000;
    expect((await me('127.0.0.1', 'pw-5005')).status).toBe(200);
  });

  test('100 wrong passwords sent at once: 3 are checked, the rest refused; then the right one is refused too', async () => {
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => s.request('GET', '/api/v2/me', { user: `agent5005:wrong${i}` })),
    );
    expect(answers.filter((a) => a.status === 401)).toHaveLength(3);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(97);
    expect((await s.request('GET', '/api/v2/me')).status).toBe(429);
  });

  test('requests without credentials are not failed logins; an answer other than 401 to a wrong password clears nothing', async () => {
    for (let i = 0; i < 20; i++) expect((await s.request('GET', '/api/v2/me', { user: null })).status).toBe(401);
    expect((await me('127.0.0.1', 'pw-5005')).status).toBe(200);
    for (let i = 0; i < 2; i++) await me('127.0.0.1', 'wrong');
    const badUrl = await from('127.0.0.1', s, 'GET', '/api/v2/%zz', { authorization: basic('agent5005', 'wrong') });
    expect(badUrl.status).toBe(400); // a malformed URL: not a failed login, and not a success either
    await me('127.0.0.1', 'wrong');
    expect((await me('127.0.0.1', 'pw-5005')).status).toBe(429);
  });

  test('a percent-encoded path that routes to the API or the inspector is limited too (no way around the count)', async () => {
    const paths = ['/api/v%32/me', '/%61pi/v2/me', '/%69nspect/api/calls'];
    for (let i = 0; i < 3; i++) {
      const path = paths[i];
      expect((await from('127.0.0.1', s, 'GET', path, { authorization: basic('agent5005', 'wrong') })).status).toBe(
        401,
      );
    }
    for (const path of [...paths, '/api/v2/me']) {
      expect(await from('127.0.0.1', s, 'GET', path, { authorization: basic('agent5005', 'pw-5005') })).toMatchObject({
        status: 429,
        retryAfter: '60',
      });
    }
  });

  test('the inspector login is limited too', async () => {
    const inspect = (password: string) =>
      from('127.0.0.1', s, 'GET', '/inspect/api/calls', { authorization: basic('agent5005', password) });
    for (let i = 0; i < 3; i++) expect((await inspect('wrong')).status).toBe(401);
    expect(await inspect('pw-5005')).toMatchObject({ status: 429, retryAfter: '60' });
    expect(
      (await from('127.0.0.2', s, 'GET', '/inspect/api/calls', { authorization: basic('agent5005', 'pw-5005') }))
        .status,
    ).toBe(200);
  });

  test('CometD handshakes (separate requests, ext or Basic): refused with 429 and advice to wait; not from another address', async () => {
    const handshake = (address: string, ext: object, headers: Record<string, string> = {}) =>
      from(
        address,
        s,
        'POST',
        '/api/v2/notifications',
        { 'content-type': 'application/json', ...headers },
        JSON.stringify([
          { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'], ext },
        ]),
      ).then((a) => (a.body as Array<{ successful: boolean; error?: string; advice?: object }>)[0]);
    const right = { authentication: { user: 'agent5005', password: 'pw-5005' } };
    expect(await handshake('127.0.0.1', { authentication: { user: 'agent5005', password: 'x' } })).toMatchObject({
      error: '401::Authentication failed',
    });
    expect(await handshake('127.0.0.1', {}, { authorization: basic('agent5005', 'y') })).toMatchObject({
      error: '401::Authentication failed',
    });
    expect((await me('127.0.0.1', 'z')).status).toBe(401); // the same limiter as the agent API
    expect(await handshake('127.0.0.1', right)).toEqual({
      channel: '/meta/handshake',
      successful: false,
      error: '429::Too many failed logins: try again in 60 s',
      advice: { reconnect: 'handshake', interval: 60_000 },
      version: '1.0',
      supportedConnectionTypes: expect.any(Array),
    });
    expect(await handshake('127.0.0.1', {}, { authorization: basic('agent5005', 'pw-5005') })).toMatchObject({
      error: '429::Too many failed logins: try again in 60 s',
    });
    expect(await handshake('127.0.0.2', right)).toMatchObject({ successful: true });
    now += 60_000;
    expect(await handshake('127.0.0.1', right)).toMatchObject({ successful: true });
  });

  test('failed handshakes from one address for any users, up to perAddress (10 here): the address is refused', async () => {
    for (let i = 0; i < 10; i++) {
      await from(
        '127.0.0.1',
        s,
        'POST',
        '/api/v2/notifications',
        { 'content-type': 'application/json', authorization: basic(`user${i}`, 'x') },
        JSON.stringify([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }]),
      );
    }
    expect(await me('127.0.0.1', 'pw-5005')).toMatchObject({ status: 429, retryAfter: '60' });
    expect((await me('127.0.0.2', 'pw-5005')).status).toBe(200);
  });
});

describe('loginLimits in the config file', () => {
  const write = (settings: object) => {
    const file = join(mkdtempSync(join(tmpdir(), 'sb-')), 'config.json');
    writeFileSync(file, JSON.stringify({ users: [{ username: 'a', password: 'b', deviceDn: '1' }], ...settings }));
    return file;
  };

  test('defaults, and settings from the file', () => {
    expect(loadConfig({ file: write({}), env: {} })).toMatchObject({
      loginLimits: DEFAULT_LOGIN_LIMITS,
      sessionSeconds: 28_800,
    });
    expect(DEFAULT_LOGIN_LIMITS).toEqual({
      perUserAndAddress: 5,
      perAddress: 50,
      windowSeconds: 300,
      maxTracked: 10_000,
    });
    expect(
      loadConfig({ file: write({ loginLimits: { perUserAndAddress: 2 }, sessionSeconds: 60 }), env: {} }),
    ).toMatchObject({
      loginLimits: { ...DEFAULT_LOGIN_LIMITS, perUserAndAddress: 2 },
      sessionSeconds: 60,
    });
  });

  test.each([
    [{ loginLimits: 5 }, /'loginLimits' must be an object/],
    [
      { loginLimits: { perUser: 5 } },
      /unknown loginLimits setting 'perUser' \(known: perUserAndAddress, perAddress, windowSeconds, maxTracked\)/,
    ],
    [{ loginLimits: { windowSeconds: 0 } }, /loginLimits\.windowSeconds must be a positive integer, got 0/],
    [{ loginLimits: { perAddress: '9' } }, /loginLimits\.perAddress must be a positive integer, got "9"/],
    [{ sessionSeconds: 1.5 }, /sessionSeconds must be a positive integer, got 1.5/],
  ])('%j is refused with a clear error', (settings, message) => {
    const file = write(settings);
    expect(() => loadConfig({ file, env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ file, env: {} })).toThrow(message);
  });
});
