/**
 * The `sip` group of `npm run bench`: SIPp as caller (UAC) and far end (UAS) on loopback, in one run, against
 * - Kamailio 5.6 as a stateful proxy (bench/sip/kamailio.cfg: tm, t_relay, record-routed), the UAC sending its
 *   INVITE for the UAS through it (`-rsa`);
 * - the minimal B2BUA with no engine (bench/sipBareB2bua.ts);
 * - Switchboard (createSipNetwork + createSwitchboard, the application of bench/sip/sut.ts: answer, then
 *   transfer to the UAS, which bridges the caller to it), and the row-1a retrievable-transfer call.
 * Each system's figure is the highest rate found by a short search (searchMaxRate) at which every call of a
 * step (rate × STEP_SECONDS calls) succeeds on both SIPp sides in time. Call-setup times come from SIPp's
 * `-trace_rtt` at that rate. Last, 10,000 concurrent calls are held through Switchboard, and its process's RSS
 * is read before and after. Every process started here is stopped, and every port was a free one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../../src/sip/sipJsStack';
import { boundOn127002, findSipp } from '../../test/support/sipp';
import { Phases } from '../phases';
import { kamailios, startKamailio } from './kamailio';
import { parseRtt, parseSippCounts, percentile, searchMaxRate, type SippCounts } from './sippResults';

/** Seconds of calls offered per search step. */
const STEP_SECONDS = 3;
const HELD_CALLS = 10_000;
const WARM_UP_RATE = 20;

const children = new Set<ChildProcess>();

interface SippDone {
  code: number | null;
  counts: SippCounts;
  output: string;
  rtt: Map<number, number[]>;
  wallMs: number;
}

interface SippOptions {
  calls: number;
  port?: number;
  rate?: number;
  /** host:port of the system under test (UAC only); `rsa` sends there while the Request-URI names `target`. */
  target?: string;
  rsa?: string;
  /** The `-d` of `<pause/>` in ms. */
  durationMs?: number;
  timeoutSeconds?: number;
  rtt?: boolean;
}

interface Sipp {
  port: number;
  child: ChildProcess;
  done: Promise<SippDone>;
}

