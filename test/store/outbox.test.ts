/**
 * The webhook outbox in Redis, against a real redis-server: each callback is in Redis before it is attempted
 * and gone once acknowledged (delivered, or recorded as callback-error), so the stream does not grow; a
 * shutdown leaves what it cut short in the outbox; and a node process SIGKILLed with deliveries pending is
 * followed by one with the same node id that delivers every one of them, with the same delivery ids, in
 * family order, nothing lost.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  createRedisStore,
  createSwitchboard,
  SimulatedClock,
  type BandwidthCallback,
  type RedisStore,
} from '../../src';
import { WebhookDeliverer, type WebhookConfig } from '../../src/webhooks/deliverer';
import type { OutboxEntry } from '../../src/webhooks/outbox';
import { ROOT } from '../support/builtCli';
import { useRedis } from '../support/redis';
import { startReceiver, type ReceivedRequest } from '../support/webhookReceiver';

const redis = useRedis();
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

const urls = (base: string): WebhookConfig => ({
  initiateUrl: `${base}/initiate`,
  answerUrl: `${base}/answer`,
  disconnectUrl: `${base}/disconnect`,
  transferAnswerUrl: `${base}/transferAnswer`,
  transferCompleteUrl: `${base}/transferComplete`,
  transferDisconnectUrl: `${base}/transferDisconnect`,
});

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Two calls, each answered and hung up: their callbacks, in bus order. */
async function calls(deliverer: WebhookDeliverer): Promise<BandwidthCallback[]> {
  const clock = new SimulatedClock();
  const sb = createSwitchboard({ clock });
  deliverer.attach(sb);
  const emitted: BandwidthCallback[] = [];
  sb.on('callback', (p) => emitted.push(p));
  sb.network.addEndpoint('+1777', { outcome: 'answer', ringFor: 1 });
  for (let i = 0; i < 2; i++) {
    const out = sb.createChannel();
    const call = out.call('+1777');
    clock.increment(1000);
    await call;
    await out.hangUp();
  }
  return emitted;
}

describe('in one process', () => {
  let store: RedisStore;
  beforeEach(async () => {
    store = createRedisStore({ url: redis().url, nodeId: 'node-1', leaseMs: 1000 });
    await store.start();
  });
  afterEach(async () => {
    await store.close();
    await redis().client().flushall();
  });

  test('each callback is in Redis before it is attempted, and gone once delivered or recorded as callback-error', async () => {
    const client = redis().client();
    let hang = true;
    const rx = await startReceiver({ answer: ({ n }) => (hang ? 'hold' : n % 2 ? 404 : 200) });
    const deliverer = new WebhookDeliverer(
      { ...urls(rx.base), callbackTimeout: 0.3, retryDelaysMs: [] },
      quiet,
      store.outbox(),
    );
    const emitted = await calls(deliverer);
    expect(emitted.length).toBeGreaterThanOrEqual(4);
    // The first attempt of each family hangs: every callback is in the stream meanwhile, in bus order.
    await until(async () => (await client.xlen(store.keys.outbox)) === emitted.length, 'every callback appended');
    const stored = await client.xrange(store.keys.outbox, '-', '+');
    expect(stored.map(([, fields]) => JSON.parse(fields[fields.indexOf('p') + 1]) as BandwidthCallback)).toEqual(
      emitted,
    );
    expect(stored.map(([, fields]) => fields.filter((_, i) => i % 2 === 0))).toEqual(
      emitted.map(() => ['d', 'f', 'k', 'u', 'p']),
    );
    hang = false; // the hanging attempts time out and are given up (no retries); the rest: 200 or 404
    await until(() => deliverer.stats().pending === 0, 'every delivery settled');
    expect(deliverer.stats().delivered + deliverer.stats().failed).toBe(emitted.length);
    expect(deliverer.stats().failed).toBeGreaterThan(0);
    expect(await client.xlen(store.keys.outbox)).toBe(0);
    expect((await client.keys('*')).sort()).toEqual([store.keys.lease, store.keys.outbox]);
    // Many more deliveries later the stream is still empty: nothing accumulates.
    for (let i = 0; i < 10; i++) await calls(deliverer);
    await until(() => deliverer.stats().pending === 0, 'the next deliveries settled');
    expect(await client.xlen(store.keys.outbox)).toBe(0);
    expect(Number(await client.memory('USAGE', store.keys.outbox))).toBeLessThan(2048);
    await rx.close();
  });

  test('a shutdown leaves the deliveries it cut short in the outbox (not given up), and a new start delivers them', async () => {
    const client = redis().client();
    let hang = true;
    const rx = await startReceiver({ answer: () => (hang ? 'hold' : 200) });
    const deliverer = new WebhookDeliverer({ ...urls(rx.base), callbackTimeout: 30 }, quiet, store.outbox());
    const emitted = await calls(deliverer);
    await until(async () => (await client.xlen(store.keys.outbox)) === emitted.length, 'every callback appended');
    expect(await deliverer.drain(100)).toBe(emitted.length);
    expect(deliverer.failures()).toEqual([]);
    expect(await client.xlen(store.keys.outbox)).toBe(emitted.length);
    const ids = (await store.outbox().pending()).map((p) => p.entry.deliveryId);
    hang = false;
    const next = new WebhookDeliverer({ ...urls(rx.base) }, quiet, store.outbox());
    expect(await next.recover()).toBe(emitted.length);
    await until(() => next.stats().pending === 0, 'the recovered deliveries');
    // The same ids, each once; per call (each call is a family here) in bus order.
    expect(rx.acked.map((a) => a.deliveryId).sort()).toEqual([...ids].sort());
    const perCall = (list: BandwidthCallback[]) =>
      list.map((p) => `${p.callId} ${p.eventType}`).sort((a, b) => a.split(' ')[0].localeCompare(b.split(' ')[0]));
    expect(perCall(rx.acked.map((a) => a.body))).toEqual(perCall(emitted));
    expect(await client.xlen(store.keys.outbox)).toBe(0);
    await rx.close();
  });
});

