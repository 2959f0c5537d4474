/**
 * Crashes of a real node: `switchboard serve --redis URL --node-id ID` from dist/ in a child process, killed
 * with SIGKILL, then started again with the same node id against the same redis-server. Webhooks go to a
 * receiver in this process. What must hold after the restart: the calls are served again (simulator and agent
 * API), a transfer's timeout fires at its original deadline, every callback arrives (at least once, the same
 * X-Switchboard-Delivery id on every copy) and, after de-duplication by that id, exactly once.
 * These tests use the real clock (a child process has no SimulatedClock), with short timeouts; they assert
 * outcomes: callbacks, states, and the times written in the callbacks.
 */
import { assertBuilt } from '../support/builtCli';
import { useRedis } from '../support/redis';
import {
  deduplicated,
  nodeConfig,
  startNode,
  summary,
  until,
  webhookReceiver,
  type ServeNode,
} from '../support/serveNode';

const redis = useRedis();
const nodes: ServeNode[] = [];
let receiver: Awaited<ReturnType<typeof webhookReceiver>>;

beforeAll(() => assertBuilt());
beforeEach(async () => {
  receiver = await webhookReceiver();
});
afterEach(async () => {
  for (const node of nodes.splice(0)) await node.kill();
  await receiver.close();
  await redis().client().flushall();
});

async function node(config: string, nodeId: string): Promise<ServeNode> {
  const started = await startNode(config, redis().url, nodeId);
  nodes.push(started);
  return started;
}

async function crash(n: ServeNode): Promise<void> {
  await n.kill();
  nodes.splice(nodes.indexOf(n), 1);
}

/** Whether the node's stored state has a record `key` matching `test`. */
async function stored(nodeId: string, key: string, test: (record: string) => boolean = () => true) {
  const record = await redis().client().hget(`switchboard:node:${nodeId}:state`, key);
  return record !== null && test(record);
}

test('SIGKILL mid-transfer: the restarted node times the transfer out at its original deadline, callbacks once per id', async () => {
  const config = nodeConfig(receiver.base);
  const first = await node(config, 'crash-1');
  expect((await first.api('PUT', '/simulator/endpoints/+1999', { outcome: 'noAnswer' })).status).toBe(200);
  const placed = await first.api('POST', '/simulator/calls', { from: '+1500', to: '+1600' });
  const aId = placed.body.callId as string;
  expect((await first.api('POST', `/simulator/calls/${aId}/answer`)).body).toMatchObject({ state: 'ANSWERED' });
  const transfer = await first.api('POST', `/simulator/calls/${aId}/transfer`, { to: '+1999', secondsTimeout: 4 });
  expect(transfer.body).toMatchObject({ statusCode: 0, state: 'TRANSFERRING' });
  const bId = transfer.body.transferCallId as string;
  await until(() => stored('crash-1', `leg:${bId}`, (r) => r.includes('RING_OUTGOING')), "B's record in Redis");
  await until(() => receiver.arrivals.length === 1, 'the initiate callback');
  await crash(first);

  const second = await node(config, 'crash-1');
  const restored = await second.api('GET', `/simulator/calls/${aId}`);
  expect(restored.body.call).toMatchObject({
    state: 'TRANSFERRING',
    transferCause: 'NONE',
    transfer: { callId: bId, to: '+1999', result: null, state: 'RING_OUTGOING' },
  });
  await until(() => receiver.arrivals.some((a) => a.body.eventType === 'transferComplete'), 'the timeout');
  const calls = deduplicated(receiver.arrivals);
  expect(summary(calls)).toEqual([
    ['initiate', aId, null],
    ['transferDisconnect', bId, 'timeout'],
    ['transferComplete', aId, 'timeout'],
  ]);
  // The timer fired at the deadline the first process set (B's start + 4 s), not 4 s after the restart.
  const timedOut = calls[1].body as { startTime: string; endTime: string };
  const deadline = Date.parse(timedOut.startTime) + 4000;
  expect(Date.parse(timedOut.endTime)).toBeGreaterThanOrEqual(deadline);
  expect(Date.parse(timedOut.endTime)).toBeLessThan(second.readyAt + 4000);
  expect((await second.api('GET', `/simulator/calls/${aId}`)).body.call).toMatchObject({
    state: 'ANSWERED',
    transferCause: 'TIMEOUT',
    transfer: { callId: bId, result: { state: 'ANSWERED', transferCause: 'TIMEOUT' } },
  });
  expect((await second.api('POST', `/simulator/calls/${aId}/hangup`)).status).toBe(200);
  await until(() => receiver.arrivals.some((a) => a.body.eventType === 'disconnect'), "A's disconnect");
  expect(summary(deduplicated(receiver.arrivals)).slice(3)).toEqual([['disconnect', aId, 'hangup']]);
  await until(async () => (await redis().client().hlen('switchboard:node:crash-1:state')) === 2, 'the legs removed');
  expect((await redis().client().hkeys('switchboard:node:crash-1:state')).sort()).toEqual(['device:5005', 'network']);
}, 60_000);