/** Starts SIPp with a scenario of bench/sip on 127.0.0.2; a server (no target) has bound its port on return. */
async function sipp(scenario: string, o: SippOptions): Promise<Sipp> {
  const port = o.port ?? (await freePort('127.0.0.2'));
  const cwd = mkdtempSync(join(tmpdir(), 'switchboard-sipp-'));
  const args = [
    '-sf',
    join(__dirname, scenario),
    '-i',
    '127.0.0.2',
    '-p',
    String(port),
    '-mp',
    String(await freePort('127.0.0.2')),
    '-m',
    String(o.calls),
    '-nostdin',
    // Socket buffers of 4 MiB (net.core.rmem_max here): the default 64 KiB drops datagrams on a loaded machine.
    '-buff_size',
    String(4 << 20),
    ...(o.timeoutSeconds ? ['-timeout', `${o.timeoutSeconds}s`, '-timeout_error'] : []),
    ...(o.rate ? ['-r', String(o.rate), '-rp', '1000'] : []),
    ...(o.durationMs !== undefined ? ['-d', String(o.durationMs)] : []),
    ...(o.rtt ? ['-trace_rtt', '-rtt_freq', '1'] : []),
    ...(o.rsa ? ['-rsa', o.rsa] : []),
    ...(o.target ? ['-s', 'sut', o.target] : []),
  ];
  const started = performance.now();
  const child = spawn(findSipp(), args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-20_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const done = new Promise<SippDone>((resolve) => {
    child.on('close', (code) => {
      children.delete(child);
      const wallMs = performance.now() - started;
      const rtt = new Map<number, number[]>();
      for (const file of readdirSync(cwd).filter((f) => f.endsWith('_rtt.csv'))) {
        for (const [timer, values] of parseRtt(readFileSync(join(cwd, file), 'utf8'))) {
          rtt.set(timer, [...(rtt.get(timer) ?? []), ...values]);
        }
      }
      rmSync(cwd, { recursive: true, force: true });
      resolve({ code, counts: parseSippCounts(output), output, rtt, wallMs });
    });
  });
  if (!o.target) await boundOn127002(port, 'udp', child);
  return { port, child, done };
}

interface SutStats {
  rss: number;
  heap: number;
  /** CPU time (user + system) of the process so far, µs. */
  cpuUs: number;
  legs: number;
  dialogs: number;
  errors: number;
  callbacks: number;
}

/** bench/sip/sut.ts in a process of its own (SIP_BENCH_CPU_PROF=dir writes a CPU profile there). */
class SutProcess {
  private readonly replies: ((line: string) => void)[] = [];
  private readonly closed: Promise<void>;
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    lines: AsyncIterator<string>,
  ) {
    this.closed = new Promise((resolve) => child.on('close', () => resolve()));
    void (async () => {
      for (;;) {
        const next = await lines.next();
        if (next.done) return;
        this.replies.shift()?.(next.value);
      }
    })();
  }

  static async start(mode: 'switchboard' | 'transfer' | 'bare', farEndPort: number): Promise<SutProcess> {
    const profile = process.env.SIP_BENCH_CPU_PROF;
    const flags = ['--expose-gc', ...(profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [])];
    const child = spawn(
      process.execPath,
      [...flags, '-r', 'esbuild-register', join(__dirname, 'sut.ts'), mode, String(farEndPort)],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    children.add(child);
    child.on('close', () => children.delete(child));
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) throw new Error(`bench/sip/sut.ts ${mode} exited before listening`);
    return new SutProcess(child, (JSON.parse(first.value) as { port: number }).port, lines);
  }

  /** Its figures; `gc` first runs a full GC (for RSS and heap), which stalls it while calls are up. */
  stats(gc = false): Promise<SutStats> {
    return new Promise((resolve) => {
      this.replies.push((line) => resolve(JSON.parse(line) as SutStats));
      this.child.stdin!.write(gc ? 'stats\n' : 'count\n');
    });
  }

  /** Waits until no leg or dialog is left (up to `ms`); false if some still are. */
  async idle(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      const s = await this.stats();
      if (s.legs === 0 && s.dialogs === 0) return true;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Ends its stdin (it closes the switchboard and exits); killed after `ms`. */
  async stop(ms = 10_000): Promise<void> {
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), ms);
    await this.closed;
    clearTimeout(timer);
  }
}

async function stopSipp(s: Sipp, graceMs: number): Promise<SippDone> {
  const timer = setTimeout(() => s.child.kill('SIGTERM'), graceMs);
  const done = await s.done;
  clearTimeout(timer);
  return done;
}

interface System {
  name: string;
  uac: string;
  uas: string;
  uasPort: number;
  /** Where the UAC sends: straight to the system, or to the proxy with the UAS as Request-URI. */
  route: { target: string; rsa?: string };
  /** After a step: true when the system is clean again (a B2BUA with no leg left). */
  settle(passed: boolean): Promise<void>;
  /** CPU time of the system's process so far, µs (B2BUAs only). */
  cpuUs?(): Promise<number>;
}

interface Measured {
  rate: number;
  trials: { rate: number; ok: boolean }[];
  /** SIPp's RTD timers at the highest passing rate (1: INVITE to 200; 2: INVITE to the bridging re-INVITE). */
  rtt: Map<number, number[]>;
  /** The system's CPU per call at that rate, µs (B2BUAs only; NaN otherwise). */
  cpuUsPerCall: number;
}

/** Offers rate × STEP_SECONDS calls; ok when both SIPp sides report every call successful, in time. */
interface Offered {
  ok: boolean;
  why: string;
  rtt: Map<number, number[]>;
  /** The system's CPU per call during the step, µs (NaN when unknown). */
  cpuUsPerCall: number;
}

