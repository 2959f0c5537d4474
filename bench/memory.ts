/**
 * Memory probe, run in its own process by bench/run.ts: N concurrent answered calls, each with a pending
 * timer (the far end's hang-up in an hour), then RSS and heap. Prints one JSON line.
 */
import { createSwitchboard, SimulatedClock } from '../src';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 10_000);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const sb = createSwitchboard({ clock: new SimulatedClock() });
  sb.network.addEndpoint('+15557770000', { outcome: 'answer', ringFor: 0, hangUpAfter: 3600 });
  gc();
  const before = process.memoryUsage();
  const channels = [];
  for (let i = 0; i < n; i++) {
    const channel = sb.createChannel();
    channels.push(channel);
    await channel.call('+15557770000', { from: '+15550001111' });
  }
  gc();
  const after = process.memoryUsage();
  const stats = sb.stats();
  if (stats.legs !== n || stats.timers < n)
    throw new Error(`expected ${n} live legs with timers, got ${JSON.stringify(stats)}`);
  sb.close();
  console.log(
    JSON.stringify({
      calls: n,
      rss_bytes: after.rss,
      heap_used_bytes: after.heapUsed,
      bytes_per_call: Math.round((after.rss - before.rss) / n),
      heap_bytes_per_call: Math.round((after.heapUsed - before.heapUsed) / n),
      live_legs: stats.legs,
      pending_timers: stats.timers,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
