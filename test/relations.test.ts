/**
 * The engine's relations registry (src/engine/relations.ts): which transfer each leg is in, which agent call shows
 * each leg, which consult each agent call is part of, all as ids. The module on its own; then the registry of a
 * real engine through a consult (set as the consult goes, empty once every record has ended), and a consult
 * restored from its records by a new switchboard, with the same relations by id (in-memory store: the Redis one
 * is test/store/engineState.test.ts).
 */
import { createSwitchboard, SimulatedClock, type SimulatedNetwork, type Switchboard } from '../src';
import type { StateStore } from '../src/engine/durable';
import type { Engine } from '../src/engine/engine';
import { Relations } from '../src/engine/relations';
import { engineOf } from './support/engineOf';

test('a leg is in one transfer at a time, leaves it (only that one, with `only`), and a move leaves the old one', () => {
  const r = new Relations();
  r.joinTransfer('c-a', 'transfer:1');
  r.joinTransfer('c-b', 'transfer:1');
  r.joinTransfer('c-b', 'consult:2'); // moves
  expect([r.transferOf('c-a'), r.transferOf('c-b')]).toEqual(['transfer:1', 'consult:2']);
  r.leaveTransfer('c-a', 'consult:2'); // not its transfer: nothing changes
  expect(r.transferOf('c-a')).toBe('transfer:1');
  r.leaveTransfer('c-a', 'transfer:1');
  r.leaveTransfer('c-b');
  r.leaveTransfer('c-b');
  expect([r.transferOf('c-a'), r.transferOf('c-b'), r.size]).toEqual([undefined, undefined, 0]);
});

test('an agent call shows one leg and a leg is shown by one call; showing again replaces both sides', () => {
  const r = new Relations();
  r.show('c-a', 'ac-1');
  expect([r.callOf('c-a'), r.legOf('ac-1')]).toEqual(['ac-1', 'c-a']);
  r.show('c-a', 'ac-2'); // the leg's new call: ac-1 shows nothing any more
  expect([r.callOf('c-a'), r.legOf('ac-1'), r.legOf('ac-2')]).toEqual(['ac-2', undefined, 'c-a']);
  r.show('c-b', 'ac-2'); // the call moves to another leg: c-a is shown by nothing
  expect([r.callOf('c-a'), r.callOf('c-b'), r.size]).toEqual([undefined, 'ac-2', 1]);
});

test('a consult has one call per side; a call is in one consult; joining again replaces', () => {
  const r = new Relations();
  r.joinConsult('ac-1', 'consult:1', 'parent');
  r.joinConsult('ac-2', 'consult:1', 'consult');
  expect([r.consultOf('ac-1'), r.callIn('consult:1', 'parent'), r.callIn('consult:1', 'consult')]).toEqual([
    'consult:1',
    'ac-1',
    'ac-2',
  ]);
  r.joinConsult('ac-3', 'consult:1', 'consult'); // a new consult call: ac-2 is in no consult any more
  expect([r.consultOf('ac-2'), r.callIn('consult:1', 'consult')]).toEqual([undefined, 'ac-3']);
  r.joinConsult('ac-1', 'consult:2', 'parent'); // moves
  expect([r.callIn('consult:1', 'parent'), r.callIn('consult:2', 'parent')]).toEqual([undefined, 'ac-1']);
  r.leaveConsult('ac-1');
  r.leaveConsult('ac-1');
  r.leaveConsult('ac-3');
  expect([r.consultOf('ac-1'), r.callIn('consult:2', 'parent'), r.size]).toEqual([undefined, undefined, 0]);
});

test('a record that ends leaves every relation it had, and only its own', () => {
  const r = new Relations();
  r.joinTransfer('c-a', 'consult:1');
  r.joinTransfer('c-b', 'consult:1');
  r.joinTransfer('c-x', 'transfer:9');
  r.show('c-a', 'ac-1');
  r.show('c-b', 'ac-2');
  r.joinConsult('ac-1', 'consult:1', 'parent');
  r.joinConsult('ac-2', 'consult:1', 'consult');
  r.forgetLeg('c-b');
  expect([r.transferOf('c-b'), r.callOf('c-b'), r.legOf('ac-2'), r.consultOf('ac-2')]).toEqual([
    undefined,
    undefined,
    undefined,
    'consult:1',
  ]);
  r.forgetCall('ac-2');
  expect([r.consultOf('ac-2'), r.callIn('consult:1', 'consult'), r.callIn('consult:1', 'parent')]).toEqual([
    undefined,
    undefined,
    'ac-1',
  ]);
  r.forgetTransfer('consult:1');
  expect([r.transferOf('c-a'), r.consultOf('ac-1'), r.callOf('c-a')]).toEqual([undefined, undefined, 'ac-1']);
  expect(r.transferOf('c-x')).toBe('transfer:9');
  r.forgetCall('ac-1');
  r.forgetTransfer('transfer:9');
  r.forgetTransfer('transfer:9');
  expect(r.size).toBe(0);
});

