/** `switchboard serve` for real: starts on a free port, answers, prints how to log in, stops on SIGTERM. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '../../src/cli/serve';
import { ConfigError, loadConfig } from '../../src/http/config';

test('serve starts, prints its URLs and how to log in, answers, and stops gracefully on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-'));
  const file = join(dir, 'config.json');
  writeFileSync(
    file,
    JSON.stringify({ notice: 'DEMO ONLY', users: [{ username: 'ann', password: 'pw', deviceDn: '5005' }] }),
  );
  const out: string[] = [];
  const running = serve({ config: file, port: 0, out: (l) => out.push(l), err: (l) => out.push(`ERR ${l}`) });
  for (let i = 0; i < 200 && !out.some((l) => l.startsWith('switchboard is listening')); i++)
    await new Promise((r) => setImmediate(r));
  const base = out.find((l) => l.startsWith('switchboard is listening'))?.split(' on ')[1] as string;
  expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(out.join('\n')).toMatch(/DEMO ONLY/);
  expect(out.join('\n')).toMatch(
    new RegExp(
      `try: curl -u ann:<password> ${base}/api/v2/me   \\(passwords are in ${file.replace(/[.\\/]/g, '\\$&')}\\)`,
    ),
  );
  const res = await fetch(`${base}/api/v2/me`, {
    headers: { authorization: `Basic ${Buffer.from('ann:pw').toString('base64')}` },
  });
  expect(res.status).toBe(200);
  process.emit('SIGTERM');
  expect(await running).toBe(0);
});

describe('config', () => {
  test('users from the environment win over the file; host, port and webhook secret from the environment', () => {
    const config = loadConfig({
      env: {
        SWITCHBOARD_USERS: 'a:b:5005, c:d:5006',
        SWITCHBOARD_HOST: '0.0.0.0',
        SWITCHBOARD_PORT: '9000',
        SWITCHBOARD_WEBHOOK_SECRET: 's3cret',
      },
    });
    expect(config).toMatchObject({ host: '0.0.0.0', port: 9000, simulator: true, webhooks: { secret: 's3cret' } });
    expect(config.users).toEqual([
      { username: 'a', password: 'b', deviceDn: '5005' },
      { username: 'c', password: 'd', deviceDn: '5006' },
    ]);
  });

  test.each([
    [{ SWITCHBOARD_USERS: 'a:b' }, /each user must be username:password:deviceDn \(check the entry for user 'a'\)/],
    [{ SWITCHBOARD_USERS: 'a:b:1,a:c:2' }, /user 'a' is configured twice/],
    [{ SWITCHBOARD_USERS: 'a:b:1', SWITCHBOARD_PORT: '70000' }, /port must be 0-65535/],
  ])('bad environment %j is refused with a clear error', (env, message) => {
    expect(() => loadConfig({ env })).toThrow(ConfigError);
    expect(() => loadConfig({ env })).toThrow(message);
  });

  test('a config file that is not JSON, or has malformed users, is refused with a clear error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-'));
    writeFileSync(join(dir, 'bad.json'), '{ users: ');
    writeFileSync(join(dir, 'users.json'), JSON.stringify({ users: [{ username: 'x' }] }));
    writeFileSync(join(dir, 'notarray.json'), JSON.stringify({ users: 'x' }));
    expect(() => loadConfig({ file: join(dir, 'bad.json'), env: {} })).toThrow(/is not valid JSON/);
    expect(() => loadConfig({ file: join(dir, 'users.json'), env: {} })).toThrow(
      /users\[0\]\.password must be a non-empty string/,
    );
    expect(() => loadConfig({ file: join(dir, 'notarray.json'), env: {} })).toThrow(/'users' must be an array/);
  });
});

test('webhook settings are checked: URLs, timeout, shape', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-'));
  const write = (name: string, webhooks: unknown) => {
    writeFileSync(
      join(dir, name),
      JSON.stringify({ users: [{ username: 'a', password: 'b', deviceDn: '1' }], webhooks }),
    );
    return join(dir, name);
  };
  expect(() => loadConfig({ file: write('a.json', { disconnectUrl: 'ftp://x' }), env: {} })).toThrow(
    /webhooks\.disconnectUrl must be an http\(s\) URL/,
  );
  expect(() => loadConfig({ file: write('b.json', { callbackTimeout: 0 }), env: {} })).toThrow(
    /callbackTimeout must be a positive number/,
  );
  expect(() => loadConfig({ file: write('c.json', 'yes'), env: {} })).toThrow(/'webhooks' must be an object/);
  expect(() =>
    loadConfig({ file: write('e.json', { disconnectUrl: 'https://u:secret@hooks.example/d' }), env: {} }),
  ).toThrow(/must not carry credentials/);
  expect(() => loadConfig({ env: { SWITCHBOARD_USERS: 'bob:B0bSecret' } })).toThrow(/user 'bob'/);
  expect(() => loadConfig({ env: { SWITCHBOARD_USERS: 'bob:B0bSecret' } })).not.toThrow(/B0bSecret/);
  expect(
    loadConfig({
      file: write('d.json', { disconnectUrl: 'https://hooks.example/d', secret: 'f' }),
      env: { SWITCHBOARD_WEBHOOK_SECRET: 'e' },
    }).webhooks,
  ).toEqual({
    disconnectUrl: 'https://hooks.example/d',
    secret: 'e',
  });
});
