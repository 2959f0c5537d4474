/**
 * `npm run bench`: figures as ratios against a baseline measured in the same run (the machine is shared and
 * noisy). `npm run bench -- --json` prints one JSON object `{ results, machine }` for tools.
 *
 * - transfer: lifecycles/s of SPEC row 1a (every callback built and delivered) vs a bare XState baseline
 *   with the same transitions on the same number of root actors; target ratio ≥ 0.5.
 * - memory: RSS and bytes per call with 10,000 and 100,000 concurrent answered calls with pending timers,
 *   each in a fresh process; target ≤ 1 GiB RSS at 100,000.
 */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from '../src';
import { baselineLifecycle, chainMachine, countTransitions, transferLifecycle, transferSwitchboard } from './scenarios';

const json = process.argv.includes('--json');
const log = (line: string) => {
  if (!json) console.log(line);
};

async function rate(fn: () => Promise<void> | void, ms: number): Promise<number> {
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) {
    for (let i = 0; i < 100; i++) await fn();
    n += 100;
  }
  return (n * 1000) / (performance.now() - start);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function throughput(): Promise<Record<string, number>> {
  const { events, actors } = await countTransitions();
  // Each actor processes its init and stop events; the rest are spread as NEXT events.
  const nextPerActor = Math.ceil((events - 2 * actors) / actors);
  const machine = chainMachine(nextPerActor);
  const clock = new SimulatedClock();
  const { sb, delivered } = transferSwitchboard();
  const full: number[] = [];
  const bare: number[] = [];
  await rate(() => transferLifecycle(sb), 500); // warm up both
  await rate(() => baselineLifecycle(machine, actors, nextPerActor, clock), 500);
  for (let round = 0; round < 5; round++) {
    full.push(await rate(() => transferLifecycle(sb), 1000));
    bare.push(await rate(() => baselineLifecycle(machine, actors, nextPerActor, clock), 1000));
  }
  const stats = sb.stats();
  if (stats.legs || stats.transfers || stats.timers) throw new Error(`leftovers: ${JSON.stringify(stats)}`);
  if (delivered() === 0) throw new Error('no callbacks delivered');
  const lifecycles = median(full);
  const baseline = median(bare);
  log(`transfer (row 1a): ${events} events on ${actors} root actors per lifecycle`);
  log(`  full lifecycle, callbacks built and delivered: ${lifecycles.toFixed(0)} lifecycles/s`);
  log(`  bare XState, same transitions, no payloads:    ${baseline.toFixed(0)} lifecycles/s`);
  log(`  ratio: ${(lifecycles / baseline).toFixed(2)} (target >= 0.5)`);
  return {
    'transfer.lifecycles_per_s': Math.round(lifecycles),
    'transfer.baseline_lifecycles_per_s': Math.round(baseline),
    'transfer.ratio_vs_xstate': Number((lifecycles / baseline).toFixed(3)),
    'transfer.events_per_lifecycle': events,
  };
}

function memory(calls: number): Record<string, number> {
  const out = execFileSync(process.execPath, ['--expose-gc', '-r', 'esbuild-register', join(__dirname, 'memory.ts'), String(calls)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  const r = JSON.parse(out.trim().split('\n').at(-1) as string) as { rss_bytes: number; bytes_per_call: number; heap_bytes_per_call: number };
  const k = calls >= 1000 ? `${calls / 1000}k` : String(calls);
  log(`memory, ${calls} concurrent answered calls with pending timers: RSS ${(r.rss_bytes / 2 ** 20).toFixed(0)} MiB, ${r.bytes_per_call} B/call RSS, ${r.heap_bytes_per_call} B/call heap`);
  return {
    [`memory.rss_bytes_${k}`]: r.rss_bytes,
    [`memory.bytes_per_call_${k}`]: r.bytes_per_call,
    [`memory.heap_bytes_per_call_${k}`]: r.heap_bytes_per_call,
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const results: Record<string, number> = {
    ...(await throughput()),
    ...memory(10_000),
    ...memory(100_000),
  };
  const machine = { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memory_bytes: totalmem(), date: new Date().toISOString() };
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s on ${machine.cpus} cores, Node ${machine.node}`);
  if (json) console.log(JSON.stringify({ results, machine }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