/** A store in memory: the records a previous switchboard left, and those this one writes. */
class MemoryStore implements StateStore {
  readonly records: Map<string, string>;
  constructor(left: ReadonlyMap<string, string> = new Map()) {
    this.records = new Map(left);
  }
  restored(): ReadonlyMap<string, string> {
    return this.records;
  }
  write(put: ReadonlyMap<string, string>, del: readonly string[]): void {
    for (const [key, json] of put) this.records.set(key, json);
    for (const key of del) this.records.delete(key);
  }
  flush(): void {}
  written(): Promise<void> {
    return Promise.resolve();
  }
}

/** The relations of a consult's legs and agent calls, by id (legs L1, L2; calls C1, C2; the consult K). */
function consultRelations(engine: Engine, ids: { l1: string; l2: string; c1: string; c2: string }) {
  const r = engine.relations;
  const k = r.consultOf(ids.c1) ?? null;
  return {
    k,
    legs: [r.transferOf(ids.l1), r.transferOf(ids.l2)],
    shownBy: [r.callOf(ids.l1), r.callOf(ids.l2)],
    shows: [r.legOf(ids.c1), r.legOf(ids.c2)],
    sides: k === null ? [] : [r.callIn(k, 'parent'), r.callIn(k, 'consult')],
    size: r.size,
  };
}

/** Agent 5005 answers a call from 5000 and consults 5001, which answers after 4 s; 2 s in. */
async function consulting(sb: Switchboard<SimulatedNetwork>, clock: SimulatedClock) {
  const agent = sb.agent({ phoneNumber: '5005' });
  sb.network.addEndpoint('5001', { outcome: 'answer', ringFor: 4 });
  const { channel } = sb.network.placeCall({ from: '5000', to: '5005' });
  const c1 = agent.calls()[0].id;
  await agent.operation(c1, { operationName: 'Answer' });
  await agent.operation(c1, { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } });
  clock.increment(2_000);
  const c2 = agent.calls()[1].id;
  const l1 = channel.callId as string;
  const l2 = [...engineOf(sb).legs.keys()].find((id) => id !== l1) as string;
  return { agent, ids: { l1, l2, c1, c2 } };
}

test("a consult's relations are set as it goes and cleared as each record ends, until none is left", async () => {
  const clock = new SimulatedClock();
  const sb = createSwitchboard({ clock });
  const engine = engineOf(sb);
  const { agent, ids } = await consulting(sb, clock);
  expect(consultRelations(engine, ids)).toEqual({
    k: 'consult:1',
    legs: ['consult:1', 'consult:1'],
    shownBy: [ids.c1, ids.c2],
    shows: [ids.l1, ids.l2],
    sides: [ids.c1, ids.c2],
    size: 6,
  });
  clock.increment(2_000); // the target answers
  expect(await agent.operation(ids.c2, { operationName: 'CompleteTransfer' })).toEqual({ statusCode: 0 });
  // The agent has left both calls: no call shows a leg or is in the consult; the legs are still in it.
  expect(consultRelations(engine, ids)).toMatchObject({ k: null, shownBy: [undefined, undefined], size: 2 });
  sb.network.farEnd(ids.l2).hangUp();
  expect(sb.stats()).toMatchObject({ legs: 0, transfers: 0, agentCalls: 0 });
  expect(consultRelations(engine, ids)).toMatchObject({ legs: [undefined, undefined], size: 0 });
});

test('a consult restored from its records has the same relations by id, and completes', async () => {
  const clock = new SimulatedClock();
  const store = new MemoryStore();
  const first = createSwitchboard({ clock, store });
  const { ids } = await consulting(first, clock);
  const before = consultRelations(engineOf(first), ids);
  const leg = (id: string) => JSON.parse(store.records.get(`leg:${id}`) as string) as Record<string, unknown>;
  const call = (id: string) => JSON.parse(store.records.get(`agentCall:${id}`) as string) as Record<string, unknown>;
  expect([leg(ids.l1), leg(ids.l2)]).toMatchObject([
    { transfer: 'consult:1', agentCall: ids.c1 },
    { transfer: 'consult:1', agentCall: ids.c2 },
  ]);
  expect([call(ids.c1), call(ids.c2)]).toMatchObject([
    { leg: ids.l1, consult: 'consult:1' },
    { leg: ids.l2, consult: 'consult:1' },
  ]);
  expect(JSON.parse(store.records.get('consult:1') as string)).toMatchObject({
    parentCall: ids.c1,
    consultCall: ids.c2,
  });

  const clock2 = new SimulatedClock();
  clock2.set(clock.now());
  const second = createSwitchboard({ clock: clock2, store: new MemoryStore(store.records) });
  expect(second.restored).toMatchObject({ legs: 2, transfers: 1, agentCalls: 2 });
  expect(consultRelations(engineOf(second), ids)).toEqual(before);
  const agent = second.agent({ phoneNumber: '5005' });
  clock2.increment(2_000);
  expect(await agent.operation(ids.c2, { operationName: 'CompleteTransfer' })).toEqual({ statusCode: 0 });
  second.network.farEnd(ids.l2).hangUp();
  expect(second.stats()).toMatchObject({ legs: 0, transfers: 0, agentCalls: 0 });
  expect(engineOf(second).relations.size).toBe(0);
});
