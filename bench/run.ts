/**
 * `npm run bench`: figures as ratios against a baseline measured in the same run (the machine is shared and
 * noisy). `npm run bench -- --json` prints one JSON object `{ results, machine }` for tools;
 * `npm run bench -- --only http,memory` runs only the named groups. A group (or a phase of one) that fails is
 * reported and marked (`failed` in the JSON, `GROUP.PHASE_failed: 1` in `results`; exit code 1), and the figures of
 * the others are still printed.
 *
 * - transfer: lifecycles/s of row 1a of docs/behaviour.md §3 (every callback built and delivered) vs a bare
 *   XState baseline with the same transitions on the same number of root actors; target ratio ≥ 0.5.
 * - consult: lifecycles/s of Genesys's sample-2 path (notifications and callbacks built) vs its bare baseline.
 * - memory: RSS and bytes per call with 10,000 and 100,000 concurrent answered calls with pending timers,
 *   each in a fresh process; target ≤ 1 GiB RSS at 100,000.
 * - timers: 100,000 concurrent transfers timing out on the SimulatedClock (none may be lost), and 10,000 on
 *   the real clock (lateness p50/p99), each in a fresh process.
 * - http: agent operations/s and p50/p99 over loopback vs a bare fastify route, same tool (autocannon).
 * - webhooks: deliveries/s to a local keep-alive receiver vs a plain request loop.
 * - inspection: row-1a lifecycles/s while the live inspector records every step and callback, vs nobody
 *   watching (no observer on any actor: the default path, the same code as the transfer figure).
 * - store: row 1a with the Redis store vs in memory, Redis commands per call, and recovery of 10,000 live calls
 *   after a SIGKILL with nothing lost (bench/store.ts; starts a redis-server of its own).
 * - sip: SIPp calls through Switchboard over real SIP vs Kamailio as a stateful proxy and a bare B2BUA on the
 *   same SIP stack (highest calls/s with 0 failed calls), row 1a over SIP, call-setup times, RSS per held call
 *   (bench/sip/run.ts); targets: ratios ≥ 0.5 and ≥ 0.8.
 */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from '../src';
import { httpBench, webhookBench } from './http';
import { storeBench } from './store';
import { Phases } from './phases';
import { median } from './stats';
import { sipBench } from './sip/run';
import { InspectorHub } from '../src/inspect/hub';
import {
  baselineLifecycle,
  chainMachine,
  chartsOnlyLifecycle,
  consultLifecycle,
  recordLifecycle,
  consultSwitchboard,
  countConsultTransitions,
  countTransitions,
  transferLifecycle,
  transferSwitchboard,
} from './scenarios';

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

async function throughput(): Promise<Record<string, number>> {
  const { events, actors } = await countTransitions();
  // Each actor processes its init and stop events; the rest are spread as NEXT events.
  const nextPerActor = Math.ceil((events - 2 * actors) / actors);
  const machine = chainMachine(nextPerActor);
  const clock = new SimulatedClock();
  const { sb, delivered } = transferSwitchboard();
  const recorded = await recordLifecycle('transfer');
  const full: number[] = [];
  const bare: number[] = [];
  const charts: number[] = [];
  await rate(() => transferLifecycle(sb), 500); // warm up all three
  await rate(() => baselineLifecycle(machine, actors, nextPerActor, clock), 500);
  await rate(() => chartsOnlyLifecycle(recorded, clock), 500);
  for (let round = 0; round < 5; round++) {
    full.push(await rate(() => transferLifecycle(sb), 1000));
    bare.push(await rate(() => baselineLifecycle(machine, actors, nextPerActor, clock), 1000));
    charts.push(await rate(() => chartsOnlyLifecycle(recorded, clock), 1000));
  }
  const chartsOnly = median(charts);
  const stats = sb.stats();
  if (stats.legs || stats.transfers || stats.timers) throw new Error(`leftovers: ${JSON.stringify(stats)}`);
  if (delivered() === 0) throw new Error('no callbacks delivered');
  const lifecycles = median(full);
  const baseline = median(bare);
  log(`transfer (row 1a): ${events} events on ${actors} root actors per lifecycle`);
  log(`  full lifecycle, callbacks built and delivered: ${lifecycles.toFixed(0)} lifecycles/s`);
  log(`  bare XState, same transitions, no payloads:    ${baseline.toFixed(0)} lifecycles/s`);
  log(`  ratio: ${(lifecycles / baseline).toFixed(2)} (target >= 0.5)`);
  log(
    `  the same charts and events with no engine at all: ${chartsOnly.toFixed(0)} lifecycles/s (${(chartsOnly / baseline).toFixed(2)} of the bare baseline: XState's own cost on these charts)`,
  );
  return {
    'transfer.charts_only_lifecycles_per_s': Math.round(chartsOnly),
    'transfer.charts_only_ratio_vs_xstate': Number((chartsOnly / baseline).toFixed(3)),
    'transfer.lifecycles_per_s': Math.round(lifecycles),
    'transfer.baseline_lifecycles_per_s': Math.round(baseline),
    'transfer.ratio_vs_xstate': Number((lifecycles / baseline).toFixed(3)),
    'transfer.events_per_lifecycle': events,
  };
}

