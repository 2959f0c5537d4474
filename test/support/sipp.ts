// SIPp for the SIP tests: finds `sipp` (installs Debian's sip-tester once when missing and root), runs a committed
// scenario (test/sip/scenarios) on a free port of 127.0.0.2 against us, and returns its verdict and call counts.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/sip/sipJsStack';
import { withAptLock } from './aptLock';

let sippPath: string | undefined;

export function findSipp(): string {
  if (sippPath) return sippPath;
  const which = () => {
    try {
      return execFileSync('sh', ['-c', 'command -v sipp'], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      return undefined;
    }
  };
  let found = which();
  if (!found && process.getuid?.() === 0) {
    found = withAptLock(() => {
      const again = which(); // another worker may have installed it meanwhile
      if (again) return again;
      execFileSync(
        'sh',
        ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester'],
        {
          stdio: 'ignore',
        },
      );
      return which();
    });
  }
  if (!found) throw new Error('sipp not found: install the Debian package sip-tester (SIPp 3.6.1)');
  sippPath = found;
  return found;
}

export interface SippResult {
  /** SIPp's exit code: 0 when every call succeeded. */
  code: number | null;
  successful: number;
  failed: number;
  output: string;
}

export interface SippRun {
  /** SIPp's own port on 127.0.0.2. */
  port: number;
  done: Promise<SippResult>;
}

/** Starts SIPp with `scenario` (a file in test/sip/scenarios), as caller of `target` or (target undefined) server. */
export async function startSipp(
  scenario: string,
  options: {
    target?: string;
    transport?: 'udp' | 'tcp';
    calls?: number;
    extra?: string[];
    port?: number;
    timeoutSeconds?: number;
  } = {},
): Promise<SippRun> {
  // SIPp takes its ports after we picked them free (its main port, and -mp and -mp + 2 for audio and video):
  // another process may bind one meanwhile, and SIPp exits 254 with "Unable to bind" before sending anything.
  // Such a run is started again on new ports (a fixed `port` is the caller's to keep, so not then).
  const retry = (result: SippResult) => options.port === undefined && /Unable to bind/.test(result.output);
  let run = await spawnSipp(scenario, options);
  for (let attempt = 1; !options.target && attempt < 5; attempt++) {
    if ((await run.started) || !retry(await run.done)) break;
    run = await spawnSipp(scenario, options);
  }
  if (!options.target) return { port: run.port, done: run.done };
  const first = run;
  const done = (async () => {
    let result = await first.done;
    for (let attempt = 1; attempt < 5 && retry(result); attempt++)
      result = await (await spawnSipp(scenario, options)).done;
    return result;
  })();
  return { port: first.port, done };
}

async function spawnSipp(
  scenario: string,
  options: Parameters<typeof startSipp>[1] & object,
): Promise<SippRun & { started: Promise<boolean> }> {
  const port = options.port ?? (await freePort('127.0.0.2'));
  const args = [
    '-sf',
    join(__dirname, '../sip/scenarios', scenario),
    '-i',
    '127.0.0.2',
    '-p',
    String(port),
    '-m',
    String(options.calls ?? 1),
    '-t',
    options.transport === 'tcp' ? 't1' : 'u1',
    '-nostdin',
    '-timeout',
    `${options.timeoutSeconds ?? 15}s`,
    '-timeout_error',
    '-mp',
    String(await freePort('127.0.0.2')),
    '-s',
    'sut',
    ...(options.extra ?? []),
    ...(options.target ? [options.target] : []),
  ];
  // SIPP_TRACE_DIR=/tmp/x keeps SIPp's message and error traces there (for debugging a scenario).
  const traceDir = process.env.SIPP_TRACE_DIR;
  if (traceDir) args.push('-trace_msg', '-trace_err');
  const child = spawn(findSipp(), args, { stdio: ['ignore', 'pipe', 'pipe'], ...(traceDir ? { cwd: traceDir } : {}) });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<SippResult>((resolve) => {
    child.on('close', (code) => {
      const count = (label: string) => {
        const m = new RegExp(`${label}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`).exec(output);
        return m ? Number(m[1]) : 0;
      };
      resolve({ code, successful: count('Successful call'), failed: count('Failed call'), output });
    });
  });
  // A server scenario must have bound its port before we call it (on a loaded machine that takes a while).
  // Whether it is running: a server once it has bound its port (false when it exited instead).
  const started = options.target
    ? Promise.resolve(true)
    : boundOn127002(port, options.transport === 'tcp' ? 'tcp' : 'udp', child).then(() => child.exitCode === null);
  return { port, done, started };
}

/** Waits until a socket of this machine is bound (UDP) or listening (TCP) on 127.0.0.2:port (Linux /proc). */
export async function boundOn127002(port: number, transport: 'udp' | 'tcp', child: ChildProcess): Promise<void> {
  const local = `0200007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const table = readFileSync(`/proc/net/${transport}`, 'utf8').split('\n').slice(1);
    const bound = table.some((line) => {
      const [, address, , state] = line.trim().split(/\s+/);
      return address === local && (transport === 'udp' || state === '0A');
    });
    if (bound || child.exitCode !== null) return;
    if (Date.now() > deadline) throw new Error(`SIPp did not bind ${transport} 127.0.0.2:${port} within 10 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
