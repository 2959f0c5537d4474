/**
 * Timer probe, run in its own process by bench/run.ts.
 * - `simulated N`: N concurrent transfers to a target that never answers, secondsTimeout 30, on the
 *   SimulatedClock; one jump of 30 s; every one must resolve TIMEOUT and emit transferDisconnect(timeout) and
 *   transferComplete(timeout). Prints counts, lost, and the time taken.
 * - `real N`: N concurrent transfers on the real clock; lateness of each timeout (from its
 *   due time to its transferDisconnect) as p50/p99 (secondsTimeout 5, so that setup ends before the first).
 */
import { createSwitchboard, SimulatedClock, State, type Channel } from '../src';

async function setup(n: number, clock: SimulatedClock | undefined, secondsTimeout: number) {
  const sb = createSwitchboard({ clock });
  sb.network.addEndpoint('+1777', { outcome: 'noAnswer' });
  const due = new Map<string, number>();
  const results: Array<Promise<State>> = [];
  const channels: Channel[] = [];
  for (let i = 0; i < n; i++) {
    const { channel } = sb.network.placeCall({ from: `+1555${i}`, to: '+1666' });
    await channel.answer();
    channel.createTonePlayer();
    channels.push(channel);
    due.set(channel.callId as string, (clock ? clock.now() : performance.now()) + secondsTimeout * 1000);
    results.push(channel.retrievableTransfer(sb.createChannel(), '+1777', { secondsTimeout }));
  }
  return { sb, due, results, channels };
}

async function simulated(n: number) {
  const clock = new SimulatedClock();
  const { sb, results, channels } = await setup(n, clock, 30);
  let disconnects = 0;
  let completes = 0;
  sb.on('transferDisconnect', (p) => (disconnects += p.cause === 'timeout' ? 1 : 0));
  sb.on('transferComplete', (p) => (completes += p.cause === 'timeout' ? 1 : 0));
  const started = performance.now();
  clock.increment(30_000);
  const states = await Promise.all(results);
  const ms = performance.now() - started;
  const timedOut = channels.filter((c) => c.transferCause() === 'TIMEOUT').length;
  const resolved = states.filter((s) => s === State.ANSWERED).length;
  const lost = n - Math.min(disconnects, completes, timedOut, resolved);
  console.log(
    JSON.stringify({
      n,
      disconnects,
      completes,
      timedOut,
      resolved,
      lost,
      ms: Math.round(ms),
      timersLeft: sb.stats().timers,
    }),
  );
}

async function real(n: number) {
  // 5 s: setting up N calls does not yield to the event loop, so the first timeout must fall after it.
  const { sb, due, results } = await setup(n, undefined, 5);
  const lateness: number[] = [];
  sb.on('transferDisconnect', (p) => lateness.push(performance.now() - (due.get(p.parentCallId) ?? 0)));
  await Promise.all(results);
  lateness.sort((a, b) => a - b);
  const q = (p: number) => Number(lateness[Math.min(lateness.length - 1, Math.floor(p * lateness.length))].toFixed(2));
  sb.close();
  console.log(
    JSON.stringify({ n, fired: lateness.length, p50: q(0.5), p99: q(0.99), max: Number(lateness.at(-1)?.toFixed(2)) }),
  );
}

const [mode, count] = process.argv.slice(2);
(mode === 'real' ? real : simulated)(Number(count ?? 1000)).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
