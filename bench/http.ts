/**
 * HTTP and webhook throughput, each against a plain baseline measured the same way in the same run.
 * - http: agent operations (POST /api/v2/me/calls/:id AttachUserData, authenticated, validated, performed,
 *   notified) vs a bare fastify route returning {"statusCode":0}; autocannon in its own process, 10
 *   connections, same duration, one after the other.
 * - webhooks: deliveries/s of the WebhookDeliverer (signed, to a local keep-alive receiver) vs a plain loop of
 *   fetch POSTs with the same bodies and the same concurrency.
 */
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import secureJson from 'secure-json-parse';
import { authenticate } from '../src/http/auth';
import { createSwitchboard, type BandwidthCallback } from '../src';
import { loadConfig } from '../src/http/config';
import { createServer } from '../src/http/server';
import { WebhookDeliverer } from '../src/webhooks/deliverer';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
/** The operation every HTTP figure measures. */
export const body = JSON.stringify({ operationName: 'AttachUserData', userData: { account: '12345' } });

/** autocannon in its own process (a load generator does not share the server's process), 10 connections. */
export async function cannon(url: string, headers: Record<string, string>, seconds: number) {
  const args = [require.resolve('autocannon/autocannon.js'), '-c', '10', '-d', String(seconds), '-m', 'POST', '-j'];
  for (const [name, value] of Object.entries({ 'content-type': 'application/json', ...headers }))
    args.push('-H', `${name}=${value}`);
  args.push('-b', body, url);
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 24 });
  const result = JSON.parse(stdout) as {
    non2xx: number;
    errors: number;
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
  };
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return {
    rps: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

/**
 * One measured load run plus the CPU this process (the servers' process: autocannon runs in another) spent
 * per request during it. The server is the saturated side, so req/s is close to 1 / (CPU per request).
 */
async function measured(url: string, headers: Record<string, string>, seconds: number) {
  const before = process.cpuUsage();
  const run = await cannon(url, headers, seconds);
  const used = process.cpuUsage(before);
  return { ...run, cpuUsPerRequest: (used.user + used.system) / Math.max(1, run.total) };
}

/** The operation alone, in-process, on the same call: microseconds per AttachUserData (median of 5 batches). */
async function operationAlone(
  device: { operation(id: string, body: Record<string, unknown>): Promise<unknown> },
  callId: string,
) {
  const op = { operationName: 'AttachUserData', userData: { account: '12345' } };
  const batches: number[] = [];
  for (let round = 0; round < 6; round++) {
    const n = 5_000;
    const start = performance.now();
    for (let i = 0; i < n; i++) await device.operation(callId, op);
    if (round > 0) batches.push(((performance.now() - start) * 1000) / n); // the first batch warms up
  }
  return batches.sort((a, b) => a - b)[2];
}

/** The baseline: a bare fastify route returning {"statusCode":0}. Resolves to its URL. */
export async function bareServer(): Promise<string> {
  const bare = Fastify({ logger: false });
  bare.post('/op', async () => ({ statusCode: 0 }));
  await bare.listen({ host: '127.0.0.1', port: 0 });
  servers.push(bare);
  return `http://127.0.0.1:${(bare.server.address() as AddressInfo).port}/op`;
}

/**
 * Ablation: the same bare route with only what the API's protections add (Basic auth against the users,
 * JSON-schema validation with no coercion, prototype-safe JSON parsing), and no engine behind it.
 */
export async function protectedServer(config: ReturnType<typeof loadConfig>): Promise<string> {
  const guarded = Fastify({ logger: false, ajv: { customOptions: { coerceTypes: false } } });
  guarded.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => {
    try {
      done(null, secureJson.parse(text as string, { protoAction: 'remove', constructorAction: 'remove' }));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  guarded.addHook('onRequest', async (request, res) => {
    if (!authenticate(config.users, request.headers.authorization)) return res.code(401).send({ statusCode: 20 });
  });
  guarded.post(
    '/op',
    {
      schema: {
        body: {
          type: 'object',
          required: ['operationName'],
          properties: { operationName: { type: 'string', minLength: 1 } },
        },
      },
    },
    async () => ({
      statusCode: 0,
    }),
  );
  await guarded.listen({ host: '127.0.0.1', port: 0 });
  servers.push(guarded);
  return `http://127.0.0.1:${(guarded.server.address() as AddressInfo).port}/op`;
}

/** The baseline servers opened by this process (closed by closeBaselines). */
const servers: { close(): Promise<unknown> }[] = [];
export async function closeBaselines(): Promise<void> {
  await Promise.all(servers.splice(0).map((server) => server.close()));
}

/** The real server with one answered call on the bench user's device; resolves to the operation's URL. */
export async function agentServer(config: ReturnType<typeof loadConfig>) {
  const sb = createSwitchboard();
  const { app, devices } = createServer({ switchboard: sb, config, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  sb.network.placeCall({ from: '5000', to: '5005' });
  const device = devices.get('bench');
  if (!device) throw new Error('bench: no device for the bench user');
  const callId = device.calls()[0].id;
  await device.operation(callId, { operationName: 'Answer' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v2/me/calls/${callId}`;
  const close = async () => {
    sb.close();
    await app.close();
  };
  return { url, device, callId, close };
}

/** The configuration every HTTP figure uses: one user, bench:pw, on 5005. */
export const benchConfig = () => loadConfig({ env: { SWITCHBOARD_USERS: 'bench:pw:5005' }, port: 0 });
export const benchAuth = { authorization: `Basic ${Buffer.from('bench:pw').toString('base64')}` };

export async function httpBench(seconds: number) {
  const config = benchConfig();
  const agent = await agentServer(config);
  const bareUrl = await bareServer();
  const guardedUrl = await protectedServer(config);

  await cannon(bareUrl, {}, 1); // warm up both
  await cannon(agent.url, benchAuth, 1);
  const base = await measured(bareUrl, {}, seconds);
  const protectedOnly = await measured(guardedUrl, benchAuth, seconds);
  const operations = await measured(agent.url, benchAuth, seconds);
  const aloneUs = await operationAlone(agent.device, agent.callId);
  await agent.close();
  await closeBaselines();
  return { agent: operations, base, protectedOnly, aloneUs };
}

export async function webhookBench(count: number) {
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const calls = 50;
  const payloads: BandwidthCallback[] = Array.from({ length: count }, (_, i) => ({
    eventType: 'disconnect',
    eventTime: new Date(0).toISOString(),
    accountId: '9900000',
    applicationId: 'bench',
    from: '+1555',
    to: '+1666',
    direction: 'inbound',
    callId: `c-${i % calls}`,
    callUrl: 'http://127.0.0.1/x',
    startTime: new Date(0).toISOString(),
    endTime: new Date(0).toISOString(),
    cause: 'hangup',
  }));

  // Plain loop: `calls` workers, each POSTing its share in order.
  const plainStart = performance.now();
  await Promise.all(
    Array.from({ length: calls }, async (_, worker) => {
      for (let i = worker; i < count; i += calls) {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(payloads[i]),
        });
        await res.arrayBuffer();
      }
    }),
  );
  const plain = (count * 1000) / (performance.now() - plainStart);

  const deliverer = new WebhookDeliverer({ disconnectUrl: url, secret: 'bench-secret' }, quiet);
  const start = performance.now();
  for (const p of payloads) deliverer.enqueue(p);
  await deliverer.drain(120_000);
  const rate = (count * 1000) / (performance.now() - start);
  if (deliverer.stats().delivered !== count) throw new Error(`webhooks: ${JSON.stringify(deliverer.stats())}`);
  await new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return { rate, plain };
}