async function offer(system: System, rate: number): Promise<Offered> {
  const calls = rate * STEP_SECONDS;
  const cpuBefore = (await system.cpuUs?.()) ?? NaN;
  // Room for retransmissions to repair a lost datagram; a system that cannot keep up times out.
  const timeoutSeconds = STEP_SECONDS + 10;
  const uas = await sipp(system.uas, { calls, port: system.uasPort, timeoutSeconds });
  const uac = await sipp(system.uac, { calls, rate, timeoutSeconds, rtt: true, ...system.route });
  const c = await uac.done;
  const s = await stopSipp(uas, c.code === 0 ? 3000 : 500);
  const cpuUsPerCall = (((await system.cpuUs?.()) ?? NaN) - cpuBefore) / calls;
  const seconds = c.wallMs / 1000;
  const ok = c.code === 0 && s.code === 0 && c.counts.failed === 0 && c.counts.successful === calls;
  const why = `${c.counts.successful}/${calls} ok, ${c.counts.failed} failed, ${seconds.toFixed(1)} s, exit ${c.code}/${s.code}`;
  return { ok, why, rtt: c.rtt, cpuUsPerCall };
}

/** One search step: the calls, then the system made clean again. */
async function step(system: System, rate: number): Promise<Offered> {
  const r = await offer(system, rate);
  await system.settle(r.ok);
  return r;
}

async function measure(system: System, start: number, log: (line: string) => void): Promise<Measured> {
  let rtt = new Map<number, number[]>();
  let cpuUsPerCall = NaN;
  let best = 0;
  const why = new Map<number, string>();
  await system.settle(false); // a fresh, warmed-up system
  const search = await searchMaxRate(
    async (rate) => {
      const r = await step(system, rate);
      if (r.ok && rate > best) [best, rtt, cpuUsPerCall] = [rate, r.rtt, r.cpuUsPerCall];
      why.set(rate, r.why);
      return r.ok;
    },
    { start, max: 6400, refine: 3 },
  );
  const trials = search.trials.map((t) => `${t.rate}${t.ok ? '' : ` (failed: ${why.get(t.rate)})`}`).join(', ');
  log(`  ${system.name}: ${search.rate} calls/s with 0 failed calls (steps: ${trials})`);
  return { ...search, rtt, cpuUsPerCall };
}

/**
 * A B2BUA system whose process is restarted after a failed step (calls of an overload may linger), then warmed
 * up (its JIT) with WARM_UP_RATE calls/s for STEP_SECONDS before it is measured again.
 */
async function b2buaSystem(
  name: string,
  mode: 'switchboard' | 'transfer' | 'bare',
  uac: string,
  uas: string,
): Promise<{ system: System; stop: () => Promise<void> }> {
  const uasPort = await freePort('127.0.0.2');
  let sut = await SutProcess.start(mode, uasPort);
  const system: System = {
    name,
    uac,
    uas,
    uasPort,
    route: { target: `127.0.0.1:${sut.port}` },
    settle: async (passed) => {
      if (passed && (await sut.idle(5000))) return;
      await sut.stop(2000);
      sut = await SutProcess.start(mode, uasPort);
      system.route = { target: `127.0.0.1:${sut.port}` };
      await offer(system, WARM_UP_RATE);
      await sut.idle(5000);
    },
    cpuUs: async () => (await sut.stats()).cpuUs,
  };
  return { system, stop: () => sut.stop() };
}

/**
 * HELD_CALLS concurrent calls through Switchboard (the caller pauses an hour before its BYE). SIPp offers 25%
 * more, since on a loaded machine some setups fail; RSS is read once HELD_CALLS calls are up (both dialogs), or
 * when the offer is over with fewer (at least half; the count is reported).
 */
