/**
 * A real redis-server for the tests that need one (never a mock). `findRedisServer` looks on PATH; when it is
 * missing and this process runs as root, `ensureRedisServer` installs Debian's `redis-server` package with apt
 * (once, under a lock, so parallel Jest workers do not race), else it throws one line naming the package.
 * `startRedis` runs it on a free loopback port in a temporary directory with no persistence (`--save ''
 * --appendonly no` unless AOF is asked for), waits until it answers PING, and `stop()` ends it with SIGTERM,
 * waits for its exit and removes the directory (first disconnecting the clients `client()` gave the test).
 * `useRedis()` does both around a test file.
 */
import { withAptLock } from './aptLock';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';

export const REDIS_PACKAGE = 'redis-server';

/** The redis-server executable on `pathEnv` (default PATH), or undefined. */
export function findRedisServer(pathEnv = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathEnv.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'redis-server');
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there (or not executable): keep looking
    }
  }
  return undefined;
}

export interface EnsureOptions {
  pathEnv?: string;
  /** Whether this process may install packages (default: it runs as root). */
  isRoot?: boolean;
  /** Installs the package (default: `apt-get update && apt-get install -y redis-server`). */
  install?: () => void;
}

function aptInstall(): void {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
  execFileSync('apt-get', ['install', '-y', '-qq', REDIS_PACKAGE], { stdio: 'ignore', env });
}

/** The redis-server executable, installed first when missing and allowed; else one line naming the package. */
export async function ensureRedisServer(options: EnsureOptions = {}): Promise<string> {
  const found = findRedisServer(options.pathEnv);
  if (found) return found;
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  if (!isRoot) {
    throw new Error(
      `redis-server not found on PATH: install the Debian package '${REDIS_PACKAGE}' (apt-get install -y ${REDIS_PACKAGE})`,
    );
  }
  return withAptLock(() => {
    const again = findRedisServer(options.pathEnv); // another process may have installed it meanwhile
    if (again) return again;
    (options.install ?? aptInstall)();
    const installed = findRedisServer(options.pathEnv);
    if (!installed)
      throw new Error(`installed the Debian package '${REDIS_PACKAGE}' but found no redis-server on PATH`);
    return installed;
  });
}

export interface RunningRedis {
  url: string;
  port: number;
  /** Its working directory (removed by stop()). */
  dir: string;
  process: ChildProcess;
  /** A client of the test's own (to look at what is stored), disconnected by stop() before the server ends. */
  client(): Redis;
  /** Disconnect the clients, SIGTERM, wait for the exit, remove the directory. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves true once the server at `port` answers PING with PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

/** Starts a redis-server of its own (installing the package first when missing; see ensureRedisServer). */
export async function startRedis(options: { aof?: boolean } = {}): Promise<RunningRedis> {
  const binary = await ensureRedisServer();
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sb-redis-'));
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--daemonize',
      'no',
      '--logfile',
      '',
    ];
    args.push('--appendonly', options.aof ? 'yes' : 'no');
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let alive = true;
    void exited.then(() => (alive = false));
    const clients: Redis[] = [];
    const client = () => {
      const c = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: false });
      clients.push(c);
      return c;
    };
    const stop = async () => {
      await Promise.all(clients.splice(0).map((c) => c.quit().catch(() => c.disconnect())));
      if (alive) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    };
    const deadline = Date.now() + 10_000;
    while (alive && Date.now() < deadline && !(await ping(port))) await new Promise((r) => setTimeout(r, 20));
    if (alive && Date.now() < deadline)
      return { url: `redis://127.0.0.1:${port}`, port, dir, process: child, client, stop };
    await stop();
    // The port may have been taken between freePort() and the bind: try another once or twice.
    if (attempt >= 3) throw new Error(`redis-server did not answer PING on port ${port}:\n${output}`);
  }
}

/** A redis-server for the test file: started in beforeAll (install included), stopped in afterAll. */
export function useRedis(options: { aof?: boolean } = {}): () => RunningRedis {
  let redis: RunningRedis | undefined;
  beforeAll(async () => {
    redis = await startRedis(options);
  }, 10 * 60_000);
  afterAll(async () => {
    await redis?.stop();
  });
  return () => {
    if (!redis) throw new Error('redis-server is not running (useRedis() starts it in beforeAll)');
    return redis;
  };
}
