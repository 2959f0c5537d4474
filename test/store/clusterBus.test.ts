/**
 * The cluster's parts in one process against a real redis-server: the bus's request/response (a reply by
 * correlation id, a clear RouteTimeoutError when the owner does not answer, a handler's failure) and its
 * notification fan-out (other nodes' only); the HTTP API when a call's owner does not answer (reads from its
 * stored records marked stale; 504 while its lease is renewed, 503 with Retry-After once overdue); and a
 * takeover in process: node B claims node A (whose lease is gone) once, adopts its transfer with its timer
 * at the original deadline, and gets A's outbox entries with their delivery ids. Time is SimulatedClock.
 */
import {
  createRedisStore,
  createSwitchboard,
  SimulatedClock,
  State,
  TransferCause,
  type BandwidthCallback,
} from '../../src';
import { ClusterBus, RouteFailedError, RouteTimeoutError } from '../../src/cluster/bus';
import { createCluster } from '../../src/cluster';
import { Takeover } from '../../src/cluster/takeover';
import { createServer } from '../../src/http/server';
import { loadConfig } from '../../src/http/config';
import type { PendingEntry } from '../../src/webhooks/outbox';
import { useRedis } from '../support/redis';

const redis = useRedis();
const closing: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
  await redis().client().flushall();
});

async function bus(nodeId: string, timeoutMs = 2000): Promise<ClusterBus> {
  const b = new ClusterBus({ url: redis().url, prefix: 'switchboard:', nodeId, timeoutMs });
  await b.start();
  closing.push(() => b.close());
  return b;
}

test('a request is answered by correlation id; no answer is a RouteTimeoutError naming the node', async () => {
  const a = await bus('a');
  const b = await bus('b', 200);
  a.handle('double', (n) => (n as number) * 2);
  a.handle('fail', () => {
    throw new Error('broken');
  });
  expect(await Promise.all([b.request('a', 'double', 2), b.request('a', 'double', 5)])).toEqual([4, 10]);
  await expect(b.request('a', 'fail', null)).rejects.toThrow(new RouteFailedError("node 'a' failed fail: broken"));
  await expect(b.request('a', 'nothing', null)).rejects.toThrow(/no handler for nothing/);
  const timedOut = b.request('ghost', 'double', 1);
  await expect(timedOut).rejects.toBeInstanceOf(RouteTimeoutError);
  await expect(timedOut).rejects.toThrow(
    "node 'ghost' did not answer double within 0.2 s (it may be down: its calls are taken over once its lease expires)",
  );
  expect(b.stats().waiting).toBe(0);
});

