/**
 * A restart restores a large set of calls exactly, against a real redis-server: 2,000 calls in a mix of states
 * (ringing, answered, in a transfer whose timeout is pending at its own deadline, bridged to an answered
 * target, back from a busy target with its transferCause) come back with the same state and transferCause per
 * call, every timer at its original deadline, and every transfer target attached to its live parent leg (the
 * records come out of Redis in hash order, targets before their parents among them); each pending timeout then
 * fires at its deadline. The restart is a new store and switchboard on the same node id (as in
 * engineState.test.ts), on XState's SimulatedClock set to where the first one stopped.
 */
import {
  createRedisStore,
  createSwitchboard,
  SimulatedClock,
  State,
  TransferCause,
  type Channel,
  type RedisStore,
} from '../../src';
import { engineOf } from '../support/engineOf';
import { useRedis } from '../support/redis';

const redis = useRedis();
const stores: RedisStore[] = [];

async function node(now: number) {
  const clock = new SimulatedClock();
  clock.set(now);
  const store = createRedisStore({ url: redis().url, nodeId: 'bulk', leaseMs: 1000 });
  await store.start();
  stores.push(store);
  const sb = createSwitchboard({ clock, store });
  return { clock, store, sb, engine: engineOf(sb) };
}

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  await redis().client().flushall();
});

/** Each call's state and transferCause, by call id. */
function states(channels: Iterable<[string, Channel | undefined]>) {
  return new Map([...channels].map(([id, c]) => [id, c && [c.state, c.transferCause()]]));
}

test('2,000 calls in mixed states come back with the same states, transferCauses, parents and deadlines', async () => {
  const first = await node(1_000_000);
  const net = first.sb.network;
  net.addEndpoint('+1999', { outcome: 'noAnswer' });
  net.addEndpoint('+1777', { outcome: 'answer', ringFor: 0 });
  net.addEndpoint('+1888', { outcome: 'busy' });
  const parents: Channel[] = [];
  const targets = new Map<string, string>(); // target call id → parent call id
  for (let i = 0; i < 2000; i++) {
    const { channel } = net.placeCall({ from: `+1500${String(i).padStart(4, '0')}`, to: '+1600' });
    parents.push(channel);
    if (i % 4 === 0) continue; // left ringing
    await channel.answer();
    if (i % 4 === 1) continue; // answered
    channel.createTonePlayer();
    const target = first.sb.createChannel();
    const to = i % 4 === 2 ? '+1999' : i % 8 === 3 ? '+1777' : '+1888';
    // Timeouts of their own: 10 s to about 260 s, each transfer's deadline its own.
    void channel.retrievableTransfer(target, to, { secondsTimeout: 10 + (i % 250) });
    first.clock.increment(1);
    targets.set(target.callId as string, channel.callId as string);
  }
  const ids = [...parents.map((c) => c.callId as string), ...targets.keys()];
  const before = states(ids.map((id) => [id, first.sb.channel(id)]));
  const kinds = new Set([...before.values()].map((s) => s?.join(' ') ?? 'gone'));
  expect(kinds).toEqual(
    new Set([
      `${State.CALL_INCOMING} NONE`,
      `${State.ANSWERED} NONE`,
      `${State.TRANSFERRING} NONE`,
      `${State.RING_OUTGOING} NONE`,
      `${State.TRANSFERRED} ${TransferCause.NORMAL}`,
      `${State.ANSWERED} ${TransferCause.TARGETREJECT}`,
      'gone', // the busy targets
    ]),
  );
  const pending = first.sb.clock.pending().map(({ deadline, target, event }) => ({ deadline, target, event }));
  expect(pending.filter((t) => t.target.kind === 'transfer')).toHaveLength(500);
  const stoppedAt = first.sb.clock.now();
  await first.store.close();

  // The records come out of Redis with some transfer targets before their parents.
  const order = Object.keys(await redis().client().hgetall('switchboard:node:bulk:state'));
  const at = new Map(order.map((key, i) => [key, i]));
  const early = [...targets].filter(([t, p]) => (at.get(`leg:${t}`) as number) < (at.get(`leg:${p}`) as number));
  expect(early.length).toBeGreaterThan(0);

  const second = await node(stoppedAt);
  const live = ids.filter((id) => before.get(id));
  expect(second.sb.restored).toMatchObject({ legs: live.length, transfers: 750, agentCalls: 0 });
  expect(states(ids.map((id) => [id, second.sb.channel(id)]))).toEqual(before);
  expect(second.sb.clock.pending().map(({ deadline, target, event }) => ({ deadline, target, event }))).toEqual(
    pending,
  );
  // Every target leg hangs on its live parent leg, not on a copy of the parent's facts.
  for (const [target, parent] of targets) {
    const leg = second.engine.legs.get(target);
    if (leg) expect(leg.parent).toBe(second.engine.legs.get(parent));
  }

  // Each pending timeout fires at its own deadline: the transfer is over then, not a millisecond before.
  const timeouts = pending.filter((t) => t.target.kind === 'transfer').map((t) => t.deadline);
  const ringing = [...targets].filter(([t]) => before.get(t)?.[0] === State.RING_OUTGOING);
  expect(ringing).toHaveLength(timeouts.length);
  const last = Math.max(...timeouts);
  second.clock.increment(last - 1 - stoppedAt);
  const stillRinging = ringing.filter(([t]) => second.sb.channel(t)?.state === State.RING_OUTGOING);
  expect(stillRinging).toHaveLength(timeouts.filter((d) => d === last).length);
  second.clock.increment(1);
  for (const [, parent] of ringing) {
    expect([second.sb.channel(parent)?.state, second.sb.channel(parent)?.transferCause()]).toEqual([
      State.ANSWERED,
      TransferCause.TIMEOUT,
    ]);
  }
});
