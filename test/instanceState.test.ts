/**
 * Two switchboards in one process share no mutable state: counters and caches belong to the instance.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineStep } from '../src';
import { makeHarness, type Harness } from './harness';

/** The agent 5005 answers a call and starts a consult to 5001; returns the consult actor's inspected id. */
async function consultId(h: Harness): Promise<string> {
  const agent = h.sb.agent({ phoneNumber: '5005' });
  h.sb.network.addEndpoint('5001', { outcome: 'answer', ringFor: 1 });
  const steps: MachineStep[] = [];
  const stop = h.sb.inspection.watch((s) => steps.push(s));
  h.sb.network.placeCall({ from: '5000', to: '5005' });
  const c1 = agent.calls()[0].id;
  await agent.operation(c1, { operationName: 'Answer' });
  await agent.operation(c1, { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } });
  stop();
  const ids = new Set(steps.filter((s) => s.machine === 'consult-transfer').map((s) => s.actorId));
  expect(ids.size).toBe(1);
  return [...ids][0];
}

test('consult ids are numbered per switchboard: each starts at consult:1', async () => {
  const first = makeHarness();
  const second = makeHarness();
  expect(await consultId(first)).toBe('consult:1');
  expect(await consultId(second)).toBe('consult:1');
  await first.assertClean();
  await second.assertClean();
});

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Module-level mutable state in the engine and the networks: top-level `let`/`var`, and top-level Maps and
 * Sets that are not read-only. The one allowed is a memo of a pure function of a statechart's definition.
 */
const ALLOWED = new Set(['src/engine/agent/call.ts: const CAPABILITIES = new Map']);

test('src/engine and src/network keep no module-level mutable state (beyond a pure memo)', () => {
  const root = join(__dirname, '..');
  const found: string[] = [];
  for (const file of [...sources(join(root, 'src/engine')), ...sources(join(root, 'src/network'))]) {
    const relative = file.slice(root.length + 1);
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const mutable =
        /^(export )?(let|var) /.test(line) ||
        (/^(export )?const \w+(: (Map|Set)<[^=]*>)? = new (Map|Set)\b/.test(line) && !/Readonly/.test(line));
      if (mutable) found.push(`${relative}: ${line.replace(/(new (Map|Set))\b.*$/, '$1')}`);
    }
  }
  expect(found.filter((f) => !ALLOWED.has(f.replace(/<[^>]*>/, '')))).toEqual([]);
});