test("notifications: a node receives the other nodes' for an agent it follows, in order, never its own", async () => {
  const a = await bus('a');
  const b = await bus('b');
  const got: unknown[] = [];
  const listener = (data: unknown) => got.push(data);
  a.listen('5005', listener);
  await a.request('a', 'ping', null).catch(() => undefined); // a round trip: the SUBSCRIBE has been applied
  a.publishNotification('5005', { n: 0 }); // a's own: already delivered locally
  for (let n = 1; n <= 3; n++) b.publishNotification('5005', { n });
  b.publishNotification('5006', { n: 9 }); // another agent
  const deadline = Date.now() + 5000;
  while (got.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  expect(got).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  expect(a.stats().channels).toBe(1);
  a.unlisten('5005', listener);
  expect(a.stats().channels).toBe(0);
});

test('an owner that does not answer: reads from its stored records (stale), operations 504 or, once overdue, 503', async () => {
  const store = createRedisStore({ url: redis().url, nodeId: 'n2', leaseMs: 1000 });
  await store.start();
  closing.push(() => store.close());
  const sb = createSwitchboard({ store, clock: new SimulatedClock() });
  const config = loadConfig({ env: { SWITCHBOARD_USERS: 'agent5005:pw-5005:5005' } });
  const cluster = createCluster({
    url: redis().url,
    prefix: 'switchboard:',
    nodeId: 'n2',
    leaseMs: 1000,
    routeTimeoutMs: 200,
  });
  const server = createServer({ switchboard: sb, config, logger: false, cluster });
  await cluster.start(sb, server.devices.values(), server.webhooks);
  closing.push(() => cluster.close());
  // Node n1 is registered, holds agent call X (and one of another agent's, and an unreadable Z) and its lease,
  // renewed (60 s left), and answers nothing (its process is stuck).
  const record = (id: string, device: string) =>
    JSON.stringify({
      v: 1,
      id,
      seq: 1,
      connId: 'c-1',
      device,
      createdAt: 0,
      party: '+1500',
      dnis: device,
      consult: null,
      snapshot: {
        status: 'active',
        value: 'Ringing',
        context: { callType: 'Inbound', role: 'none', userData: { a: '1' } },
      },
    });
  await redis().client().sadd('switchboard:nodes', 'n1');
  await redis()
    .client()
    .hset('switchboard:node:n1:state', 'agentCall:X', record('X', '5005'), 'agentCall:W', record('W', '5006'));
  await redis().client().hset('switchboard:node:n1:state', 'agentCall:Z', '{}');
  await redis().client().set('switchboard:node:n1:lease', 'stuck', 'PX', 60_000);
  const auth = { authorization: `Basic ${Buffer.from('agent5005:pw-5005').toString('base64')}` };
  const post = () =>
    server.app.inject({
      method: 'POST',
      url: '/api/v2/me/calls/X',
      headers: auth,
      payload: { operationName: 'Answer' },
    });
  const renewed = await post();
  expect(renewed.statusCode).toBe(504); // its lease is renewed: alive, but slow
  expect(renewed.json()).toEqual({
    statusCode: 4,
    statusMessage:
      "node 'n1' did not answer operation within 0.2 s (it may be down: its calls are taken over once its lease expires)",
  });
  const list = await server.app.inject({ method: 'GET', url: '/api/v2/me/calls', headers: auth });
  expect([list.statusCode, list.headers['x-switchboard-stale']]).toEqual([200, 'X']);
  expect(list.json().calls).toEqual([
    {
      id: 'X',
      state: 'Ringing',
      callUuid: 'X',
      connId: 'c-1',
      deviceUri: server.devices.get('agent5005')?.deviceUri,
      participants: [{ e164Number: '+1500', formattedPhoneNumber: '+1500', phoneNumber: '+1500', digits: '1500' }],
      dnis: '5005',
      callType: 'Inbound',
      capabilities: [],
      duration: '0',
      mute: 'Off',
      supervisorListeningIn: false,
      monitoredUserMuted: false,
      uri: `${server.devices.get('agent5005')?.callsUri}/X`,
      path: '/calls/X',
      userData: { a: '1' },
    },
  ]);
  const one = await server.app.inject({ method: 'GET', url: '/api/v2/me/calls/X', headers: auth });
  expect([one.statusCode, one.headers['x-switchboard-stale'], one.json().call]).toEqual([
    200,
    'X',
    list.json().calls[0],
  ]);
  const unreadable = await server.app.inject({ method: 'GET', url: '/api/v2/me/calls/Z', headers: auth });
  expect(unreadable.statusCode).toBe(503);
  expect(Number(unreadable.headers['retry-after'])).toBeGreaterThan(55); // the stuck lease's time left, ≤ 60 s
  const unknown = await server.app.inject({ method: 'GET', url: '/api/v2/me/calls/Y', headers: auth });
  expect(unknown.statusCode).toBe(404);

  // Renewals missed (under half a lease left): presumed dead, answered at once with the time left.
  await redis().client().set('switchboard:node:n1:lease', 'stuck', 'PX', 400);
  const overdue = await post();
  expect([overdue.statusCode, overdue.headers['retry-after']]).toEqual([503, '1']);
  expect(overdue.json()).toEqual({
    statusCode: 4,
    statusMessage:
      "node 'n1' owns this call and does not answer (it may be down); another node takes its calls over once its " +
      'lease expires, in at most 1 s: try again then',
  });
  // Claimed by a takeover, or gone: the same.
  await redis().client().set('switchboard:node:n1:lease', 'takeover by n3', 'PX', 60_000);
  expect((await post()).statusCode).toBe(503);
  await redis().client().del('switchboard:node:n1:lease');
  expect((await post()).headers['retry-after']).toBe('1');
  const gone = await server.app.inject({ method: 'GET', url: '/api/v2/me/calls', headers: auth });
  expect(gone.headers['x-switchboard-stale']).toBe('X');
  await server.app.close();
  sb.close();
});

test('takeover in process: B claims A once, its transfer times out at the original deadline, its outbox moves', async () => {
  const clockA = new SimulatedClock();
  clockA.set(1_000_000);
  const storeA = createRedisStore({ url: redis().url, nodeId: 'A', leaseMs: 1000 });
  await storeA.start();
  const sbA = createSwitchboard({ clock: clockA, store: storeA });
  sbA.network.addEndpoint('+1999', { outcome: 'noAnswer' });
  const { channel: a } = sbA.network.placeCall({ from: '+1500', to: '+1600' });
  await a.answer();
  a.createTonePlayer();
  const b = sbA.createChannel();
  void a.retrievableTransfer(b, '+1999', { secondsTimeout: 30 });
  clockA.increment(10_000);
  expect(a.state).toBe(State.TRANSFERRING);
  const aId = a.callId as string;
  const bId = b.callId as string;
  const entry = { deliveryId: 'd-1', family: aId, kind: 'initiateUrl' as const, url: 'http://x/i', payload: {} };
  await storeA.outbox().append(entry as never);
  await redis().client().sadd('switchboard:nodes', 'A');
  await storeA.close(); // A is gone: its lease released, its state and outbox left

  const clockB = new SimulatedClock();
  clockB.set(1_015_000); // 15 s after the transfer began: 15 s left
  const storeB = createRedisStore({ url: redis().url, nodeId: 'B', leaseMs: 1000 });
  await storeB.start();
  closing.push(() => storeB.close());
  const sbB = createSwitchboard({ clock: clockB, store: storeB });
  const callbacks: BandwidthCallback[] = [];
  sbB.on('callback', (payload) => callbacks.push(payload));
  const delivered: PendingEntry[] = [];
  const options = { redis: redis().client(), prefix: 'switchboard:', leaseMs: 1000, sb: sbB };
  const takeover = new Takeover({ ...options, nodeId: 'B', deliver: (e) => delivered.push(...e) });
  const rival = new Takeover({ ...options, nodeId: 'C', deliver: (e) => delivered.push(...e) });
  await takeover.start();
  const [won, lost] = await Promise.all([takeover.check(), rival.check()]);
  takeover.stop();
  expect([...won, ...lost].map((t) => [t.node, t.summary.legs, t.summary.transfers, t.deliveries])).toEqual([
    ['A', 2, 1, 1],
  ]);
  expect(delivered.map((d) => d.entry.deliveryId)).toEqual(['d-1']);
  expect(await redis().client().exists('switchboard:node:A:state', 'switchboard:node:A:outbox')).toBe(0);
  expect(await redis().client().xlen('switchboard:node:B:outbox')).toBe(1);
  expect(await redis().client().hexists('switchboard:node:B:state', `leg:${bId}`)).toBe(1);
  const adopted = sbB.channel(aId);
  expect(adopted?.state).toBe(State.TRANSFERRING);
  clockB.increment(14_999);
  expect(adopted?.state).toBe(State.TRANSFERRING);
  clockB.increment(1);
  expect(adopted?.state).toBe(State.ANSWERED);
  expect(adopted?.transferCause()).toBe(TransferCause.TIMEOUT);
  expect(callbacks.map((c) => [c.eventType, c.callId])).toEqual([
    ['transferDisconnect', bId],
    ['transferComplete', aId],
  ]);
  sbB.close();
});
