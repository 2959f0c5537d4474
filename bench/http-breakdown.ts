/**
 * `npm run bench:http-breakdown`: where the agent operation's HTTP time goes. Each variant runs alone in a
 * process of its own (so one variant's garbage and JIT state cannot tax another), loaded by autocannon in a
 * third process with the settings of `npm run bench`. Variants, one after the other, in interleaved rounds:
 *
 * - bare:        the baseline, a bare fastify route returning {"statusCode":0};
 * - protected:   the same route with only the API's protections (Basic auth, schema, safe JSON);
 * - no-engine:   the real server and route, with `AgentDevice.operation` answering {"statusCode":0} at once;
 * - no-chart:    the real operation (lookup, validation, capability check, turn) with the chart's step,
 *                `AgentCall.send`, made a no-op. The desk notification is triggered by the chart's step,
 *                so it goes too;
 * - minimal-chart: `AgentCall.send` replaced by one event to the smallest XState actor that keeps user data
 *                (one `assign`, no emits, so no notification either);
 * - no-notify:   the real operation with the desk notification (`AgentDevice.notify`) made a no-op;
 * - agent:       the real operation, as `npm run bench` measures it.
 *
 * For each it reports req/s, the ratio to bare of the same round, and the server's CPU per request (user +
 * system from /proc/<pid>/stat over the measured window): the server is the saturated side, so req/s is
 * close to 1 / (its CPU per request). Options: `--rounds N` (3), `--seconds S` (5), `--json`.
 * A server exits when this process's pipe to it closes, so none outlives an interrupted run.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { wholeNumberOption } from './args';
import { median } from './stats';
import { agentServer, bareServer, benchAuth, benchConfig, cannon, protectedServer } from './http';
import { minimalUserDataActor } from './scenarios';
import { AgentCall } from '../src/engine/agent/call';
import { AgentDevice } from '../src/engine/agent/device';

const VARIANTS = ['bare', 'protected', 'no-engine', 'no-chart', 'minimal-chart', 'no-notify', 'agent'] as const;
type Variant = (typeof VARIANTS)[number];

/** Child mode: serve one variant, print `READY <url>`, and serve until stdin closes (the parent is gone). */
async function serve(variant: Variant): Promise<void> {
  process.stdin.on('end', () => process.exit(0)).resume();
  if (!VARIANTS.includes(variant)) throw new Error(`--serve takes one of ${VARIANTS.join(', ')}`);
  const config = benchConfig();
  let url: string;
  if (variant === 'bare') url = await bareServer();
  else if (variant === 'protected') url = await protectedServer(config);
  else {
    const agent = await agentServer(config); // set up first: the ablations apply to the measured requests only
    if (variant === 'no-engine') AgentDevice.prototype.operation = async () => ({ statusCode: 0 });
    if (variant === 'no-chart') AgentCall.prototype.send = () => undefined;
    if (variant === 'no-notify') AgentDevice.prototype.notify = () => undefined;
    if (variant === 'minimal-chart') {
      // The chart's step replaced by one event to the smallest XState actor that keeps user data.
      const minimal = minimalUserDataActor();
      AgentCall.prototype.send = (event) => minimal.send(event);
    }
    url = agent.url;
  }
  console.log(`READY ${url}`);
}

/** Clock ticks per second of /proc's CPU times (USER_HZ). */
const TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User + system CPU of a process so far (all its threads), in microseconds. */
function cpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // after "pid (comm) ": field 3 onwards
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
  return (ticks * 1e6) / TICKS_PER_S;
}

async function started(variant: Variant): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['-r', 'esbuild-register', __filename, '--serve', variant], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => line.startsWith('READY ') && resolve(line.slice(6)));
    child.on('exit', (code) => reject(new Error(`${variant} server exited with ${code}`)));
  });
  return { child, url };
}

async function measure(variant: Variant, seconds: number) {
  const { child, url } = await started(variant);
  const headers = variant === 'bare' ? {} : benchAuth;
  try {
    await cannon(url, headers, 1); // warm-up
    const before = cpuUs(child.pid as number);
    const run = await cannon(url, headers, seconds);
    return {
      rps: run.rps,
      p99: run.p99,
      cpuUsPerRequest: (cpuUs(child.pid as number) - before) / Math.max(1, run.total),
    };
  } finally {
    if (running.has(child)) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin?.end(); // the server exits when its stdin closes
      await exited; // one server at a time: the next starts only once this one is gone
    }
  }
}

/** Servers started and not yet exited (killed if this process is interrupted). */
const running = new Set<ChildProcess>();
function killServersOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      for (const child of running) child.kill('SIGTERM');
      process.exit(130);
    });
  }
}

async function main(): Promise<void> {
  killServersOnSignals();
  const rounds = wholeNumberOption('--rounds', 3);
  const seconds = wholeNumberOption('--seconds', 5);
  const json = process.argv.includes('--json');
  const runs = new Map<Variant, { rps: number; ratio: number; cpu: number }[]>(VARIANTS.map((v) => [v, []]));
  for (let round = 0; round < rounds; round++) {
    let bare = 0;
    for (const variant of VARIANTS) {
      const run = await measure(variant, seconds);
      if (variant === 'bare') bare = run.rps;
      runs.get(variant)?.push({ rps: run.rps, ratio: run.rps / bare, cpu: run.cpuUsPerRequest });
      if (!json)
        console.log(
          `round ${round + 1}: ${variant.padEnd(10)} ${run.rps.toFixed(0).padStart(6)} req/s, ratio ${(run.rps / bare).toFixed(2)}, server CPU ${run.cpuUsPerRequest.toFixed(1)} µs/request`,
        );
    }
  }
  const summary: Record<string, number> = {};
  for (const [variant, list] of runs) {
    summary[`${variant}.ops_per_s`] = Math.round(median(list.map((r) => r.rps)));
    summary[`${variant}.ratio_vs_fastify`] = Number(median(list.map((r) => r.ratio)).toFixed(3));
    summary[`${variant}.server_cpu_us_per_op`] = Number(median(list.map((r) => r.cpu)).toFixed(1));
  }
  if (json) {
    console.log(JSON.stringify({ results: summary, rounds, seconds }));
    return;
  }
  console.log(`\nmedians over ${rounds} round(s) of ${seconds} s:`);
  console.log('| variant | req/s | ratio vs bare | server CPU µs/request |\n|---|---|---|---|');
  for (const variant of VARIANTS) {
    console.log(
      `| ${variant} | ${summary[`${variant}.ops_per_s`]} | ${summary[`${variant}.ratio_vs_fastify`]} | ${summary[`${variant}.server_cpu_us_per_op`]} |`,
    );
  }
}

const serveAt = process.argv.indexOf('--serve');
const run = serveAt >= 0 ? serve(process.argv[serveAt + 1] as Variant) : main();
run.catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
