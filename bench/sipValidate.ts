// Microbenchmark of src/sip/validate.ts on the messages Switchboard receives in one benchmark call
// (test/support/sipCallMessages.ts): µs of CPU and bytes allocated per validated message, for the validator and
// for its reference from before the allocation-light rewrite (test/support/validateReference.ts).
// Run: node -r esbuild-register bench/sipValidate.ts [rounds]   (re-runs itself for each, with --expose-gc and a
// 64 MB young generation, so that no scavenge falls inside a measured batch; batches that saw a GC are not counted.)
import { spawnSync } from 'node:child_process';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { type Verdict, validateMessage } from '../src/sip/validate';
import { CALL_MESSAGES as MESSAGES } from '../test/support/sipCallMessages';
import * as reference from '../test/support/validateReference';

type Validate = (raw: string) => Verdict;
/** The validator, and the one before the allocation-light rewrite. */
const VALIDATORS: Record<string, Validate> = {
  'src/sip/validate.ts': validateMessage,
  'reference (before)': reference.validateMessage,
};

const FLAGS = ['--expose-gc', '--max-semi-space-size=64', '--min-semi-space-size=64'];
const which = process.env.SIP_VALIDATE_BENCH;
if (typeof global.gc !== 'function' || which === undefined) {
  // One process for each, in turn: sharing a process, the two would make each other's call sites polymorphic.
  for (const name of Object.keys(VALIDATORS)) {
    const r = spawnSync(process.execPath, [...FLAGS, ...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, SIP_VALIDATE_BENCH: name },
    });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  process.exit(0);
}
const validate = VALIDATORS[which];

for (const [name, m] of MESSAGES) {
  const v = validate(m);
  if (!v.ok) throw new Error(`${name} refused by ${which}: ${v.reason}`);
}

let gcs: number[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push(e.startTime);
}).observe({ entryTypes: ['gc'] });

const BATCH = 500;

/** One batch of every message BATCH times: [CPU µs, bytes allocated, performance window]. */
function batch(): [number, number, number, number] {
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
  for (let i = 0; i < 10; i++) batch(); // warm-up (JIT)
  const cpu: number[] = [];
  const bytes: number[] = [];
  let dropped = 0;
  for (let r = 0; r < rounds; r++) {
    gcs = [];
    const [us, b, from, to] = batch();
    await new Promise((resolve) => setImmediate(resolve));
    // The explicit gc() happens before `from`; any collection inside the window spoils the allocation figure.
    if (gcs.some((t) => t >= from && t <= to)) dropped++;
    else bytes.push(b);
    cpu.push(us);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const perMessage = (us: number) => `${(us / n).toFixed(2)} µs`;
  const allocated = bytes.length === 0 ? 'every round saw a GC' : `${Math.round(median(bytes) / n)} bytes allocated`;
  console.log(
    `${which} (${rounds} rounds of ${MESSAGES.length} messages x ${BATCH}): CPU median ${perMessage(median(cpu))}, ` +
      `best ${perMessage(Math.min(...cpu))}; ${allocated} a message (median; ${dropped} rounds with a GC left out)`,
  );
}

void main();
