/**
 * What an agent sees when the node owning its calls dies: `switchboard serve --redis` child processes from
 * dist/ on one real redis-server, the owner SIGKILLed. Inside the dead node's lease, another node answers reads
 * of its calls from their stored records (marked X-Switchboard-Stale) and operations with 503 and Retry-After
 * (the lease's time left), not 504 after a timeout. After the lease, an agent whose CometD client was on the
 * dead node handshakes again with another node and sees the same calls, operates them there and receives their
 * notifications. Outcomes are asserted, not timing.
 */
import type { CometD, Message } from 'cometd';
import { assertBuilt } from '../support/builtCli';
import { useRedis } from '../support/redis';
import { nodeConfig, startNode, until, webhookReceiver, type ServeNode } from '../support/serveNode';
import { connect, subscribe } from '../http/cometdClient';

const redis = useRedis();
const nodes: ServeNode[] = [];
const clients: CometD[] = [];
let receiver: Awaited<ReturnType<typeof webhookReceiver>>;

beforeAll(() => assertBuilt());
beforeEach(async () => {
  receiver = await webhookReceiver();
});
afterEach(async () => {
  for (const cometd of clients.splice(0)) await new Promise<void>((resolve) => cometd.disconnect(() => resolve()));
  for (const node of nodes.splice(0)) await node.kill();
  await receiver.close();
  await redis().client().flushall();
});

async function node(config: string, nodeId: string): Promise<ServeNode> {
  const started = await startNode(config, redis().url, nodeId);
  nodes.push(started);
  return started;
}

async function kill(n: ServeNode): Promise<void> {
  nodes.splice(nodes.indexOf(n), 1);
  await n.kill();
}

/** A CometD client of agent5005 on `n`, subscribed to /v2/me/calls; its notifications go to `into`. */
async function subscriber(n: ServeNode, into: Message[]): Promise<CometD> {
  const cometd = await connect(n.base, 'long-polling', { ext: { user: 'agent5005', password: 'pw-5005' } });
  expect((await subscribe(cometd, '/v2/me/calls', into)).successful).toBe(true);
  return cometd;
}

interface Listed {
  id: string;
  state: string;
  callType: string;
  connId: string;
  participants: unknown[];
  dnis: string;
  userData: Record<string, unknown>;
  capabilities: string[];
}
/** What must be the same whichever node shows the call. */
const same = ({ id, state, callType, connId, participants, dnis, userData }: Listed) => ({
  id,
  state,
  callType,
  connId,
  participants,
  dnis,
  userData,
});

const notified = (messages: Message[]) =>
  messages.map((m) => {
    const { notificationType, call } = m.data as { notificationType: string; call: Listed };
    return [notificationType, call.id, call.state];
  });

/** An agent call of agent5005 on `owner`, answered, with user data; its listing there. */
async function answeredCall(owner: ServeNode): Promise<Listed> {
  expect((await owner.api('POST', '/simulator/calls', { from: '+1500', to: '5005' })).status).toBe(201);
  const [ringing] = (await owner.api('GET', '/me/calls')).body.calls as Listed[];
  expect(await owner.api('POST', `/me/calls/${ringing.id}`, { operationName: 'Answer' })).toEqual({
    status: 200,
    body: { statusCode: 0 },
  });
  const update = { operationName: 'UpdateUserData', userData: { account: '4711', vip: true } };
  expect((await owner.api('POST', `/me/calls/${ringing.id}`, update)).status).toBe(200);
  const [call] = (await owner.api('GET', '/me/calls')).body.calls as Listed[];
  expect(call).toMatchObject({ state: 'Established', userData: { account: '4711', vip: true } });
  return call;
}