export async function held(rate: number, log: (line: string) => void): Promise<Record<string, number>> {
  const uasPort = await freePort('127.0.0.2');
  const sut = await SutProcess.start('switchboard', uasPort);
  const before = await sut.stats(true);
  const offered = Math.round(HELD_CALLS * 1.25);
  const uas = await sipp('uas.xml', { calls: offered, port: uasPort });
  const uac = await sipp('uac-b2bua.xml', {
    calls: offered,
    rate,
    durationMs: 3_600_000,
    target: `127.0.0.1:${sut.port}`,
  });
  try {
    const deadline = Date.now() + (offered / rate) * 1000 + 30_000;
    let now = before;
    while (now.legs < 2 * HELD_CALLS || now.dialogs < 2 * HELD_CALLS) {
      if (Date.now() > deadline || uac.child.exitCode !== null) {
        if (Math.min(now.legs, now.dialogs) >= HELD_CALLS) break;
        throw new Error(`held calls: only ${now.legs} legs, ${now.dialogs} dialogs up (${JSON.stringify(now)})`);
      }
      await new Promise((r) => setTimeout(r, 500));
      now = await sut.stats();
    }
    now = await sut.stats(true);
    const calls = Math.min(now.legs, now.dialogs) / 2;
    const perCall = Math.round((now.rss - before.rss) / calls);
    const heapPerCall = Math.round((now.heap - before.heap) / calls);
    log(
      `  ${calls} concurrent calls held through Switchboard at ${rate} calls/s (${now.legs} legs, ${now.dialogs} dialogs; ${now.errors} setups failed): RSS ${(before.rss / 2 ** 20).toFixed(0)} → ${(now.rss / 2 ** 20).toFixed(0)} MiB, ${perCall} B/call RSS, ${heapPerCall} B/call heap`,
    );
    return {
      'sip.held_calls': calls,
      'sip.held_failed_setups': now.errors,
      'sip.held_rss_bytes_before': before.rss,
      'sip.held_rss_bytes_10k': now.rss,
      'sip.rss_bytes_per_call_10k': perCall,
      'sip.held_heap_bytes_per_call': heapPerCall,
    };
  } finally {
    await stopSipp(uac, 0);
    await stopSipp(uas, 0);
    await sut.stop();
  }
}

const ms = (values: number[] | undefined, p: number) => Number(percentile(values ?? [], p).toFixed(1));

/** Kills what is still running when the bench exits or is interrupted (Kamailio, SIPp, the SUT). */
function killChildrenOnExit(): () => void {
  const kill = () => {
    for (const child of children) child.kill('SIGKILL');
    // SIGTERM: Kamailio's main process then ends its workers (killed with SIGKILL, it would orphan them).
    for (const child of kamailios) child.kill('SIGTERM');
  };
  const interrupted = () => process.exit(130);
  process.on('exit', kill);
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  return () => {
    process.off('exit', kill);
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  };
}

