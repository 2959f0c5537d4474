/**
 * Kamailio 5.6 for the SIP benchmark's baseline: finds `kamailio` (installs Debian's package once when missing and
 * root, under the apt lock of test/support/aptLock.ts) and runs bench/sip/kamailio.cfg on a free port of 127.0.0.1
 * in the foreground (`-DD -E -m 1024`), with its runtime files in a temporary directory.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/sip/sipJsStack';
import { withAptLock } from '../../test/support/aptLock';

/** Every Kamailio started here, for the bench's exit handler. */
export const kamailios = new Set<ChildProcess>();

function which(command: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function findKamailio(): string {
  let found = which('kamailio');
  if (!found && process.getuid?.() === 0) {
    found = withAptLock(() => {
      const again = which('kamailio');
      if (again) return again;
      execFileSync(
        'sh',
        ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kamailio'],
        {
          stdio: 'ignore',
        },
      );
      return which('kamailio');
    });
  }
  if (!found) throw new Error('kamailio not found: install the Debian package kamailio (5.6)');
  return found;
}

export interface Kamailio {
  port: number;
  /** Kamailio's version line (`kamailio 5.6.3 (x86_64/linux)`). */
  version: string;
  stop(): Promise<void>;
}

/** Starts the proxy; resolves once it listens (its "Listening on" banner), rejects if it exits first. */
export async function startKamailio(): Promise<Kamailio> {
  const bin = findKamailio();
  const version = /kamailio [\d.]+ \([^)]*\)/.exec(execFileSync(bin, ['-v'], { encoding: 'utf8' }))?.[0] ?? 'kamailio';
  const port = await freePort('127.0.0.1');
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-kamailio-'));
  const args = ['-f', join(__dirname, 'kamailio.cfg'), '-DD', '-E', '-m', '1024', '-l', `udp:127.0.0.1:${port}`];
  const child = spawn(bin, [...args, '-Y', dir, '-w', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  kamailios.add(child);
  let log = '';
  const exited = new Promise<void>((resolve) =>
    child.on('close', () => {
      kamailios.delete(child);
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    const read = (d: Buffer) => {
      log = (log + d.toString()).slice(-4000);
      if (/Listening on/.test(log)) resolve();
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    void exited.then(() => reject(new Error(`kamailio exited: ${log.slice(-2000)}`)));
  });
  return {
    port,
    version,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
