/**
 * `switchboard serve` from dist/ as a child process with Redis, for the crash tests: a config file with one
 * agent user (agent5005, device 5005), every webhook URL pointing at a receiver, a short lease; `startNode`
 * waits until it listens and returns its base URL and an authenticated JSON client for its HTTP API. A test
 * kills it with SIGKILL (`node.kill()`) and starts another with the same node id.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, start, type Running } from './builtCli';
import { urls } from './webhookCalls';
import { startReceiver, type ReceivedRequest } from './webhookReceiver';

export { until } from './until';

/** What the crash tests' receiver took: a request answered 200. */
export type Arrival = ReceivedRequest;

/**
 * The callbacks after de-duplication by delivery id (at least once: a crash re-delivers with the same id), in
 * arrival order of each id's first copy; fails the test if two copies of one id differ.
 */
export function deduplicated(arrivals: Arrival[]): Arrival[] {
  const byId = new Map<string, Arrival>();
  for (const a of arrivals) {
    const first = byId.get(a.deliveryId);
    if (first) expect(a.body).toEqual(first.body);
    else byId.set(a.deliveryId, a);
  }
  return [...byId.values()];
}

/** Each callback as [eventType, callId, cause or null]. */
export const summary = (arrivals: Arrival[]) =>
  arrivals.map((a) => [a.body.eventType, a.body.callId, 'cause' in a.body ? a.body.cause : null]);

/** A webhook receiver: answers 200 while `state.answering`, else holds each request unanswered (until closed). */
export async function webhookReceiver() {
  const state = { answering: true };
  const rx = await startReceiver({ answer: () => (state.answering ? 200 : 'hold') });
  return { ...rx, state, arrivals: rx.acked };
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
  writeFileSync(
    file,
    JSON.stringify({
      users: [{ username: 'agent5005', password: 'pw-5005', deviceDn: '5005' }],
      webhooks: { ...urls(receiver), callbackTimeout: 30, retryDelaysMs: [100, 200, 400] },
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
