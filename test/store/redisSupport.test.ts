/**
 * The test support that provides a real redis-server: finding it on PATH, installing the Debian package when
 * missing (as root) or saying which package to install (otherwise), and a server of its own on a free port
 * that leaves no persistence files behind and is gone after stop().
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureRedisServer, findRedisServer, startRedis } from '../support/redis';

describe('finding redis-server', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sb-path-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('not on a PATH without it; found once an executable is there (a plain file is not enough)', () => {
    expect(findRedisServer(dir)).toBeUndefined();
    expect(findRedisServer('')).toBeUndefined();
    writeFileSync(join(dir, 'redis-server'), '#!/bin/sh\n');
    expect(findRedisServer(dir)).toBeUndefined();
    chmodSync(join(dir, 'redis-server'), 0o755);
    expect(findRedisServer(`/nonexistent:${dir}`)).toBe(join(dir, 'redis-server'));
  });

  test('missing and not root: one line naming the Debian package, nothing installed', async () => {
    const install = jest.fn();
    await expect(ensureRedisServer({ pathEnv: dir, isRoot: false, install })).rejects.toThrow(
      /^redis-server not found on PATH: install the Debian package 'redis-server' \(apt-get install -y redis-server\)$/,
    );
    expect(install).not.toHaveBeenCalled();
  });

  test('missing and root: installed once, then found without installing again', async () => {
    const install = jest.fn(() => {
      writeFileSync(join(dir, 'redis-server'), '#!/bin/sh\n');
      chmodSync(join(dir, 'redis-server'), 0o755);
    });
    expect(await ensureRedisServer({ pathEnv: dir, isRoot: true, install })).toBe(join(dir, 'redis-server'));
    expect(await ensureRedisServer({ pathEnv: dir, isRoot: true, install })).toBe(join(dir, 'redis-server'));
    expect(install).toHaveBeenCalledTimes(1);
  });

  test('an install that leaves no redis-server is an error, not a hang', async () => {
    await expect(ensureRedisServer({ pathEnv: dir, isRoot: true, install: () => undefined })).rejects.toThrow(
      /installed the Debian package 'redis-server' but found no redis-server on PATH/,
    );
  });
});

test(
  'a redis-server of its own: answers on loopback, persists nothing, and is gone after stop()',
  async () => {
    const redis = await startRedis();
    const client = redis.client();
    expect(await client.ping()).toBe('PONG');
    expect(await client.config('GET', 'save')).toEqual(['save', '']);
    expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    expect(await client.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
    await client.set('k', 'v');
    expect(readdirSync(redis.dir)).toEqual([]);
    await redis.stop();
    expect(redis.process.exitCode ?? redis.process.signalCode).not.toBeNull();
    expect(existsSync(redis.dir)).toBe(false);
  },
  10 * 60_000,
);
