/**
 * The engine's state in Redis, in one process against a real redis-server: a switchboard with the Redis store
 * writes every turn's changes, and a new switchboard on a new store with the same node id (what a restarted
 * process does) restores the calls: states, transferCause(), each timer at its original deadline, the far ends
 * of the simulated network, agent calls with their user data and capabilities. The restart here is a new
 * store and switchboard after the first store's connection has closed (its process SIGKILLed is
 * crashRestore.test.ts); time is XState's SimulatedClock, set to where the first one stopped.
 */
import {
  createRedisStore,
  createSwitchboard,
  SimulatedClock,
  State,
  TransferCause,
  type BandwidthCallback,
  type RedisStore,
} from '../../src';
import { useRedis } from '../support/redis';

const redis = useRedis();
const stores: RedisStore[] = [];

async function store(): Promise<RedisStore> {
  const s = createRedisStore({ url: redis().url, nodeId: 'node-1', leaseMs: 1000 });
  await s.start();
  stores.push(s);
  return s;
}

/** A switchboard on a store, on a simulated clock at `now`; its callbacks in order. */
async function node(now = 0) {
  const clock = new SimulatedClock();
  clock.set(now);
  const s = await store();
  const sb = createSwitchboard({ clock, store: s });
  const callbacks: BandwidthCallback[] = [];
  sb.on('callback', (payload) => callbacks.push(payload));
  return { clock, store: s, sb, callbacks };
}

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  await redis().client().flushall();
});

test('a transfer restored mid-ring times out at its original deadline, with its transferCause', async () => {
  const first = await node(1_000_000);
  first.sb.network.addEndpoint('+1999', { outcome: 'noAnswer' });
  const { channel: a } = first.sb.network.placeCall({ from: '+1500', to: '+1600' });
  await a.answer();
  a.createTonePlayer();
  const b = first.sb.createChannel();
  void a.retrievableTransfer(b, '+1999', { secondsTimeout: 30 });
  first.clock.increment(10_000);
  expect(a.state).toBe(State.TRANSFERRING);
  const aId = a.callId as string;
  const bId = b.callId as string;
  await first.store.close(); // every batch sent has been answered

  const second = await node(1_010_000);
  expect(second.sb.restored).toEqual({ legs: 2, transfers: 1, agentCalls: 0, timers: 1 });
  expect(second.sb.stats()).toMatchObject({ legs: 2, transfers: 1 });
  const a2 = second.sb.channel(aId);
  expect(a2?.state).toBe(State.TRANSFERRING);
  expect(second.sb.channel(bId)?.state).toBe(State.RING_OUTGOING);
  expect(second.sb.network.media(aId).tone).toBe('RINGBACK');
  expect(second.sb.clock.pending()).toEqual([
    expect.objectContaining({ deadline: 1_030_000, target: expect.objectContaining({ kind: 'transfer' }) }),
  ]);
  second.clock.increment(19_999);
  expect(second.callbacks).toEqual([]);
  second.clock.increment(1);
  expect(second.callbacks.map((c) => [c.eventType, c.callId, 'cause' in c ? c.cause : null])).toEqual([
    ['transferDisconnect', bId, 'timeout'],
    ['transferComplete', aId, 'timeout'],
  ]); // docs/behaviour.md §3 row 4, as without a restart
  expect(second.callbacks[0]).toMatchObject({ endTime: new Date(1_030_000).toISOString(), parentCallId: aId });
  expect(a2?.state).toBe(State.ANSWERED);
  expect(a2?.transferCause()).toBe(TransferCause.TIMEOUT);
  expect(second.sb.network.media(aId).tone).toBe(null);
  await a2?.hangUp();
  expect(second.sb.stats()).toMatchObject({ legs: 0, transfers: 0, timers: 0 });
  await second.store.close();
  expect(await redis().client().hkeys(second.store.keys.state)).toEqual(['network']);
});

test("a far end's script resumes: the transfer target answers and hangs up at its original times", async () => {
  const first = await node(0);
  first.sb.network.addEndpoint('+1777', { outcome: 'answer', ringFor: 4, hangUpAfter: 5 });
  const { channel: a } = first.sb.network.placeCall({ from: '+1500', to: '+1600' });
  await a.answer();
  a.createTonePlayer();
  const b = first.sb.createChannel();
  void a.retrievableTransfer(b, '+1777');
  first.clock.increment(3_000);
  await first.store.close();

  const second = await node(3_000);
  expect(second.sb.network.scripts()).toEqual([
    expect.objectContaining({ deadline: 4_000, event: { type: 'answer', hangUpAfter: 5 } }),
  ]);
  second.clock.increment(1_000);
  const a2 = second.sb.channel(a.callId as string);
  expect(a2?.state).toBe(State.TRANSFERRED);
  expect(second.sb.network.media(a.callId as string).bridgedTo).toBe(b.callId);
  second.clock.increment(5_000);
  expect(a2?.state).toBe(State.ANSWERED);
  expect(a2?.transferCause()).toBe(TransferCause.NORMAL);
  expect(second.callbacks.map((c) => [c.eventType, c.callId, c.eventTime])).toEqual([
    ['transferAnswer', b.callId, new Date(4_000).toISOString()],
    ['transferDisconnect', b.callId, new Date(9_000).toISOString()],
    ['transferComplete', a.callId, new Date(9_000).toISOString()],
  ]);
});