/** HTTP as agent5005 with the response headers. */
async function raw(n: ServeNode, method: string, path: string, body?: unknown) {
  const res = await fetch(`${n.base}/api/v2${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from('agent5005:pw-5005').toString('base64')}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

test("inside a dead owner's lease: reads answer from Redis marked stale, operations 503 with Retry-After", async () => {
  const config = nodeConfig(receiver.base, 4000);
  const first = await node(config, 'node-1');
  const second = await node(config, 'node-2');
  const call = await answeredCall(first);
  await kill(first);

  // node-1 missed a renewal (under half its lease left): presumed dead, its lease still runs.
  const lease = 'switchboard:node:node-1:lease';
  await until(async () => (await redis().client().pttl(lease)) < 2000, "node-1's lease overdue");
  const listed = await raw(second, 'GET', '/me/calls');
  expect(listed.status).toBe(200);
  expect(listed.headers.get('x-switchboard-stale')).toBe(call.id);
  const [stale] = listed.body.calls as Listed[];
  expect(same(stale)).toEqual(same(call));
  expect(stale.capabilities).toEqual([]); // nothing can be done on it until it is taken over
  const one = await raw(second, 'GET', `/me/calls/${call.id}`);
  expect([one.status, one.headers.get('x-switchboard-stale')]).toEqual([200, call.id]);
  expect(same(one.body.call as Listed)).toEqual(same(call));

  const hold = await raw(second, 'POST', `/me/calls/${call.id}`, { operationName: 'Hold' });
  const left = await redis().client().pttl(lease);
  expect(left).toBeGreaterThan(0); // still inside the lease
  expect(hold.status).toBe(503);
  const retryAfter = Number(hold.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(Math.ceil(left / 1000));
  expect(retryAfter).toBeLessThanOrEqual(2);
  expect(hold.body).toEqual({
    statusCode: 4,
    statusMessage:
      `node 'node-1' owns this call and does not answer (it may be down); another node takes its calls over ` +
      `once its lease expires, in at most ${retryAfter} s: try again then`,
  });
  expect((await raw(second, 'GET', '/me/calls/NO-SUCH-CALL')).status).toBe(404);

  // After the lease node-2 owns the call: the same call, fresh, and operable.
  await until(async () => (await redis().client().exists('switchboard:node:node-1:state')) === 0, 'the takeover');
  const after = await raw(second, 'GET', '/me/calls');
  expect(after.headers.get('x-switchboard-stale')).toBeNull();
  const [taken] = after.body.calls as Listed[];
  expect(same(taken)).toEqual(same(call));
  expect(taken.capabilities).toEqual(call.capabilities);
  expect(await second.api('POST', `/me/calls/${call.id}`, { operationName: 'Hold' })).toEqual({
    status: 200,
    body: { statusCode: 0 },
  });
}, 60_000);

test('an agent whose node died handshakes with another: same calls, same states, and their notifications', async () => {
  const config = nodeConfig(receiver.base, 3000);
  const first = await node(config, 'node-1');
  const others = [await node(config, 'node-2'), await node(config, 'node-3')];
  const before: Message[] = [];
  const gone = await subscriber(first, before);
  const call = await answeredCall(first);
  await until(() => before.length === 3, 'the notifications on node-1');
  expect(notified(before)).toEqual([
    ['StatusChange', call.id, 'Ringing'],
    ['StatusChange', call.id, 'Established'],
    ['AttachedDataChanged', call.id, 'Established'],
  ]);
  await kill(first);
  gone.disconnect(); // its node is gone: the desktop drops the session and handshakes elsewhere

  // node-3 (which may or may not be the node that takes node-1 over) serves the agent from now on.
  const third = others[1];
  const after: Message[] = [];
  clients.push(await subscriber(third, after));
  expect(await redis().client().exists('switchboard:node:node-1:state')).toBe(1); // subscribed before the takeover
  await until(async () => (await redis().client().exists('switchboard:node:node-1:state')) === 0, 'the takeover');
  const listed = await raw(third, 'GET', '/me/calls');
  expect(listed.headers.get('x-switchboard-stale')).toBeNull();
  expect((listed.body.calls as Listed[]).map(same)).toEqual([same(call)]);

  expect(await third.api('POST', `/me/calls/${call.id}`, { operationName: 'Hold' })).toEqual({
    status: 200,
    body: { statusCode: 0 },
  });
  expect(await third.api('POST', `/me/calls/${call.id}`, { operationName: 'Hangup' })).toEqual({
    status: 200,
    body: { statusCode: 0 },
  });
  await until(() => notified(after).some((n) => n[2] === 'Released'), 'the notifications on node-3');
  expect(notified(after)).toEqual([
    ['StatusChange', call.id, 'Established'], // the taker announces each call it adopted, as it is
    ['StatusChange', call.id, 'Held'],
    ['StatusChange', call.id, 'Released'],
  ]);
  expect((await third.api('GET', '/me/calls')).body.calls).toEqual([]);
}, 60_000);

test('a node paused past its lease and taken over stops when it wakes: every callback once, one delivery id', async () => {
  const config = nodeConfig(receiver.base, 1000);
  const first = await node(config, 'node-1');
  const second = await node(config, 'node-2');
  expect((await first.api('PUT', '/simulator/endpoints/+1999', { outcome: 'noAnswer' })).status).toBe(200);
  const placed = await first.api('POST', '/simulator/calls', { from: '+1500', to: '+1600' });
  const aId = placed.body.callId as string;
  expect((await first.api('POST', `/simulator/calls/${aId}/answer`)).body).toMatchObject({ state: 'ANSWERED' });
  const transfer = await first.api('POST', `/simulator/calls/${aId}/transfer`, { to: '+1999', secondsTimeout: 3 });
  expect(transfer.body).toMatchObject({ statusCode: 0, state: 'TRANSFERRING' });
  const bId = transfer.body.transferCallId as string;
  await until(() => receiver.arrivals.length === 1, 'the initiate callback');

  // node-1 stops running (a long GC pause, a frozen VM) past its lease; node-2 takes its calls over and times
  // the transfer out at its deadline. Then node-1 wakes up, its own deadline long passed.
  first.process.child.kill('SIGSTOP');
  await until(() => receiver.arrivals.some((a) => a.body.eventType === 'transferComplete'), "node-2's timeout");
  expect((await second.api('GET', `/simulator/calls/${aId}`)).status).toBe(200);
  first.process.child.kill('SIGCONT');
  await until(() => first.process.child.exitCode !== null, 'node-1 to stop', 15_000);
  const exited = await first.process.exited;
  nodes.splice(nodes.indexOf(first), 1);
  expect(exited.code).toBe(1);
  expect(first.process.stderr()).toContain(
    "the lease of node id 'node-1' was taken over by another node or process: stopping",
  );

  // node-2 still owns the call: A hangs up there. node-1 wrote nothing back and delivered nothing more.
  expect((await second.api('POST', `/simulator/calls/${aId}/hangup`)).status).toBe(200);
  await until(() => receiver.arrivals.some((a) => a.body.eventType === 'disconnect'), "A's disconnect");
  // At least once: the same delivery id may arrive twice (same body). Never the same callback under two ids.
  const byId = new Map<string, (typeof receiver.arrivals)[number]>();
  for (const a of receiver.arrivals) {
    if (byId.has(a.deliveryId)) expect(a.body).toEqual(byId.get(a.deliveryId)?.body);
    else byId.set(a.deliveryId, a);
  }
  expect([...byId.values()].map((a) => [a.body.eventType, a.body.callId])).toEqual([
    ['initiate', aId],
    ['transferDisconnect', bId],
    ['transferComplete', aId],
    ['disconnect', aId],
  ]);
  expect(await redis().client().exists('switchboard:node:node-1:state', 'switchboard:node:node-1:outbox')).toBe(0);
}, 60_000);
