/**
 * TransferLinks: which transfer each leg belongs to, as ids. A leg joins one transfer at a time, leaves it
 * (or, with `only`, leaves just that one), and a transfer no leg belongs to is no longer held.
 */
import type { Leg, LegTransfer } from '../src/engine/leg';
import { TransferLinks } from '../src/engine/transferLinks';

const leg = (callId: string) => ({ callId }) as Leg;
const run = (inspectedId: string) => ({ inspectedId }) as LegTransfer;

test('join, move, leave only if it is that transfer, and forget a transfer without legs', () => {
  const links = new TransferLinks();
  const [a, b] = [leg('c-a'), leg('c-b')];
  const [t1, t2] = [run('transfer:1'), run('consult:2')];
  links.join(a, t1);
  links.join(b, t1);
  expect([links.of(a), links.of(b)]).toEqual([t1, t1]);
  links.join(b, t2); // moves: b leaves t1
  expect([links.of(a), links.of(b)]).toEqual([t1, t2]);
  links.leave(a, t2); // not its transfer: nothing changes
  expect(links.of(a)).toBe(t1);
  links.leave(a, t1);
  expect(links.of(a)).toBeNull();
  links.join(a, run('transfer:1')); // t1 had no legs left: a new object under its id is the one held
  expect(links.of(a)).not.toBe(t1);
  links.leave(b);
  links.leave(b);
  expect(links.of(b)).toBeNull();
});