/** `node -r esbuild-register test/support/outboxNode.ts` with its JSON lines parsed as they come. */
function node(env: Record<string, string>) {
  const child = spawn(process.execPath, ['-r', 'esbuild-register', join(ROOT, 'test', 'support', 'outboxNode.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let buffer = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() as string;
    for (const line of parts) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const find = (key: string) => lines.find((l) => key in l);
  const wait = async (key: string) => {
    await until(() => find(key) !== undefined || child.exitCode !== null, `${key} from the node (stderr: ${stderr})`);
    const line = find(key);
    if (!line) throw new Error(`the node exited before ${key}: ${JSON.stringify(lines)} ${stderr}`);
    return line[key];
  };
  return { child, lines, exited, wait };
}

/** Call families of the entries: joined through callId and parentCallId (union-find), in first-seen order. */
function families(entries: OutboxEntry[]): Map<string, string[]> {
  const parent = new Map<string, string>();
  const root = (id: string): string => {
    while (parent.get(id) !== id) id = parent.get(id) as string;
    return id;
  };
  for (const e of entries) {
    const ids = e.family.split(',');
    for (const id of ids) if (!parent.has(id)) parent.set(id, id);
    for (const id of ids.slice(1)) parent.set(root(id), root(ids[0]));
  }
  const byFamily = new Map<string, string[]>();
  for (const e of entries) {
    const key = root(e.family.split(',')[0]);
    byFamily.set(key, [...(byFamily.get(key) ?? []), e.deliveryId]);
  }
  return byFamily;
}

test('a node SIGKILLed with deliveries pending: the next process with its node id delivers every one, same ids, in family order', async () => {
  const client = redis().client();
  let phase: 'first' | 'second' = 'first';
  // The first process gets three answers, then none (its deliveries hang); the second gets every answer.
  const rx = await startReceiver({ answer: ({ n }) => (phase === 'second' || n < 3 ? 200 : 'hold') });
  const env = { REDIS_URL: redis().url, NODE_ID: 'node-7', RECEIVER: rx.base, LEASE_MS: '1000' };
  const first = node({ ...env, SCENARIO: '1' });
  expect(await first.wait('recovered')).toBe(0);
  const total = (await first.wait('appendedAll')) as number;
  const appended = first.lines.filter((l) => 'appended' in l).map((l) => l.appended as OutboxEntry);
  expect(appended).toHaveLength(total);
  expect(total).toBe(11);
  const byFamily = families(appended);
  expect(byFamily.size).toBe(3);
  // Every family has a delivery under way (hanging) when the process is killed.
  await until(() => rx.requests.length >= 3 + byFamily.size, 'a hanging delivery in each family');
  first.child.kill('SIGKILL');
  await first.exited;
  const ackedBefore = rx.acked.map((a) => a.deliveryId);
  expect(ackedBefore).toHaveLength(3);
  const left = (await client.xrange('switchboard:node:node-7:outbox', '-', '+')).map(([, f]) => f[f.indexOf('d') + 1]);
  const allIds = appended.map((e) => e.deliveryId);
  expect(left).toEqual(allIds.filter((id) => left.includes(id))); // what is left keeps the append order
  expect(new Set([...ackedBefore, ...left])).toEqual(new Set(allIds)); // nothing unaccounted for

  phase = 'second';
  const second = node(env); // same node id, same Redis: takes the lease once the killed one's expires
  expect(await second.wait('recovered')).toBe(left.length);
  await second.wait('idle');
  // At the receiver, de-duplicated by delivery id: exactly the appended callbacks, same ids and payloads.
  const firstArrival = new Map<string, ReceivedRequest>();
  for (const a of rx.acked) if (!firstArrival.has(a.deliveryId)) firstArrival.set(a.deliveryId, a);
  expect(new Set(firstArrival.keys())).toEqual(new Set(allIds));
  for (const e of appended) {
    expect(firstArrival.get(e.deliveryId)?.body).toEqual(e.payload);
    expect(firstArrival.get(e.deliveryId)?.path).toBe(`/${e.payload.eventType}`);
  }
  // Every delivery of the second process is one the first left, and each family arrived in append order.
  const arrivalsAfter = rx.acked.slice(3).map((a) => a.deliveryId);
  expect(new Set(arrivalsAfter)).toEqual(new Set(left));
  const order = [...firstArrival.keys()];
  for (const ids of byFamily.values()) expect(order.filter((id) => ids.includes(id))).toEqual(ids);
  expect(await client.xlen('switchboard:node:node-7:outbox')).toBe(0);
  second.child.kill('SIGTERM');
  await second.exited;
  expect(await client.exists('switchboard:node:node-7:lease')).toBe(0);
  await rx.close();
}, 60_000);