export async function sipBench(log: (line: string) => void): Promise<Record<string, number>> {
  const stops: (() => Promise<void>)[] = [];
  const unhook = killChildrenOnExit();
  // Each system is a phase of its own: one that fails is marked `sip.PHASE_failed: 1`, and the others still report.
  const phases = new Phases(log);
  const out: Record<string, number> = {};
  const ratio = (a: number, b: number) => Number((b > 0 ? a / b : 0).toFixed(3));
  /** Measures one B2BUA system in a process of its own, stopped afterwards. */
  const b2bua = async (
    name: string,
    mode: 'switchboard' | 'transfer' | 'bare',
    uac: string,
    uas: string,
    start: number,
  ) => {
    const b = await b2buaSystem(name, mode, uac, uas);
    stops.push(b.stop);
    try {
      return await measure(b.system, start, log);
    } finally {
      await b.stop();
      stops.pop();
    }
  };
  try {
    log(`sip: SIPp UAC and UAS on 127.0.0.2, ${STEP_SECONDS} s of calls per step; highest rate with 0 failed calls`);
    const proxy = await phases.run('kamailio', async () => {
      const kamailio = await startKamailio();
      stops.push(kamailio.stop);
      try {
        const kamUas = await freePort('127.0.0.2');
        return await measure(
          {
            name: `Kamailio stateful proxy (${kamailio.version})`,
            uac: 'uac-proxy.xml',
            uas: 'uas.xml',
            uasPort: kamUas,
            route: { target: `127.0.0.2:${kamUas}`, rsa: `127.0.0.1:${kamailio.port}` },
            settle: async () => {},
          },
          200,
          log,
        );
      } finally {
        await kamailio.stop();
        stops.pop();
      }
    });
    const bare = await phases.run('bare_b2bua', () =>
      b2bua('bare B2BUA (same SIP stack, no engine)', 'bare', 'uac-b2bua.xml', 'uas.xml', 100),
    );
    const sb = await phases.run('switchboard', () =>
      b2bua('Switchboard (answer, transfer: bridged)', 'switchboard', 'uac-b2bua.xml', 'uas.xml', 100),
    );
    const tr = await phases.run('transfer', () =>
      b2bua('Switchboard, row 1a', 'transfer', 'uac-transfer.xml', 'uas-hangup.xml', 50),
    );
    if (proxy) {
      out['sip.kamailio_cps'] = proxy.rate;
      out['sip.kamailio_setup_p50_ms'] = ms(proxy.rtt.get(1), 50);
      out['sip.kamailio_setup_p99_ms'] = ms(proxy.rtt.get(1), 99);
      log(
        `  Kamailio at ${proxy.rate} calls/s: INVITE to 200 p50 ${ms(proxy.rtt.get(1), 50)} ms, p99 ${ms(proxy.rtt.get(1), 99)} ms`,
      );
    }
    if (bare) {
      out['sip.bare_b2bua_cps'] = bare.rate;
      out['sip.bare_b2bua_cpu_us_per_call'] = Math.round(bare.cpuUsPerCall);
      out['sip.bare_b2bua_setup_p50_ms'] = ms(bare.rtt.get(1), 50);
      out['sip.bare_b2bua_setup_p99_ms'] = ms(bare.rtt.get(1), 99);
      log(
        `  bare B2BUA at ${bare.rate} calls/s: INVITE to 200 p50 ${ms(bare.rtt.get(1), 50)} ms, p99 ${ms(bare.rtt.get(1), 99)} ms; CPU per call ${bare.cpuUsPerCall.toFixed(0)} µs`,
      );
    }
    if (sb) {
      const setup = sb.rtt.get(1);
      const connect = sb.rtt.get(2);
      Object.assign(out, {
        'sip.cps': sb.rate,
        'sip.cpu_us_per_call': Math.round(sb.cpuUsPerCall),
        'sip.setup_p50_ms': ms(setup, 50),
        'sip.setup_p99_ms': ms(setup, 99),
        'sip.connect_p50_ms': ms(connect, 50),
        'sip.connect_p99_ms': ms(connect, 99),
      });
      log(
        `  call setup through Switchboard at ${sb.rate} calls/s: INVITE to 200 p50 ${ms(setup, 50)} ms, p99 ${ms(setup, 99)} ms; INVITE to bridged (re-INVITE with the far end's SDP) p50 ${ms(connect, 50)} ms, p99 ${ms(connect, 99)} ms; CPU per call ${sb.cpuUsPerCall.toFixed(0)} µs`,
      );
      if (proxy) out['sip.ratio_vs_kamailio'] = ratio(sb.rate, proxy.rate);
      if (bare) {
        out['sip.ratio_vs_bare_b2bua'] = ratio(sb.rate, bare.rate);
        out['sip.cpu_ratio_bare_vs_switchboard'] = ratio(bare.cpuUsPerCall, sb.cpuUsPerCall);
      }
      log(
        `  ratios: vs Kamailio ${out['sip.ratio_vs_kamailio'] ?? '-'} (target >= 0.5), vs bare B2BUA ${out['sip.ratio_vs_bare_b2bua'] ?? '-'} (target >= 0.8); CPU per call bare / Switchboard ${out['sip.cpu_ratio_bare_vs_switchboard'] ?? '-'}`,
      );
    }
    if (tr) {
      out['sip.transfer_cps'] = tr.rate;
      out['sip.transfer_cpu_us_per_call'] = Math.round(tr.cpuUsPerCall);
    }
    const heldRate = Math.max(50, Math.round(((sb?.rate ?? 100) * 0.8) / 10) * 10);
    out['sip.held_cps'] = heldRate;
    Object.assign(out, await phases.run('held', () => held(heldRate, log)));
    for (const name of Object.keys(phases.failed)) out[`sip.${name}_failed`] = 1;
    return out;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    for (const child of children) child.kill('SIGKILL');
    unhook();
  }
}
