/**
 * Conference rooms across a restart, against a real redis-server: a room with two members (each a call
 * transferred into it) comes back with its conferenceId, its members in their order and their talker flags;
 * nothing is announced again (no conferenceCreated, no conferenceMemberJoin), and as the members leave after the
 * restart, conferenceMemberExit comes once per member and conferenceCompleted once. The restart is a new store
 * and switchboard on the same node id (as in engineState.test.ts).
 */
import {
  createRedisStore,
  createSwitchboard,
  SimulatedClock,
  State,
  TransferCause,
  type ConferenceCallback,
  type RedisStore,
} from '../../src';
import { useRedis } from '../support/redis';

const redis = useRedis();
const stores: RedisStore[] = [];

async function node(now: number) {
  const clock = new SimulatedClock();
  clock.set(now);
  const store = createRedisStore({ url: redis().url, nodeId: 'rooms', leaseMs: 1000 });
  await store.start();
  stores.push(store);
  const sb = createSwitchboard({ clock, store });
  const events: Array<[string, string]> = [];
  sb.on('conferenceCallback', (c: ConferenceCallback) =>
    events.push([c.eventType, 'callId' in c ? c.callId : `room:${c.name}`]),
  );
  sb.on('callback', (c) => events.push([c.eventType, c.callId]));
  return { clock, store, sb, events };
}

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  await redis().client().flushall();
});

test('a restart mid-conference keeps the room and its members; exits and completion come once', async () => {
  const first = await node(0);
  const members: string[] = [];
  const legs: string[] = [];
  for (const [i, talker] of [true, false].entries()) {
    const { channel: a } = first.sb.network.placeCall({ from: `+150${i}`, to: '+1600' });
    await a.answer();
    a.createTonePlayer();
    const b = first.sb.createChannel();
    expect(await a.transferToConferenceRoom(b, 'sales', { talkerAndListener: talker })).toBe(State.TRANSFERRED);
    members.push(a.callId as string);
    legs.push(b.callId as string);
  }
  const room = first.sb.conference('sales');
  expect(room?.members).toEqual([
    { callId: members[0], talker: true },
    { callId: members[1], talker: false },
  ]);
  first.clock.increment(5_000);
  await first.store.close();

  const second = await node(5_000);
  expect(second.sb.conference('sales')).toEqual(room);
  second.clock.increment(1_000);
  expect(second.events).toEqual([]); // nothing announced again

  // The first member is retrieved: it leaves the room, which stays for the second.
  const a0 = second.sb.channel(members[0]);
  expect(await a0?.retrieveTransferredCall()).toBe(State.ANSWERED);
  expect(a0?.transferCause()).toBe(TransferCause.NORMAL);
  expect(second.sb.conference('sales')?.members).toEqual([{ callId: members[1], talker: false }]);
  // The second hangs up: it leaves, and the room completes.
  second.sb.network.farEnd(members[1]).hangUp();
  expect(second.sb.conference('sales')).toBeUndefined();
  const conference = second.events.filter(([type]) => type.startsWith('conference'));
  expect(conference).toEqual([
    ['conferenceMemberExit', members[0]],
    ['conferenceMemberExit', members[1]],
    ['conferenceCompleted', 'room:sales'],
  ]);
  expect(second.sb.stats()).toMatchObject({ transfers: 0 });
});