test('an agent call with user data comes back with the same view and capabilities, and takes operations', async () => {
  const first = await node(5_000);
  const agent = first.sb.agent({ phoneNumber: '5005' });
  first.sb.network.placeCall({ from: '+1500', to: '5005' });
  const [ringing] = agent.calls();
  expect(await agent.operation(ringing.id, { operationName: 'Answer' })).toEqual({ statusCode: 0 });
  const data = { operationName: 'AttachUserData', userData: { account: '42', tier: 'gold' } };
  expect(await agent.operation(ringing.id, data)).toEqual({ statusCode: 0 });
  const before = agent.calls();
  expect(before[0]).toMatchObject({ state: 'Established', userData: { account: '42', tier: 'gold' } });
  await first.store.close();

  const second = await node(5_000);
  expect(second.sb.restored).toMatchObject({ legs: 1, agentCalls: 1 });
  const agent2 = second.sb.agent({ phoneNumber: '5005' });
  expect(agent2.deviceId).toBe(agent.deviceId);
  expect(agent2.calls()).toEqual(before);
  const notified: string[] = [];
  agent2.on('notification', (m) => notified.push(m.data.call.state));
  expect(await agent2.operation(ringing.id, { operationName: 'Hold' })).toEqual({ statusCode: 0 });
  expect(agent2.calls()[0].state).toBe('Held');
  expect(notified).toEqual(['Held']);
  expect(() => second.sb.agent({ phoneNumber: '5005' })).toThrow(/exists already/);
});

test('a consult restored while its target rings: the same pair on the desk; it completes after the restart', async () => {
  const first = await node(0);
  const agent = first.sb.agent({ phoneNumber: '5005', consultTimeout: 20 });
  first.sb.network.addEndpoint('5001', { outcome: 'answer', ringFor: 4 });
  const { farEnd } = first.sb.network.placeCall({ from: '+1500', to: '5005' });
  const c1 = agent.calls()[0].id;
  await agent.operation(c1, { operationName: 'Answer' });
  const consult = { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } };
  expect(await agent.operation(c1, consult)).toEqual({ statusCode: 0 });
  first.clock.increment(2_000);
  const before = agent.calls();
  expect(before.map((c) => [c.state, c.callType])).toEqual([
    ['Held', 'Inbound'],
    ['Dialing', 'Consult'],
  ]);
  await first.store.close();

  const second = await node(2_000);
  expect(second.sb.restored).toMatchObject({ legs: 2, transfers: 1, agentCalls: 2 });
  const agent2 = second.sb.agent({ phoneNumber: '5005' });
  expect(agent2.calls()).toEqual(before);
  second.clock.increment(2_000); // the target answers at its original time (4 s)
  const c2 = agent2.calls()[1].id;
  expect(agent2.calls().map((c) => c.state)).toEqual(['Held', 'Established']);
  expect(await agent2.operation(c2, { operationName: 'CompleteTransfer' })).toEqual({ statusCode: 0 });
  expect(agent2.calls()).toEqual([]);
  expect(second.callbacks.map((c) => c.eventType)).toEqual(['transferAnswer']);
  second.sb.network.farEnd(second.callbacks[0].callId).hangUp(); // caller and target talked; the target hangs up
  expect(second.callbacks.map((c) => [c.eventType, c.callId])).toEqual([
    ['transferAnswer', second.callbacks[0].callId],
    ['transferDisconnect', second.callbacks[0].callId],
    ['transferComplete', farEnd.callId],
    ['disconnect', farEnd.callId],
  ]); // as without a restart (test/consultPaths.test.ts)
  expect(second.sb.stats()).toMatchObject({ legs: 0, transfers: 0, agentCalls: 0, timers: 0 });
});

test('a consult that times out after the restart does so at its original deadline', async () => {
  const first = await node(0);
  const agent = first.sb.agent({ phoneNumber: '5005', consultTimeout: 10 });
  first.sb.network.addEndpoint('5001', { outcome: 'noAnswer' });
  first.sb.network.placeCall({ from: '+1500', to: '5005' });
  const c1 = agent.calls()[0].id;
  await agent.operation(c1, { operationName: 'Answer' });
  await agent.operation(c1, { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } });
  first.clock.increment(6_000);
  await first.store.close();

  const second = await node(6_000);
  expect(second.sb.clock.pending().map((r) => [r.target.kind, r.deadline])).toEqual([['consult', 10_000]]);
  const agent2 = second.sb.agent({ phoneNumber: '5005' });
  second.clock.increment(3_999);
  expect(agent2.calls().map((c) => c.state)).toEqual(['Held', 'Dialing']);
  second.clock.increment(1);
  expect(agent2.calls().map((c) => c.state)).toEqual(['Held']);
  expect(second.callbacks.map((c) => [c.eventType, 'cause' in c ? c.cause : null, c.eventTime])).toEqual([
    ['transferDisconnect', 'timeout', new Date(10_000).toISOString()],
    ['transferComplete', 'timeout', new Date(10_000).toISOString()],
  ]);
});

test('a record of another version is refused, and nothing is restored', async () => {
  const s = await store();
  await s.close();
  await redis()
    .client()
    .hset(s.keys.state, 'leg:c-x', JSON.stringify({ v: 99 }));
  const again = await store();
  expect(() => createSwitchboard({ clock: new SimulatedClock(), store: again })).toThrow(
    'stored engine state: record leg:c-x has version 99, expected 1',
  );
  const unstarted = createRedisStore({ url: redis().url, nodeId: 'node-2' });
  expect(() => createSwitchboard({ store: unstarted })).toThrow(
    'start() the Redis store before creating a switchboard with it',
  );
});
