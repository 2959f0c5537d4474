/**
 * createRedisStore against a real redis-server: option checks, keys under the prefix, the node lease (taken
 * with SET NX PX, renewed, released on close, waited for when a killed process left it, an error when a live
 * node holds it, reported when lost) and a clear error when Redis cannot be reached.
 */
import { createServer, type AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { createRedisStore, NodeIdInUseError, StoreOptionsError, type RedisStore } from '../../src';
import { useRedis } from '../support/redis';
import { OutboxFencedError } from '../../src/webhooks/outbox';

const redis = useRedis();
let client: Redis;
const stores: RedisStore[] = [];
/** A store closed after the test. */
const store = (options: Parameters<typeof createRedisStore>[0]) => {
  const s = createRedisStore(options);
  stores.push(s);
  return s;
};

beforeAll(async () => {
  client = redis().client();
  await client.ping();
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await client.flushall();
});

test.each([
  [{ url: 'http://127.0.0.1:6379' }, /url must be a redis:\/\/ or rediss:\/\/ URL, got "http:\/\/127.0.0.1:6379"/],
  [{ url: 'redis://127.0.0.1', nodeId: 'a b' }, /nodeId must be 1-128 letters, digits, '.', '_' or '-'/],
  [{ url: 'redis://127.0.0.1', nodeId: '' }, /nodeId must be/],
  [{ url: 'redis://127.0.0.1', prefix: '' }, /prefix must be a non-empty string without spaces, got ""/],
  [{ url: 'redis://127.0.0.1', leaseMs: 50 }, /leaseMs must be a whole number of milliseconds, at least 100, got 50/],
])('bad options are a StoreOptionsError saying which: %j', (options, message) => {
  expect(() => createRedisStore(options)).toThrow(StoreOptionsError);
  expect(() => createRedisStore(options)).toThrow(message);
});

test('the lease is a key under the prefix, held with a TTL of at most one lease, and renewed while the node lives', async () => {
  const node = store({ url: redis().url, nodeId: 'node-1', prefix: 'dep-a:', leaseMs: 300 });
  expect(node.keys).toEqual({
    lease: 'dep-a:node:node-1:lease',
    outbox: 'dep-a:node:node-1:outbox',
    state: 'dep-a:node:node-1:state',
    takenOver: 'dep-a:node:node-1:takenOver',
  });
  await node.start();
  expect(await client.keys('*')).toEqual(['dep-a:node:node-1:lease']);
  const ttl = await client.pttl('dep-a:node:node-1:lease');
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(300);
  // Three lease lengths later it is still held: renewed, not re-taken.
  const token = await client.get('dep-a:node:node-1:lease');
  await new Promise((r) => setTimeout(r, 900));
  expect(await client.get('dep-a:node:node-1:lease')).toBe(token);
  await node.close();
  expect(await client.exists('dep-a:node:node-1:lease')).toBe(0);
});

test('two live nodes with one id: the second start fails with NodeIdInUseError after one lease length; the first keeps it', async () => {
  const first = store({ url: redis().url, nodeId: 'node-1', leaseMs: 300 });
  await first.start();
  const token = await client.get('switchboard:node:node-1:lease');
  const second = store({ url: redis().url, nodeId: 'node-1', leaseMs: 300 });
  const began = Date.now();
  const failed = second.start();
  await expect(failed).rejects.toThrow(NodeIdInUseError);
  await expect(failed).rejects.toThrow(
    /^node id 'node-1' is in use by a live node \(its lease switchboard:node:node-1:lease is held and renewed by .+ pid \d+\): give this node another node id$/,
  );
  expect(Date.now() - began).toBeGreaterThanOrEqual(300);
  expect(await client.get('switchboard:node:node-1:lease')).toBe(token);
  // Another deployment (prefix) may use the same node id at the same time.
  await store({ url: redis().url, nodeId: 'node-1', prefix: 'other:', leaseMs: 300 }).start();
});

test('a lease left by a killed process (not renewed) is taken once it expires; a closed one at once', async () => {
  await client.set('switchboard:node:node-1:lease', 'dead-host:1:x', 'PX', 400);
  const began = Date.now();
  const node = store({ url: redis().url, nodeId: 'node-1', leaseMs: 1000 });
  await node.start();
  expect(Date.now() - began).toBeGreaterThanOrEqual(300);
  expect(await client.get('switchboard:node:node-1:lease')).not.toBe('dead-host:1:x');
  await node.close();
  const again = Date.now();
  await store({ url: redis().url, nodeId: 'node-1', leaseMs: 1000 }).start();
  expect(Date.now() - again).toBeLessThan(300);
});

test('a lease taken by someone else is reported as lost (and not renewed for them)', async () => {
  const node = store({ url: redis().url, nodeId: 'node-1', leaseMs: 300 });
  const lost = new Promise<void>((resolve) => node.onLeaseLost(resolve));
  await node.start();
  await client.set('switchboard:node:node-1:lease', 'usurper', 'PX', 5000);
  await lost;
  expect(await client.get('switchboard:node:node-1:lease')).toBe('usurper');
  await node.close();
  expect(await client.get('switchboard:node:node-1:lease')).toBe('usurper');
});

test('a lease that expired while another node took this one over is lost, not taken again: nothing more is sent', async () => {
  const node = store({ url: redis().url, nodeId: 'node-1', leaseMs: 300 });
  const lost = new Promise<void>((resolve) => node.onLeaseLost(resolve));
  await node.start();
  // As a takeover leaves it (src/cluster/takeover.ts): the lease expired, the node marked taken over.
  await client.set('switchboard:node:node-1:takenOver', 'node-2');
  await client.del('switchboard:node:node-1:lease');
  await lost;
  expect(await client.exists('switchboard:node:node-1:lease')).toBe(0);
  node.write(new Map([['leg:a', '{"v":1}']]), []);
  const appended = node
    .outbox()
    .append({ deliveryId: 'd-1', family: 'f', kind: 'answerUrl', url: 'http://x/a', payload: {} } as never);
  const written = node.written();
  node.flush();
  const refused = "the lease of node id 'node-1' is lost: another node owns its calls now";
  await expect(appended).rejects.toThrow(new OutboxFencedError(refused));
  await expect(written).rejects.toThrow(refused);
  await expect(node.outbox().append({ deliveryId: 'd-2' } as never)).rejects.toBeInstanceOf(OutboxFencedError);
  expect(await client.exists('switchboard:node:node-1:state', 'switchboard:node:node-1:outbox')).toBe(0);
  await node.close();
  // A new process of node-1 starts afresh: the mark is cleared and its lease renewed as usual.
  const next = store({ url: redis().url, nodeId: 'node-1', leaseMs: 300 });
  await next.start();
  expect(await client.exists('switchboard:node:node-1:takenOver')).toBe(0);
  await next.close();
});

test('Redis not reachable: start fails saying where, and nothing keeps reconnecting', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const node = store({ url: `redis://:secret@127.0.0.1:${port}`, nodeId: 'node-1' });
  expect(node.url).toBe(`redis://***@127.0.0.1:${port}`);
  await expect(node.start()).rejects.toThrow(
    new RegExp(`^cannot connect to Redis at redis://\\*\\*\\*@127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
  );
});

test('settled() resolves once Redis has answered every batch sent so far: the records are there', async () => {
  const s = store({ url: redis().url, nodeId: 'settle-1' });
  await s.start();
  await s.settled(); // nothing sent yet
  s.write(new Map([['leg:a', '{"v":1}']]), []);
  s.flush();
  s.write(new Map([['leg:b', '{"v":1}']]), ['leg:a']);
  s.flush();
  await s.settled();
  expect(s.sent).toEqual({ batches: 2, commands: 3 });
  expect(await client.hgetall('switchboard:node:settle-1:state')).toEqual({ 'leg:b': '{"v":1}' });
});
