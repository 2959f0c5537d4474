// Microbenchmark of src/sip/validate.ts on the messages Switchboard receives in one benchmark call
// (test/support/sipCallMessages.ts): µs of CPU and bytes allocated per validated message.
// Run: node -r esbuild-register bench/sipValidate.ts [rounds]   (re-runs itself with --expose-gc and a 64 MB
// young generation, so that no scavenge falls inside a measured batch; batches that saw a GC are not counted.)
import { spawnSync } from 'node:child_process';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { validateMessage } from '../src/sip/validate';
import { CALL_MESSAGES as MESSAGES } from '../test/support/sipCallMessages';

const FLAGS = ['--expose-gc', '--max-semi-space-size=64', '--min-semi-space-size=64'];
if (typeof global.gc !== 'function') {
  const r = spawnSync(process.execPath, [...FLAGS, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}

for (const [name, m] of MESSAGES) {
  const v = validateMessage(m);
  if (!v.ok) throw new Error(`${name} refused: ${v.reason}`);
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
  for (let i = 0; i < BATCH; i++) for (const [, m] of MESSAGES) validateMessage(m);
  const used = process.cpuUsage(cpu);
  const bytes = process.memoryUsage().heapUsed - heap;
  return [used.user + used.system, bytes, start, performance.now()];
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 40);
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
  const n = BATCH * MESSAGES.length;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const min = (xs: number[]) => Math.min(...xs);
  console.log(`${MESSAGES.length} messages (${MESSAGES.map(([name]) => name).join(', ')}), ${rounds} rounds of ${n}`);
  console.log(`CPU per message:   median ${(median(cpu) / n).toFixed(2)} µs, best ${(min(cpu) / n).toFixed(2)} µs`);
  if (bytes.length === 0) console.log(`bytes per message: every round saw a GC (${dropped})`);
  else console.log(`bytes per message: median ${Math.round(median(bytes) / n)} (${dropped} rounds with a GC left out)`);
}

void main();
