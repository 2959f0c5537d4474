// Microbenchmark of src/sip/validate.ts on the messages Switchboard receives in one benchmark call
// (test/support/sipCallMessages.ts): µs of CPU and bytes allocated per validated message, for the validator and
// for its reference from before the allocation-light rewrite (test/support/validateReference.ts).
// Run: node -r esbuild-register bench/sipValidate.ts [rounds]   (re-runs itself with --expose-gc and a 64 MB
// young generation, so that no scavenge falls inside a measured batch; batches that saw a GC are not counted.)
import { spawnSync } from 'node:child_process';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { type Verdict, validateMessage } from '../src/sip/validate';
import { CALL_MESSAGES as MESSAGES } from '../test/support/sipCallMessages';
import * as reference from '../test/support/validateReference';

const FLAGS = ['--expose-gc', '--max-semi-space-size=64', '--min-semi-space-size=64'];
if (typeof global.gc !== 'function') {
  const r = spawnSync(process.execPath, [...FLAGS, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}

type Validate = (raw: string) => Verdict;
/** The validator, and the one before the allocation-light rewrite (measured in alternate rounds, under the same load). */
const VALIDATORS: [string, Validate][] = [
  ['src/sip/validate.ts', validateMessage],
  ['reference (before)', reference.validateMessage],
];

for (const [name, m] of MESSAGES) {
  for (const [which, validate] of VALIDATORS) {
    const v = validate(m);
    if (!v.ok) throw new Error(`${name} refused by ${which}: ${v.reason}`);
  }
}

let gcs: number[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push(e.startTime);
}).observe({ entryTypes: ['gc'] });

const BATCH = 500;

/** One batch of every message BATCH times: [CPU µs, bytes allocated, performance window]. */
function batch(validate: Validate): [number, number, number, number] {
  global.gc?.();
  const start = performance.now();
  const heap = process.memoryUsage().heapUsed;
  const cpu = process.cpuUsage();
  for (let i = 0; i < BATCH; i++) for (const [, m] of MESSAGES) validate(m);
  const used = process.cpuUsage(cpu);
  const bytes = process.memoryUsage().heapUsed - heap;
  return [used.user + used.system, bytes, start, performance.now()];
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 40);
  const n = BATCH * MESSAGES.length;
  console.log(`${MESSAGES.length} messages (${MESSAGES.map(([name]) => name).join(', ')}), ${rounds} rounds of ${n}`);
  const cpu = VALIDATORS.map((): number[] => []);
  const bytes = VALIDATORS.map((): number[] => []);
  const dropped = VALIDATORS.map(() => 0);
  for (let i = 0; i < 10; i++) for (const [, validate] of VALIDATORS) batch(validate); // warm-up (JIT)
  for (let r = 0; r < rounds; r++) {
    for (const [v, [, validate]] of VALIDATORS.entries()) {
      gcs = [];
      const [us, b, from, to] = batch(validate);
      await new Promise((resolve) => setImmediate(resolve));
      // The explicit gc() happens before `from`; any collection inside the window spoils the allocation figure.
      if (gcs.some((t) => t >= from && t <= to)) dropped[v]++;
      else bytes[v].push(b);
      cpu[v].push(us);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [v, [name]] of VALIDATORS.entries()) {
    const perMessage = (us: number) => `${(us / n).toFixed(2)} µs`;
    const allocated =
      bytes[v].length === 0 ? 'every round saw a GC' : `${Math.round(median(bytes[v]) / n)} bytes allocated`;
    console.log(
      `${name.padEnd(20)} CPU median ${perMessage(median(cpu[v]))}, best ${perMessage(Math.min(...cpu[v]))}; ` +
        `${allocated} a message (median; ${dropped[v]} rounds with a GC left out)`,
    );
  }
}

void main();
