/**
 * `switchboard serve` from dist/ as a child process with Redis, for the crash tests: a config file with one
 * agent user (agent5005, device 5005), every webhook URL pointing at a receiver, a short lease; `startNode`
 * waits until it listens and returns its base URL and an authenticated JSON client for its HTTP API. A test
 * kills it with SIGKILL (`node.kill()`) and starts another with the same node id.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BandwidthCallback } from '../../src';
import { CLI, start, type Running } from './builtCli';

export interface Arrival {
  deliveryId: string;
  path: string;
  body: BandwidthCallback;
}

/** A webhook receiver: answers 200 while `answering`, else holds each request unanswered (until closed). */
export async function webhookReceiver() {
  const arrivals: Arrival[] = [];
  const held: ServerResponse[] = [];
  const state = { answering: true };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      if (!state.answering) return void held.push(res);
      arrivals.push({
        deliveryId: String(req.headers['x-switchboard-delivery']),
        path: req.url ?? '',
        body: JSON.parse(raw) as BandwidthCallback,
      });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    /** Requests held unanswered so far. */
    held: () => held.length,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ServeNode {
  base: string;
  process: Running;
  /** When it printed that it listens (ms since the epoch). */
  readyAt: number;
  /** The agent API and the simulator API as agent5005. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  kill(): Promise<void>;
}

export function nodeConfig(receiver: string, leaseMs = 300): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-crash-'));
  const file = join(dir, 'config.json');
  const webhooks = Object.fromEntries(
    ['initiate', 'answer', 'disconnect', 'transferAnswer', 'transferComplete', 'transferDisconnect'].map((k) => [
      `${k}Url`,
      `${receiver}/${k}`,
    ]),
  );
  writeFileSync(
    file,
    JSON.stringify({
      users: [{ username: 'agent5005', password: 'pw-5005', deviceDn: '5005' }],
      webhooks: { ...webhooks, callbackTimeout: 30, retryDelaysMs: [100, 200, 400] },
      redis: { leaseMs },
    }),
  );
  return file;
}

export async function startNode(config: string, redisUrl: string, nodeId: string): Promise<ServeNode> {
  const running = start(CLI, ['serve', '--config', config, '--port', '0', '--redis', redisUrl, '--node-id', nodeId], {
    SWITCHBOARD_LOG_LEVEL: 'warn',
    SWITCHBOARD_LOG_FORMAT: 'json',
  });
  await running.until(/switchboard is listening on (http:\/\/\S+)/);
  const readyAt = Date.now();
  const base = (/switchboard is listening on (http:\/\/\S+)/.exec(running.stdout()) as RegExpExecArray)[1];
  const auth = `Basic ${Buffer.from('agent5005:pw-5005').toString('base64')}`;
  return {
    base,
    process: running,
    readyAt,
    async api(method, path, body) {
      const res = await fetch(`${base}/api/v2${path}`, {
        method,
        headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    async kill() {
      running.child.kill('SIGKILL');
      await running.exited;
    },
  };
}

/** Poll `check` every 10 ms until it holds (an event the test cannot await otherwise), at most `ms`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
