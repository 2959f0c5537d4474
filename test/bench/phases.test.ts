// bench/phases.ts: a failing phase is logged and recorded, and the phases after it still run and keep their figures.
import { Phases } from '../../bench/phases';

test('a phase that throws is recorded and logged; the others keep their results', async () => {
  const lines: string[] = [];
  const phases = new Phases((line) => lines.push(line));
  const results: Record<string, number> = {};
  Object.assign(results, await phases.run('first', () => ({ 'x.a': 1 })));
  Object.assign(
    results,
    await phases.run('held', async () => {
      await Promise.resolve();
      throw new Error('held calls: only 1800 legs up');
    }),
  );
  Object.assign(results, await phases.run('last', async () => ({ 'x.b': 2 })));
  expect(results).toEqual({ 'x.a': 1, 'x.b': 2 });
  expect(phases.failed).toEqual({ held: 'held calls: only 1800 legs up' });
  expect(phases.ok).toBe(false);
  expect(lines).toEqual(['  held: FAILED (held calls: only 1800 legs up)']);
  expect(await phases.run('thrown string', () => Promise.reject('boom'))).toBeUndefined();
  expect(phases.failed['thrown string']).toBe('boom');
});
