/**
 * A brand-new call announced before its owner's write has landed: two nodes in one process on a real
 * redis-server, node n1's Redis write of each turn held back by the test (its store's flush waits). A CometD
 * client of agent5005 on node n2 answers a call the moment it hears of it, over n2's HTTP API, as an agent
 * desktop does. Were the Ringing notification to leave n1 before the turn that created the call is stored, n2
 * would look for the call's owner in Redis, find none, and answer 404. It leaves once stored, so the Answer
 * reaches n1 and is 200; while the write is held, nothing is announced (a later publication on the same
 * channel arrives first).
 */
import type { AddressInfo } from 'node:net';
import type { CometD, Message } from 'cometd';
import { createRedisStore, createSwitchboard, type Network, type Switchboard } from '../../src';
import { createCluster } from '../../src/cluster';
import type { StateStore } from '../../src/engine/durable';
import { createServer, type SwitchboardServer } from '../../src/http/server';
import { loadConfig } from '../../src/http/config';
import { useRedis } from '../support/redis';
import { basic, connect, subscribe } from '../http/cometdClient';

const redis = useRedis();
const closing: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
  await redis().client().flushall();
});

/** A store whose batches wait (flush deferred) while `held`. */
function holding(store: StateStore): { store: StateStore; hold(): void; release(): void } {
  let held = false;
  const waiting: Array<() => void> = [];
  return {
    store: {
      restored: () => store.restored(),
      write: (put, del) => store.write(put, del),
      flush: () => (held ? waiting.push(() => store.flush()) : store.flush()),
      written: () => store.written(),
    },
    hold: () => void (held = true),
    release: () => {
      held = false;
      for (const flush of waiting.splice(0)) flush();
    },
  };
}

async function node(nodeId: string, wrap: (store: StateStore) => StateStore = (s) => s) {
  const store = createRedisStore({ url: redis().url, nodeId, leaseMs: 5000 });
  await store.start();
  const sb: Switchboard<Network> = createSwitchboard({ store: wrap(store) });
  const config = loadConfig({ env: { SWITCHBOARD_USERS: 'agent5005:pw-5005:5005' } });
  const cluster = createCluster({ url: redis().url, prefix: 'switchboard:', nodeId, leaseMs: 5000 });
  const server: SwitchboardServer = createServer({ switchboard: sb, config, logger: false, cluster });
  await cluster.start(sb, server.devices.values(), server.webhooks);
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  closing.push(async () => {
    await server.app.close();
    await cluster.close();
    sb.close();
    await store.close();
  });
  return { server, base: `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}` };
}

const auth = { authorization: basic('agent5005', 'pw-5005') };

test("an agent on node n2 answers a new call of n1's as soon as notified: 200, never 404", async () => {
  let gate: ReturnType<typeof holding> | undefined;
  const first = await node('n1', (store) => (gate = holding(store)).store);
  const second = await node('n2');
  const cometd: CometD = await connect(second.base, 'long-polling', {
    ext: { user: 'agent5005', password: 'pw-5005' },
  });
  closing.push(() => new Promise<void>((resolve) => cometd.disconnect(() => resolve())));

  const heard: string[] = [];
  const answers: Array<Promise<{ status: number; body: unknown }>> = [];
  const answer = (id: string) =>
    fetch(`${second.base}/api/v2/me/calls/${id}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ operationName: 'Answer' }),
    }).then(async (res) => ({ status: res.status, body: await res.json() }));
  const messages: Message[] = [];
  const reply = await subscribe(cometd, '/v2/me/calls', messages);
  expect(reply.successful).toBe(true);
  const seen = () => {
    for (const m of messages.splice(0)) {
      const { notificationType, call } = m.data as { notificationType: string; call: { id: string; state: string } };
      heard.push(`${notificationType} ${call.state}`);
      if (call.state === 'Ringing') answers.push(answer(call.id)); // the agent clicks Answer at once
    }
    return heard;
  };

  gate?.hold();
  const placed = await first.server.app.inject({
    method: 'POST',
    url: '/api/v2/simulator/calls',
    headers: auth,
    payload: { from: '+1500', to: '5005' },
  });
  expect(placed.statusCode).toBe(201);
  // A publication after the call's own on the agent's channel (tagged by another node, so n2 passes it on):
  // it reaches the client after any notification n1 published before it.
  await redis()
    .client()
    .publish(
      'switchboard:agent:5005:notifications',
      JSON.stringify({
        node: 'probe',
        data: { channel: '/v2/me/calls', data: { notificationType: 'Probe', call: { id: 'probe', state: 'Probe' } } },
      }),
    );
  const deadline = Date.now() + 10_000;
  while (!seen().includes('Probe Probe') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  expect(heard).toEqual(['Probe Probe']); // nothing of the call while its creation is not stored

  gate?.release();
  while (answers.length === 0 && Date.now() < deadline) {
    seen();
    await new Promise((r) => setTimeout(r, 10));
  }
  expect(await Promise.all(answers)).toEqual([{ status: 200, body: { statusCode: 0 } }]);
  while (!seen().includes('StatusChange Established') && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  expect(heard).toEqual(['Probe Probe', 'StatusChange Ringing', 'StatusChange Established']);
}, 30_000);