test('SIGKILL with deliveries pending and a call up: none lost, same ids, and the call is still served', async () => {
  const config = nodeConfig(receiver.base);
  const first = await node(config, 'crash-2');
  receiver.state.answering = false; // the receiver takes the requests and answers none
  const placed = await first.api('POST', '/simulator/calls', { from: '+1500', to: '+1600' });
  const aId = placed.body.callId as string;
  await first.api('POST', `/simulator/calls/${aId}/answer`);
  const other = await first.api('POST', '/simulator/calls', { from: '+1501', to: '+1600' });
  const cId = other.body.callId as string;
  await first.api('POST', `/simulator/calls/${cId}/hangup`);
  await until(() => receiver.held() === 2, 'the two families attempted'); // initiate(A); initiate(C) (its disconnect waits)
  const outbox = await redis().client().xrange('switchboard:node:crash-2:outbox', '-', '+');
  expect(outbox).toHaveLength(3);
  const pendingIds = outbox.map(([, fields]) => fields[fields.indexOf('d') + 1]);
  await crash(first);

  receiver.state.answering = true;
  const second = await node(config, 'crash-2');
  await until(() => receiver.arrivals.length === 3, 'the three re-delivered');
  expect(receiver.arrivals.map((a) => a.deliveryId).sort()).toEqual([...pendingIds].sort());
  expect(summary(receiver.arrivals).sort()).toEqual(
    [
      ['initiate', aId, null],
      ['initiate', cId, null],
      ['disconnect', cId, 'cancel'],
    ].sort(),
  );
  expect((await second.api('GET', `/simulator/calls/${aId}`)).body.call).toMatchObject({ state: 'ANSWERED' });
  expect((await second.api('POST', `/simulator/calls/${aId}/hangup`)).status).toBe(200);
  await until(() => receiver.arrivals.length === 4, "A's disconnect");
  expect(summary(receiver.arrivals.slice(3))).toEqual([['disconnect', aId, 'hangup']]);
  // Acknowledged entries leave the outbox once the receiver's answer is back (just after it has the callback).
  await until(
    async () => (await redis().client().xlen('switchboard:node:crash-2:outbox')) === 0,
    'the outbox emptied by the acknowledgements',
  );
}, 60_000);

