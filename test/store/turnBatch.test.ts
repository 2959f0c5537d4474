/**
 * `TurnBatch.written()` against a real redis-server: it resolves once the turns ended so far are applied (the
 * agent API's reply waits for it), waits for a batch still being built, and rejects with Redis's reason when a
 * command of the batch is refused. Without a store, `sb.written()` resolves at once and `sb.durable` is false.
 */
import { createSwitchboard } from '../../src';
import { TurnBatch } from '../../src/store/turnBatch';
import { useRedis } from '../support/redis';

const redis = useRedis();
afterEach(async () => {
  await redis().client().flushall();
});

function batch() {
  const errors: Error[] = [];
  return { errors, batch: new TurnBatch(redis().client(), 'state', (e) => errors.push(e)) };
}

test('written() waits for the open batch and resolves once Redis has applied it', async () => {
  const { batch: b, errors } = batch();
  b.write(new Map([['leg:a', '{"v":1}']]), []);
  const written = b.written().then(() => redis().client().hget('state', 'leg:a'));
  b.flush();
  await expect(written).resolves.toBe('{"v":1}');
  // Nothing open: the last batch sent answers.
  await expect(b.written()).resolves.toBeUndefined();
  expect(errors).toEqual([]);
});

test('a turn that wrote nothing is written once the batch before it is', async () => {
  const { batch: b } = batch();
  b.write(new Map([['leg:a', '1']]), []);
  b.flush();
  b.write(new Map(), []);
  let done = false;
  const written = b.written().then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  expect(done).toBe(false); // still open: the flush has not happened yet
  b.flush();
  await written;
  expect(await redis().client().hget('state', 'leg:a')).toBe('1');
});

test('a refused command rejects written() with its reason and reports it', async () => {
  await redis().client().set('state', 'not a hash');
  const { batch: b, errors } = batch();
  b.write(new Map([['leg:a', '1']]), []);
  b.flush();
  await expect(b.written()).rejects.toThrow(/^WRONGTYPE/);
  expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/^WRONGTYPE/)]);
});

test('without a store: not durable, and written() resolves at once', async () => {
  const sb = createSwitchboard();
  expect(sb.durable).toBe(false);
  await expect(sb.written()).resolves.toBeUndefined();
});