async function inspection(): Promise<Record<string, number>> {
  const plain = transferSwitchboard().sb;
  const watched = transferSwitchboard().sb;
  const hub = new InspectorHub(watched, { mode: 'always' });
  const off: number[] = [];
  const on: number[] = [];
  await rate(() => transferLifecycle(plain), 300);
  await rate(() => transferLifecycle(watched), 300);
  for (let round = 0; round < 3; round++) {
    off.push(await rate(() => transferLifecycle(plain), 1000));
    on.push(await rate(() => transferLifecycle(watched), 1000));
  }
  if (!hub.recording || hub.calls().length === 0) throw new Error('the inspector recorded nothing');
  hub.close();
  const ratio = median(on) / median(off);
  log(
    `inspection: row 1a while the inspector records every step: ${median(on).toFixed(0)} lifecycles/s vs ${median(off).toFixed(0)} with nobody watching: ratio ${ratio.toFixed(2)}`,
  );
  return {
    'inspect.watched_lifecycles_per_s': Math.round(median(on)),
    'inspect.unwatched_lifecycles_per_s': Math.round(median(off)),
    'inspect.watched_ratio_vs_unwatched': Number(ratio.toFixed(3)),
  };
}

function memory(calls: number): Record<string, number> {
  const r = JSON.parse(child('memory.ts', [String(calls)])) as {
    rss_bytes: number;
    bytes_per_call: number;
    heap_bytes_per_call: number;
  };
  const k = calls >= 1000 ? `${calls / 1000}k` : String(calls);
  log(
    `memory, ${calls} concurrent answered calls with pending timers: RSS ${(r.rss_bytes / 2 ** 20).toFixed(0)} MiB, ${r.bytes_per_call} B/call RSS, ${r.heap_bytes_per_call} B/call heap`,
  );
  return {
    [`memory.rss_bytes_${k}`]: r.rss_bytes,
    [`memory.bytes_per_call_${k}`]: r.bytes_per_call,
    [`memory.heap_bytes_per_call_${k}`]: r.heap_bytes_per_call,
  };
}

async function consultThroughput(): Promise<Record<string, number>> {
  const { events, actors } = await countConsultTransitions();
  const nextPerActor = Math.ceil((events - 2 * actors) / actors);
  const machine = chainMachine(nextPerActor);
  const clock = new SimulatedClock();
  const ctx = consultSwitchboard();
  const recorded = await recordLifecycle('consult');
  const full: number[] = [];
  const bare: number[] = [];
  const charts: number[] = [];
  await rate(() => consultLifecycle(ctx), 500);
  await rate(() => baselineLifecycle(machine, actors, nextPerActor, clock), 500);
  await rate(() => chartsOnlyLifecycle(recorded, clock), 500);
  for (let round = 0; round < 5; round++) {
    full.push(await rate(() => consultLifecycle(ctx), 1000));
    bare.push(await rate(() => baselineLifecycle(machine, actors, nextPerActor, clock), 1000));
    charts.push(await rate(() => chartsOnlyLifecycle(recorded, clock), 1000));
  }
  const chartsOnly = median(charts);
  const lifecycles = median(full);
  const baseline = median(bare);
  log(`consult (sample 2 path): ${events} events on ${actors} root actors per lifecycle`);
  log(`  full lifecycle, notifications and callbacks built: ${lifecycles.toFixed(0)} lifecycles/s`);
  log(`  bare XState, same transitions:                    ${baseline.toFixed(0)} lifecycles/s`);
  log(`  ratio: ${(lifecycles / baseline).toFixed(2)}`);
  log(
    `  the same charts and events with no engine at all: ${chartsOnly.toFixed(0)} lifecycles/s (${(chartsOnly / baseline).toFixed(2)} of the bare baseline)`,
  );
  return {
    'consult.charts_only_ratio_vs_xstate': Number((chartsOnly / baseline).toFixed(3)),
    'consult.lifecycles_per_s': Math.round(lifecycles),
    'consult.baseline_lifecycles_per_s': Math.round(baseline),
    'consult.ratio_vs_xstate': Number((lifecycles / baseline).toFixed(3)),
  };
}

function child(script: string, args: string[], heapMb?: number): string {
  const flags = [
    '--expose-gc',
    ...(heapMb ? [`--max-old-space-size=${heapMb}`] : []),
    '-r',
    'esbuild-register',
    join(__dirname, script),
    ...args,
  ];
  return execFileSync(process.execPath, flags, { encoding: 'utf8', maxBuffer: 1 << 20 })
    .trim()
    .split('\n')
    .at(-1) as string;
}

