/**
 * The order a restart rebuilds legs in (src/engine/restoreOrder.ts): every leg after its parent, whatever order
 * the records come in; a leg whose parent has no record is not held back; a cycle (bad data) is placed once.
 */
import { parentsFirst, type OrderedRecord } from '../../src/engine/restoreOrder';

const leg = (callId: string, parent?: string): OrderedRecord =>
  parent ? { callId, parent: { callId: parent } } : { callId };
const ids = (records: OrderedRecord[]) => parentsFirst(records).map((r) => r.callId);

test('a chain given child first comes out oldest first; unrelated legs keep their order', () => {
  expect(ids([leg('c', 'b'), leg('x'), leg('b', 'a'), leg('a'), leg('y')])).toEqual(['a', 'b', 'c', 'x', 'y']);
});

test('a parent that ended (no record) does not hold its target back', () => {
  expect(ids([leg('t', 'gone'), leg('p')])).toEqual(['t', 'p']);
});

test('a cycle is placed once each, and nothing loops', () => {
  expect(ids([leg('a', 'b'), leg('b', 'a'), leg('c', 'c')]).sort()).toEqual(['a', 'b', 'c']);
});

test('every leg of a large set comes after its parent', () => {
  const records = Array.from({ length: 20_000 }, (_, i) => leg(`l${i}`, i % 2 ? `l${i - 1}` : undefined)).reverse();
  const out = ids(records);
  const at = new Map(out.map((id, i) => [id, i]));
  expect(out).toHaveLength(20_000);
  for (let i = 1; i < 20_000; i += 2) expect(at.get(`l${i}`)).toBeGreaterThan(at.get(`l${i - 1}`) as number);
});
