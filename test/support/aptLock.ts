// One machine-wide lock for the test helpers that install Debian packages when missing (redis-server, sip-tester):
// parallel Jest workers would otherwise run apt-get at once, and dpkg refuses a second one ("Could not get lock").
// The lock is a directory (mkdir is atomic); one older than an install could take was left by a killed process.
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const APT_LOCK = join(tmpdir(), 'switchboard-apt-install.lock');
const STALE_MS = 10 * 60_000;

/** Runs `fn` holding the lock, waiting (blocking this worker) while another process holds it. */
export function withAptLock<T>(fn: () => T, lock = APT_LOCK): T {
  const deadline = Date.now() + STALE_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (Date.now() - statSync(lock).mtimeMs > STALE_MS) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`, { cause: error });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