function timers(): Record<string, number> {
  const sim = JSON.parse(child('timers.ts', ['simulated', '100000'], 8192)) as {
    lost: number;
    ms: number;
    timersLeft: number;
  };
  log(
    `timers: 100,000 concurrent transfers timing out (SimulatedClock): ${sim.lost} lost, ${sim.timersLeft} timers left, ${(sim.ms / 1000).toFixed(1)} s`,
  );
  const real = JSON.parse(child('timers.ts', ['real', '10000'])) as { p50: number; p99: number; fired: number };
  log(
    `timers: 10,000 concurrent transfer timeouts on the real clock: lateness p50 ${real.p50} ms, p99 ${real.p99} ms (${real.fired} fired)`,
  );
  return {
    'timers.simulated_100k_lost': sim.lost,
    'timers.simulated_100k_ms': sim.ms,
    'timers.real_10k_lateness_p50_ms': real.p50,
    'timers.real_10k_lateness_p99_ms': real.p99,
  };
}

async function http(): Promise<Record<string, number>> {
  const { agent, base, protectedOnly, aloneUs } = await httpBench(5);
  log(
    `http: a bare route with only auth + validation + safe JSON parsing (no engine): ${protectedOnly.rps.toFixed(0)} req/s, ratio ${(protectedOnly.rps / base.rps).toFixed(2)}`,
  );
  log(
    `http: agent operations ${agent.rps.toFixed(0)} req/s (p50 ${agent.p50} ms, p99 ${agent.p99} ms) vs bare fastify ${base.rps.toFixed(0)} req/s (p99 ${base.p99} ms): ratio ${(agent.rps / base.rps).toFixed(2)}`,
  );
  const us = (n: number) => n.toFixed(1);
  log(
    `http: CPU of this process (it hosts the three servers) per request: bare ${us(base.cpuUsPerRequest)} µs, protected ${us(protectedOnly.cpuUsPerRequest)} µs, agent ${us(agent.cpuUsPerRequest)} µs; the same operation in-process, no HTTP: ${us(aloneUs)} µs`,
  );
  return {
    'http.ops_per_s': Math.round(agent.rps),
    'http.baseline_ops_per_s': Math.round(base.rps),
    'http.ratio_vs_fastify': Number((agent.rps / base.rps).toFixed(3)),
    'http.protected_route_ops_per_s': Math.round(protectedOnly.rps),
    'http.protected_route_ratio_vs_fastify': Number((protectedOnly.rps / base.rps).toFixed(3)),
    'http.p50_ms': agent.p50,
    'http.p99_ms': agent.p99,
    'http.server_cpu_us_per_op': Number(agent.cpuUsPerRequest.toFixed(1)),
    'http.baseline_server_cpu_us_per_op': Number(base.cpuUsPerRequest.toFixed(1)),
    'http.protected_route_server_cpu_us_per_op': Number(protectedOnly.cpuUsPerRequest.toFixed(1)),
    'http.operation_in_process_us': Number(aloneUs.toFixed(2)),
  };
}

async function webhooks(): Promise<Record<string, number>> {
  const hooks = await webhookBench(5000);
  log(
    `webhooks: ${hooks.rate.toFixed(0)} deliveries/s (signed, keep-alive) vs a plain request loop ${hooks.plain.toFixed(0)}/s: ratio ${(hooks.rate / hooks.plain).toFixed(2)}`,
  );
  return {
    'webhooks.per_s': Math.round(hooks.rate),
    'webhooks.plain_per_s': Math.round(hooks.plain),
    'webhooks.ratio_vs_plain': Number((hooks.rate / hooks.plain).toFixed(3)),
  };
}

const GROUPS: Record<string, () => Promise<Record<string, number>> | Record<string, number>> = {
  transfer: throughput,
  consult: consultThroughput,
  inspection,
  memory: () => ({ ...memory(10_000), ...memory(100_000) }),
  timers,
  http,
  webhooks,
  store: () => storeBench(log),
  sip: () => sipBench(log),
};

/** The groups to run: all of them, or those named by `--only a,b` (an unknown name is an error). */
function selectedGroups(argv: string[]): string[] {
  const at = argv.indexOf('--only');
  if (at < 0) return Object.keys(GROUPS);
  const names = (argv[at + 1] ?? '').split(',').filter(Boolean);
  const unknown = names.filter((name) => !Object.hasOwn(GROUPS, name));
  if (names.length === 0 || unknown.length > 0) {
    throw new Error(
      `--only takes a comma-separated list of ${Object.keys(GROUPS).join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`,
    );
  }
  return names;
}

async function main(): Promise<void> {
  const started = Date.now();
  const results: Record<string, number> = {};
  // A group that fails is reported (stderr, and `failed` in --json) and the others still run and print their figures.
  const phases = new Phases((line) => console.error(line.trim()));
  for (const name of selectedGroups(process.argv)) Object.assign(results, await phases.run(name, GROUPS[name]));
  // A group whose own phase failed keeps its other figures and marks that one `GROUP.PHASE_failed: 1`.
  for (const [key, value] of Object.entries(results)) {
    if (key.endsWith('_failed') && value === 1) phases.failed[key.replace(/_failed$/, '')] ??= 'phase failed';
  }
  const machine = {
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memory_bytes: totalmem(),
    date: new Date().toISOString(),
  };
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s on ${machine.cpus} cores, Node ${machine.node}`);
  if (json) console.log(JSON.stringify({ results, failed: phases.failed, machine }));
  if (!phases.ok) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