test('SIGKILL with an agent call holding user data: the same call, user data and capabilities after the restart', async () => {
  const config = nodeConfig(receiver.base);
  const first = await node(config, 'crash-3');
  await first.api('POST', '/simulator/calls', { from: '+1500', to: '5005' });
  const [ringing] = (await first.api('GET', '/me/calls')).body.calls as Array<{ id: string }>;
  expect((await first.api('POST', `/me/calls/${ringing.id}`, { operationName: 'Answer' })).body).toEqual({
    statusCode: 0,
  });
  const attach = { operationName: 'AttachUserData', userData: { account: '42', tier: 'gold' } };
  expect((await first.api('POST', `/me/calls/${ringing.id}`, attach)).body).toEqual({ statusCode: 0 });
  const before = (await first.api('GET', '/me/calls')).body.calls as Array<Record<string, unknown>>;
  expect(before).toEqual([
    expect.objectContaining({ state: 'Established', userData: { account: '42', tier: 'gold' } }),
  ]);
  await until(() => stored('crash-3', `agentCall:${ringing.id}`, (r) => r.includes('gold')), 'the user data stored');
  await crash(first);

  const second = await node(config, 'crash-3');
  const after = (await second.api('GET', '/me/calls')).body.calls as Array<Record<string, unknown>>;
  const withoutDuration = (calls: Array<Record<string, unknown>>) => calls.map(({ duration, ...call }) => call);
  expect(withoutDuration(after)).toEqual(withoutDuration(before));
  expect((await second.api('POST', `/me/calls/${ringing.id}`, { operationName: 'Hold' })).body).toEqual({
    statusCode: 0,
  });
  expect(((await second.api('GET', '/me/calls')).body.calls as Array<{ state: string }>)[0].state).toBe('Held');
  expect((await second.api('POST', `/me/calls/${ringing.id}`, { operationName: 'Hangup' })).body).toEqual({
    statusCode: 0,
  });
  expect((await second.api('GET', '/me/calls')).body.calls).toEqual([]);
}, 60_000);

/** Hold the node's EXECs for `ms` (CLIENT PAUSE WRITE): its MULTI is sent but not applied until then. */
const pauseWrites = (ms: number) => redis().client().call('CLIENT', 'PAUSE', String(ms), 'WRITE');

test('an operation answered 200 is stored: user data and hold survive a SIGKILL right after the reply', async () => {
  const config = nodeConfig(receiver.base);
  const first = await node(config, 'crash-4');
  await first.api('POST', '/simulator/calls', { from: '+1500', to: '5005' });
  const [call] = (await first.api('GET', '/me/calls')).body.calls as Array<{ id: string }>;
  expect((await first.api('POST', `/me/calls/${call.id}`, { operationName: 'Answer' })).body).toEqual({
    statusCode: 0,
  });
  await pauseWrites(300);
  const update = { operationName: 'UpdateUserData', userData: { account: '42', tier: 'gold' } };
  expect(await first.api('POST', `/me/calls/${call.id}`, update)).toEqual({ status: 200, body: { statusCode: 0 } });
  await crash(first);

  const second = await node(config, 'crash-4');
  const restored = (await second.api('GET', '/me/calls')).body.calls as Array<Record<string, unknown>>;
  expect(restored).toEqual([
    expect.objectContaining({ id: call.id, state: 'Established', userData: { account: '42', tier: 'gold' } }),
  ]);
  await pauseWrites(300);
  const hold = await second.api('POST', `/me/calls/${call.id}`, { operationName: 'Hold' });
  expect(hold).toEqual({ status: 200, body: { statusCode: 0 } });
  await crash(second);

  const third = await node(config, 'crash-4');
  expect((await third.api('GET', '/me/calls')).body.calls).toEqual([
    expect.objectContaining({ id: call.id, state: 'Held', userData: { account: '42', tier: 'gold' } }),
  ]);
}, 60_000);

test('an operation whose state cannot be stored is answered 500 and says why', async () => {
  const config = nodeConfig(receiver.base);
  const first = await node(config, 'crash-5');
  await first.api('POST', '/simulator/calls', { from: '+1500', to: '5005' });
  const [call] = (await first.api('GET', '/me/calls')).body.calls as Array<{ id: string }>;
  // The state hash replaced by a string: the node's next HSET is refused (WRONGTYPE) inside its MULTI.
  await redis().client().set('switchboard:node:crash-5:state', 'not a hash');
  expect(await first.api('POST', `/me/calls/${call.id}`, { operationName: 'Answer' })).toEqual({
    status: 500,
    body: {
      statusCode: 4,
      statusMessage: expect.stringMatching(
        /^Internal error: the operation took effect but its state could not be stored: WRONGTYPE/,
      ),
    },
  });
  expect((await first.api('GET', '/me/calls')).body.calls).toEqual([expect.objectContaining({ state: 'Established' })]);
}, 60_000);
