/**
 * The machine-wide install lock of the test helpers (test/support/aptLock.ts): held while `fn` runs, released
 * after it returns or throws, and a lock left by a killed process (older than an install could take) is taken over.
 */
import { existsSync, mkdirSync, mkdtempSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withAptLock } from './support/aptLock';

const lockIn = () => join(mkdtempSync(join(tmpdir(), 'apt-lock-')), 'lock');

test('held while fn runs, released after it returns or throws', () => {
  const lock = lockIn();
  expect(withAptLock(() => existsSync(lock), lock)).toBe(true);
  expect(existsSync(lock)).toBe(false);
  expect(() =>
    withAptLock(() => {
      throw new Error('install failed');
    }, lock),
  ).toThrow('install failed');
  expect(existsSync(lock)).toBe(false);
});

test('a stale lock left by a killed process is taken over', () => {
  const lock = lockIn();
  mkdirSync(lock);
  const old = (Date.now() - 11 * 60_000) / 1000;
  utimesSync(lock, old, old);
  expect(withAptLock(() => 'installed', lock)).toBe('installed');
  expect(existsSync(lock)).toBe(false);
});
