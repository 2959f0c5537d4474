/**
 * `npm run bench:compare -- OTHER_TREE [--rounds N]`: the transfer (row 1a) and consult (sample 2) lifecycles
 * of this tree against another checkout of the project (a worktree of main, say), in one process, round by
 * round in turn, so both see the same machine. Each round measures this tree's lifecycles per CPU second
 * over that tree's, for the full engine and for the same charts replayed with no engine; the figure is the median of
 * the per-round ratios (above 1: this tree is faster). The other tree needs its dependencies (a
 * `node_modules` of its own, or a link to this tree's).
 */
import { resolve } from 'node:path';
import { SimulatedClock } from 'xstate';
import { wholeNumberOption } from './args';
import { median } from './stats';
import type * as Scenarios from './scenarios';

type Lifecycle = () => Promise<void> | void;

/**
 * Lifecycles per second of CPU time (the process's user + system time, not the wall clock: on a shared
 * machine the wall clock also counts the time other processes had the cores).
 */
async function rate(fn: Lifecycle, cpuMs: number): Promise<number> {
  const start = process.cpuUsage();
  const used = () => {
    const d = process.cpuUsage(start);
    return (d.user + d.system) / 1000;
  };
  let n = 0;
  while (used() < cpuMs) {
    for (let i = 0; i < 50; i++) await fn();
    n += 50;
  }
  return (n * 1000) / used();
}

/** The four lifecycles of one tree: full engine and charts only, for the transfer and the consult. */
async function lifecyclesOf(s: typeof Scenarios): Promise<Record<string, Lifecycle>> {
  const clock = new SimulatedClock();
  const { sb } = s.transferSwitchboard();
  const consult = s.consultSwitchboard();
  const transferCharts = await s.recordLifecycle('transfer');
  const consultCharts = await s.recordLifecycle('consult');
  return {
    transfer: () => s.transferLifecycle(sb),
    'transfer charts only': () => s.chartsOnlyLifecycle(transferCharts, clock),
    consult: () => s.consultLifecycle(consult),
    'consult charts only': () => s.chartsOnlyLifecycle(consultCharts, clock),
  };
}

async function main(): Promise<void> {
  const other = process.argv[2];
  if (!other || other.startsWith('-')) throw new Error('usage: npm run bench:compare -- OTHER_TREE [--rounds N]');
  const rounds = wholeNumberOption('--rounds', 7);
  const load = (tree: string) =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- each tree's module, by path
    require(resolve(tree, 'bench/scenarios')) as typeof Scenarios;
  const theirs = await lifecyclesOf(load(other));
  const ours = await lifecyclesOf(load(resolve(__dirname, '..')));
  const out: Record<string, { ours: number; theirs: number; ratio: number; ratios: number[] }> = {};
  for (const name of Object.keys(ours)) {
    await rate(ours[name], 300); // warm up both
    await rate(theirs[name], 300);
    const a: number[] = [];
    const b: number[] = [];
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first, so neither always runs on a cooler (or hotter) machine.
      const first = round % 2 === 0;
      const x = first ? await rate(ours[name], 700) : 0;
      const y = await rate(theirs[name], 700);
      const z = first ? x : await rate(ours[name], 700);
      a.push(z);
      b.push(y);
      ratios.push(Number((z / y).toFixed(3)));
    }
    out[name] = { ours: Math.round(median(a)), theirs: Math.round(median(b)), ratio: median(ratios), ratios };
    console.log(`${name}: ${JSON.stringify(out[name])}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
