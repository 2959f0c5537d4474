/**
 * `npm run soak [-- --calls N --seed S]`: the randomized simulation at scale (default 100,000 calls), in
 * batches of 1,000 concurrent calls, each batch seeded from S. Ends with
 * `soak: <calls> calls, <violations> violations, seed <seed>, <rate> calls/s` and exits non-zero on any
 * violation (printing the first ones, each naming its batch seed so it can be replayed alone).
 */
import { simulate } from '../test/sim/simulation';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`soak: --${name} needs a positive integer, got ${process.argv[i + 1]}`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  const total = option('calls', 100_000);
  const seed = option('seed', Math.floor(Math.random() * 2 ** 31));
  const batch = 1000;
  const started = performance.now();
  let calls = 0;
  let events = 0;
  const violations: string[] = [];
  for (let i = 0; calls < total; i++) {
    const size = Math.min(batch, total - calls);
    const result = await simulate({ seed: (seed + i * 0x9e3779b1) >>> 0 || 1, calls: size });
    calls += result.calls;
    events += result.events;
    violations.push(...result.violations);
    if (i % 10 === 9) console.log(`  ${calls} calls, ${events} callbacks, ${violations.length} violations`);
  }
  const rate = Math.round((calls * 1000) / (performance.now() - started));
  for (const v of violations.slice(0, 20)) console.log(`violation: ${v}`);
  console.log(`soak: ${calls} calls, ${violations.length} violations, seed ${seed}, ${rate} calls/s`);
  process.exitCode = violations.length === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
