/**
 * `switchboard serve` with Redis: the "redis" settings from the command line, the environment and the config
 * file (checked, with clear errors); the server takes the node lease, delivers what a previous process of its
 * node id left in the Redis outbox, restores the calls it left (none here: see crashRestore.test.ts), refuses a node id a live node
 * holds, and releases its lease on SIGTERM. Without Redis nothing of it is configured.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedisStore } from '../../src';
import { serve } from '../../src/cli/serve';
import { ConfigError, loadConfig } from '../../src/http/config';
import { useRedis } from '../support/redis';
import { startReceiver } from '../support/webhookReceiver';

const redis = useRedis();

describe('config', () => {
  test('none configured: no redis; the command line wins over the environment, which wins over the file', () => {
    expect(loadConfig({ env: {} }).redis).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), 'sb-'));
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({ redis: { url: 'redis://file:1', nodeId: 'from-file', prefix: 'dep:', leaseMs: 500 } }),
    );
    expect(loadConfig({ file, env: {} }).redis).toEqual({
      url: 'redis://file:1',
      nodeId: 'from-file',
      prefix: 'dep:',
      leaseMs: 500,
    });
    const env = { SWITCHBOARD_REDIS_URL: 'redis://env:2', SWITCHBOARD_NODE_ID: 'from-env' };
    expect(loadConfig({ file, env }).redis).toMatchObject({ url: 'redis://env:2', nodeId: 'from-env', prefix: 'dep:' });
    expect(loadConfig({ file, env, redisUrl: 'rediss://cli:3', nodeId: 'from-cli' }).redis).toMatchObject({
      url: 'rediss://cli:3',
      nodeId: 'from-cli',
    });
    expect(loadConfig({ env: { SWITCHBOARD_REDIS_URL: 'redis://env:2' } }).redis).toMatchObject({
      prefix: 'switchboard:',
      leaseMs: 10_000,
    });
  });

  test.each([
    [
      {},
      { SWITCHBOARD_REDIS_URL: 'http://x' },
      /^SWITCHBOARD_REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL, got "http:\/\/x"$/,
    ],
    [
      {},
      { SWITCHBOARD_NODE_ID: 'n1' },
      /^SWITCHBOARD_NODE_ID needs a Redis URL \(--redis, SWITCHBOARD_REDIS_URL or redis.url\)$/,
    ],
    [{ redis: { url: 'redis://x', nodeId: 'has space' } }, {}, /redis.nodeId must be 1-128 letters/],
    [
      { redis: { url: 'redis://x', leaseMs: 10 } },
      {},
      /redis.leaseMs must be a whole number of milliseconds, at least 100/,
    ],
    [{ redis: { url: 'redis://x', ttl: 1 } }, {}, /redis.ttl is not a setting \(url, nodeId, prefix, leaseMs\)/],
    [{ redis: { nodeId: 'n1' } }, {}, /redis.nodeId needs a Redis URL/],
    [{ redis: 'redis://x' }, {}, /'redis' must be an object/],
  ])('%j with %j is a ConfigError', (content, env, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(content));
    expect(() => loadConfig({ file, env })).toThrow(ConfigError);
    expect(() => loadConfig({ file, env })).toThrow(message);
  });
});

test('serve --redis: takes the lease, re-delivers what the outbox holds, restores call state (none here), refuses a live node id', async () => {
  const rx = await startReceiver();
  const received = () => rx.requests.map((r) => ({ id: r.deliveryId, body: r.raw }));
  const receiverUrl = `${rx.base}/answer`;
  // A previous process of node-9 left one callback in its outbox.
  const previous = createRedisStore({ url: redis().url, nodeId: 'node-9' });
  await previous.start();
  const payload = { eventType: 'answer', callId: 'c-left', eventTime: '2025-01-01T00:00:00.000Z' };
  await previous
    .outbox()
    .append({ deliveryId: 'left-1', family: 'c-left', kind: 'answerUrl', url: receiverUrl, payload: payload as never });
  await previous.close();

  const dir = mkdtempSync(join(tmpdir(), 'sb-'));
  const file = join(dir, 'config.json');
  writeFileSync(
    file,
    JSON.stringify({ users: [{ username: 'ann', password: 'pw', deviceDn: '5005' }], redis: { leaseMs: 300 } }),
  );
  const out: string[] = [];
  const running = serve({
    config: file,
    port: 0,
    redisUrl: redis().url,
    nodeId: 'node-9',
    logging: { level: 'silent', format: 'json' },
    out: (l) => out.push(l),
    err: (l) => out.push(`ERR ${l}`),
  });
  const deadline = Date.now() + 10_000;
  while (!out.some((l) => l.startsWith('switchboard is listening')) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  const text = out.join('\n');
  expect(text).toContain(`redis         ${redis().url}, node id 'node-9', keys under 'switchboard:'`);
  expect(text).toContain('webhook outbox in Redis (1 left by a previous process re-delivered); node lease 0.3 s');
  expect(text).toContain('call state in Redis: 0 legs, 0 transfers, 0 agent calls and 0 timers restored');
  while (received().length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  expect(received()).toEqual([{ id: 'left-1', body: JSON.stringify(payload) }]);
  const client = redis().client();
  expect(await client.exists('switchboard:node:node-9:lease')).toBe(1);
  while ((await client.xlen('switchboard:node:node-9:outbox')) > 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  expect(await client.xlen('switchboard:node:node-9:outbox')).toBe(0); // delivered, so acknowledged

  const errors: string[] = [];
  const second = await serve({
    config: file,
    port: 0,
    redisUrl: redis().url,
    nodeId: 'node-9',
    logging: { level: 'silent', format: 'json' },
    out: () => undefined,
    err: (l) => errors.push(l),
  });
  expect(second).toBe(1);
  expect(errors).toEqual([
    expect.stringMatching(
      /^switchboard serve: node id 'node-9' is in use by a live node \(its lease switchboard:node:node-9:lease is held and renewed by .+\): give this node another node id$/,
    ),
  ]);

  process.emit('SIGTERM');
  expect(await running).toBe(0);
  expect(await client.exists('switchboard:node:node-9:lease')).toBe(0);
  expect(await client.xlen('switchboard:node:node-9:outbox')).toBe(0);
  await rx.close();
}, 30_000);
