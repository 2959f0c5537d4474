/**
 * Webhook delivery to a real local HTTP receiver: every callback of a scenario arrives once, in order per
 * call family (a call and its transfer or consult legs), signed; with the receiver failing (500s, timeouts,
 * refused connections, answers cut off) and then recovering, nothing is lost and nothing is acknowledged twice
 * for one delivery id; what cannot be delivered goes to the fallback URL, and failing that is recorded as
 * callback-error (a bounded log, readable at GET /api/v2/webhooks/errors).
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { createSwitchboard, SimulatedClock, type BandwidthCallback } from '../../src';
import { loadConfig } from '../../src/http/config';
import { createServer as createSwitchboardServer } from '../../src/http/server';
import { WebhookDeliverer } from '../../src/webhooks/deliverer';
import { until } from '../support/until';
import { quiet, threeFamilies, urls } from '../support/webhookCalls';
import { startReceiver, type Answer, type ReceivedRequest, type WebhookReceiver } from '../support/webhookReceiver';
import { USERS } from './support';

function expectInOrderPerCall(acked: ReceivedRequest[], emitted: BandwidthCallback[]) {
  const byCall = (list: BandwidthCallback[]) => {
    const map = new Map<string, string[]>();
    for (const p of list) map.set(p.callId, [...(map.get(p.callId) ?? []), `${p.eventType}@${p.eventTime}`]);
    return map;
  };
  expect(byCall(acked.map((r) => r.body))).toEqual(byCall(emitted));
}

test('every callback arrives once, in order per call, at its URL, signed and with Basic credentials', async () => {
  const rx = await startReceiver();
  const deliverer = new WebhookDeliverer({ ...urls(rx.base), secret: 'k3y', username: 'hook', password: 'pw' }, quiet);
  const emitted = await threeFamilies(deliverer);
  await until(() => rx.acked.length === emitted.length && deliverer.stats().pending === 0, 'all deliveries');
  expect(emitted.length).toBe(11);
  expect(new Set(rx.acked.map((r) => r.deliveryId)).size).toBe(emitted.length);
  for (const r of rx.acked) {
    expect(r.path).toBe(`/${r.body.eventType}`);
    expect(r.headers['x-switchboard-signature']).toBe(
      `sha256=${createHmac('sha256', 'k3y').update(r.raw).digest('hex')}`,
    );
    expect(r.headers.authorization).toBe(`Basic ${Buffer.from('hook:pw').toString('base64')}`);
  }
  expectInOrderPerCall(rx.acked, emitted);
  expect(deliverer.stats()).toEqual({ delivered: 11, retried: 0, failed: 0, failuresDropped: 0, pending: 0 });
  await rx.close();
});

test('a receiver that fails with 500s, times out and refuses connections, then recovers: nothing lost, each delivery id acknowledged once', async () => {
  // Requests 0-5 fail with 500, 6-7 hang past callbackTimeout, the rest succeed.
  const rx = await startReceiver({ answer: ({ n }) => (n < 6 ? 500 : n < 8 ? 'hold' : 200) });
  const port = rx.port;
  const deliverer = new WebhookDeliverer(
    { ...urls(rx.base), callbackTimeout: 0.2, retryDelaysMs: [50, 100, 200, 400, 800, 1600] },
    quiet,
  );
  const emitted = await threeFamilies(deliverer);
  await until(
    () => rx.acked.length === emitted.length && deliverer.stats().pending === 0,
    'deliveries after 500s and timeouts',
  );
  expect(new Set(rx.acked.map((r) => r.deliveryId)).size).toBe(emitted.length);
  expectInOrderPerCall(rx.acked, emitted);
  expect(deliverer.stats()).toMatchObject({ delivered: emitted.length, failed: 0, pending: 0 });
  expect(deliverer.stats().retried).toBeGreaterThanOrEqual(8);
  await rx.close();

  // Now nobody listens (connections refused) until the receiver comes back on the same port.
  const deliverer2 = new WebhookDeliverer(
    { ...urls(`http://127.0.0.1:${port}`), retryDelaysMs: [100, 200, 400, 800, 1600] },
    quiet,
  );
  const emitted2 = await threeFamilies(deliverer2);
  await new Promise((r) => setTimeout(r, 150));
  expect(deliverer2.stats().delivered).toBe(0);
  const back = await startReceiver({ port });
  await until(() => back.acked.length === emitted2.length, 'deliveries after refused connections');
  expect(new Set(back.acked.map((r) => r.deliveryId)).size).toBe(emitted2.length);
  expectInOrderPerCall(back.acked, emitted2);
  await until(() => deliverer2.stats().pending === 0, 'the last acknowledgement to be counted');
  expect(deliverer2.stats()).toMatchObject({ failed: 0, pending: 0 });
  await back.close();
});

test('what its URL cannot take goes to the fallbackUrl; failing that it is recorded as callback-error', async () => {
  const broken = await startReceiver({ answer: () => 500 });
  const fallback = await startReceiver();
  const deliverer = new WebhookDeliverer(
    { ...urls(broken.base), fallbackUrl: `${fallback.base}/fallback`, retryDelaysMs: [10, 20] },
    quiet,
  );
  const emitted = await threeFamilies(deliverer);
  await until(() => fallback.acked.length === emitted.length, 'fallback deliveries');
  expect(fallback.acked.every((r) => r.path === '/fallback')).toBe(true);
  expect(broken.requests).toHaveLength(emitted.length * 3);

  const nowhere = new WebhookDeliverer({ ...urls(broken.base), retryDelaysMs: [10] }, quiet);
  const reported: string[] = [];
  nowhere.onFailure((f) => reported.push(`${f.cause}:${f.eventType}`));
  const emitted2 = await threeFamilies(nowhere);
  await until(() => nowhere.stats().failed === emitted2.length, 'recorded failures');
  expect(nowhere.failures()[0]).toMatchObject({
    cause: 'callback-error',
    error: 'HTTP 500',
    attempts: 2,
    url: `${broken.base}/${emitted2[0].eventType}`,
  });
  expect(reported).toHaveLength(emitted2.length);
  expect(await nowhere.drain(1000)).toBe(0);
  await broken.close();
  await fallback.close();
});

test('a transfer can send its callbacks to URLs of its own', async () => {
  const app = await startReceiver();
  const own = await startReceiver();
  const deliverer = new WebhookDeliverer(urls(app.base), quiet);
  const clock = new SimulatedClock();
  const sb = createSwitchboard({ clock });
  deliverer.attach(sb);
  sb.network.addEndpoint('+1888', { outcome: 'busy' });
  const { channel: a } = sb.network.placeCall({ from: '+1555', to: '+1666' });
  await a.answer();
  a.createTonePlayer();
  await a.retrievableTransfer(sb.createChannel(), '+1888', {
    transferDisconnectUrl: `${own.base}/mine`,
    transferCompleteUrl: `${own.base}/mine-too`,
  });
  await until(() => own.acked.length === 2 && app.acked.length === 1, 'deliveries');
  expect(own.acked.map((r) => `${r.path} ${r.body.eventType}`)).toEqual([
    '/mine transferDisconnect',
    '/mine-too transferComplete',
  ]);
  expect(app.acked.map((r) => r.body.eventType)).toEqual(['initiate']);
  await expect(a.retrievableTransfer(sb.createChannel(), '+1888', { transferAnswerUrl: 'not a url' })).rejects.toThrow(
    /transferAnswerUrl must be an absolute URL/,
  );
  await app.close();
  await own.close();
});

test('a 4xx answer is not retried (it will not get better): recorded at once', async () => {
  const rx = await startReceiver();
  const deliverer = new WebhookDeliverer(
    { disconnectUrl: `${rx.base.replace(/:\d+$/, ':1')}/x`, retryDelaysMs: [10] },
    quiet,
  );
  // Port 1 refuses connections: retried, then recorded.
  const notFound = await startReceiver();
  const strict = new WebhookDeliverer({ disconnectUrl: `${notFound.base}/missing` }, quiet);
  const server404 = await startReceiver({ answer: () => 404 });
  const url404 = `${server404.base}/gone`;
  const fourOhFour = new WebhookDeliverer({ disconnectUrl: url404, retryDelaysMs: [10, 10] }, quiet);
  const payload = { eventType: 'disconnect', callId: 'c-x' } as BandwidthCallback;
  fourOhFour.enqueue(payload);
  deliverer.enqueue(payload);
  strict.enqueue({ eventType: 'answer', callId: 'c-y' } as BandwidthCallback); // no answerUrl: nothing to deliver
  await until(() => fourOhFour.stats().failed === 1 && deliverer.stats().failed === 1, 'failures');
  expect(fourOhFour.failures()[0]).toMatchObject({ error: 'HTTP 404', attempts: 1 });
  expect(deliverer.failures()[0].error).toMatch(/fetch failed|ECONNREFUSED/);
  expect(strict.stats()).toEqual({ delivered: 0, retried: 0, failed: 0, failuresDropped: 0, pending: 0 });
  await server404.close();
  await rx.close();
  await notFound.close();
});

test('a redirect is not a delivery: recorded as callback-error, never followed', async () => {
  const target = await startReceiver();
  const redirecting = await startReceiver({
    answer: () => ({ status: 302, headers: { location: `${target.base}/elsewhere` } }),
  });
  const deliverer = new WebhookDeliverer({ disconnectUrl: `${redirecting.base}/hook` }, quiet);
  deliverer.enqueue({ eventType: 'disconnect', callId: 'c-r' } as BandwidthCallback);
  await until(() => deliverer.stats().failed === 1, 'the failure');
  expect(deliverer.failures()[0]).toMatchObject({ error: 'HTTP 302', cause: 'callback-error' });
  expect(target.requests).toHaveLength(0);
  await redirecting.close();
  await target.close();
});

test('a failure listener that throws does not stop later deliveries for the same call', async () => {
  const rx = await startReceiver({ answer: ({ n }) => (n === 0 ? 500 : 200) });
  const deliverer = new WebhookDeliverer(
    { disconnectUrl: `${rx.base}/d`, answerUrl: `${rx.base}/a`, retryDelaysMs: [] },
    quiet,
  );
  deliverer.onFailure(() => {
    throw new Error('listener bug');
  });
  deliverer.enqueue({ eventType: 'answer', callId: 'c-1' } as BandwidthCallback);
  deliverer.enqueue({ eventType: 'disconnect', callId: 'c-1' } as BandwidthCallback);
  await until(() => deliverer.stats().pending === 0, 'both');
  expect(deliverer.stats()).toMatchObject({ delivered: 1, failed: 1 });
  expect(rx.acked.map((r) => r.path)).toEqual(['/d']);
  await rx.close();
});

test('a shutdown bound is kept: what is still under way is aborted and recorded, nothing keeps running', async () => {
  const rx = await startReceiver({ answer: () => 'hold' });
  const deliverer = new WebhookDeliverer(
    { disconnectUrl: `${rx.base}/d`, callbackTimeout: 60, retryDelaysMs: [60_000] },
    quiet,
  );
  deliverer.enqueue({ eventType: 'disconnect', callId: 'c-1' } as BandwidthCallback);
  deliverer.enqueue({ eventType: 'disconnect', callId: 'c-2' } as BandwidthCallback);
  const started = Date.now();
  expect(await deliverer.drain(200)).toBe(2);
  expect(Date.now() - started).toBeLessThan(2000);
  expect(deliverer.stats()).toMatchObject({ pending: 0, failed: 2 });
  expect(deliverer.failures().map((f) => f.error)).toEqual([
    'shut down before it could be delivered',
    'shut down before it could be delivered',
  ]);
  await rx.close();
});

test('deliveries and retries leave no listener behind on the shutdown signal (no leak in a long-running server)', async () => {
  const rx = await startReceiver({ answer: ({ n }) => (n < 10 ? 500 : 200) }); // the first ten attempts fail: retries happen
  try {
    const deliverer = new WebhookDeliverer({ disconnectUrl: `${rx.base}/d`, retryDelaysMs: [5, 5, 5] }, quiet);
    for (let i = 0; i < 30; i++) deliverer.enqueue({ eventType: 'disconnect', callId: `c-${i}` } as BandwidthCallback);
    await until(() => deliverer.stats().pending === 0, 'all deliveries');
    const events = (await import('node:events')) as unknown as {
      getEventListeners(target: EventTarget, name: string): unknown[];
    };
    const signal = (deliverer as unknown as { stopping: AbortController }).stopping.signal;
    expect(events.getEventListeners(signal, 'abort')).toHaveLength(0);
    expect(deliverer.stats()).toMatchObject({ delivered: 30, failed: 0, retried: 10 });
  } finally {
    await rx.close();
  }
});

/** Answers 200 after `ms` to the requests for `paths` (a slow endpoint), at once to the others. */
const slowAt =
  (paths: string[], ms = 150) =>
  (r: ReceivedRequest): Answer =>
    paths.includes(r.path) ? { status: 200, delayMs: ms } : 200;

/** The callbacks in the order the receiver answered them. */
const handled = (rx: WebhookReceiver) => rx.acked.map((r) => r.body);

const familiesOf = (deliverer: WebhookDeliverer) =>
  (deliverer as unknown as { families: Map<string, unknown> }).families;

describe('the callbacks of a call and its transfer or consult legs arrive in bus order', () => {
  test("row 5 (A's far end hangs up while B rings): transferDisconnect(B) before disconnect(A), though B's URL is slower", async () => {
    const rx = await startReceiver({ answer: slowAt(['/transferDisconnect']) });
    const deliverer = new WebhookDeliverer(urls(rx.base), quiet);
    const clock = new SimulatedClock();
    const sb = createSwitchboard({ clock });
    deliverer.attach(sb);
    const emitted: BandwidthCallback[] = [];
    sb.on('callback', (p) => emitted.push(p));
    sb.network.addEndpoint('+15557770000', { outcome: 'noAnswer' });
    const { channel: a } = sb.network.placeCall({ from: '+15550001111', to: '+15559990000' });
    await a.answer();
    a.createTonePlayer();
    const b = sb.createChannel();
    const result = a.retrievableTransfer(b, '+15557770000');
    clock.increment(5000);
    sb.network.farEnd(a.callId as string).hangUp();
    await result;
    await until(() => deliverer.stats().pending === 0, 'all deliveries');
    const label = (p: BandwidthCallback) =>
      `${p.eventType}(${p.callId === a.callId ? 'A' : p.callId === b.callId ? 'B' : p.callId})`;
    expect(emitted.map(label)).toEqual(['initiate(A)', 'transferDisconnect(B)', 'disconnect(A)']);
    expect(handled(rx).map(label)).toEqual(emitted.map(label));
    expect(familiesOf(deliverer).size).toBe(0); // the family is forgotten once its queue has drained
    await rx.close();
  });

  test('a consult completed after the target answers: every callback of L1 and L2 in bus order, L2 URLs slower', async () => {
    const rx = await startReceiver({ answer: slowAt(['/transferAnswer', '/transferDisconnect']) });
    const deliverer = new WebhookDeliverer(urls(rx.base), quiet);
    const clock = new SimulatedClock();
    const sb = createSwitchboard({ clock });
    deliverer.attach(sb);
    const emitted: BandwidthCallback[] = [];
    sb.on('callback', (p) => emitted.push(p));
    const agent = sb.agent({ phoneNumber: '5005' });
    sb.network.addEndpoint('5001', { outcome: 'answer', ringFor: 3 });
    const { channel } = sb.network.placeCall({ from: '5000', to: '5005' });
    const c1 = agent.calls()[0].id;
    await agent.operation(c1, { operationName: 'Answer' });
    await agent.operation(c1, { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } });
    clock.increment(3000);
    const c2 = agent.calls().find((c) => c.id !== c1)?.id as string;
    expect(await agent.operation(c2, { operationName: 'CompleteTransfer' })).toEqual({ statusCode: 0 });
    const l2 = emitted.find((p) => p.callId !== channel.callId)?.callId as string;
    sb.network.farEnd(l2).hangUp();
    await until(() => emitted.length === 5 && deliverer.stats().pending === 0, 'all deliveries');
    const label = (p: BandwidthCallback) =>
      `${p.eventType}(${p.callId === channel.callId ? 'L1' : p.callId === l2 ? 'L2' : p.callId})`;
    expect(emitted.map(label)).toEqual([
      'initiate(L1)',
      'transferAnswer(L2)',
      'transferDisconnect(L2)',
      'transferComplete(L1)',
      'disconnect(L1)',
    ]);
    expect(handled(rx).map(label)).toEqual(emitted.map(label));
    expect(familiesOf(deliverer).size).toBe(0);
    await rx.close();
  });

  test('unrelated calls stay concurrent: a call whose receiver holds its answers does not hold up another', async () => {
    const clock = new SimulatedClock();
    const sb = createSwitchboard({ clock });
    let first = '';
    const rx = await startReceiver({ answer: (r) => (r.body.callId === first ? 'hold' : 200) });
    const deliverer = new WebhookDeliverer(urls(rx.base), quiet);
    deliverer.attach(sb);
    const { channel: one } = sb.network.placeCall({ from: '+15550001111', to: '+15559990000' });
    first = one.callId as string;
    const { channel: two } = sb.network.placeCall({ from: '+15550002222', to: '+15559990000' });
    await one.hangUp();
    await two.hangUp();
    // Call two's initiate and disconnect are delivered while call one's initiate is held (its disconnect waits).
    await until(
      () => handled(rx).filter((p) => p.callId === two.callId).length === 2 && deliverer.stats().delivered === 2,
      'call two',
    );
    expect(rx.held()).toBe(1);
    expect(handled(rx).map((p) => `${p.eventType}(${p.callId === first ? 1 : 2})`)).toEqual([
      'initiate(2)',
      'disconnect(2)',
    ]);
    expect(deliverer.stats().pending).toBe(2);
    rx.release();
    await until(() => deliverer.stats().pending === 0, 'call one');
    expect(handled(rx).map((p) => `${p.eventType}(${p.callId === first ? 1 : 2})`)).toEqual([
      'initiate(2)',
      'disconnect(2)',
      'initiate(1)',
      'disconnect(1)',
    ]);
    expect(familiesOf(deliverer).size).toBe(0);
    await rx.close();
  });
});

test('a callback that links two queued families (a leg of one, the parent in the other) waits for both', async () => {
  const rx = await startReceiver({ answer: (r) => (['c-a', 'c-c'].includes(r.body.callId) ? 'hold' : 200) });
  try {
    const deliverer = new WebhookDeliverer(urls(rx.base), quiet);
    const leg = (callId: string, parentCallId: string) =>
      ({ eventType: 'transferDisconnect', callId, parentCallId }) as BandwidthCallback;
    deliverer.enqueue({ eventType: 'disconnect', callId: 'c-a' } as BandwidthCallback); // family {a}
    deliverer.enqueue(leg('c-c', 'c-b')); // family {b, c}: nothing links it to a yet
    deliverer.enqueue(leg('c-b', 'c-a')); // links them: waits for both
    deliverer.enqueue({ eventType: 'disconnect', callId: 'c-x' } as BandwidthCallback); // unrelated
    await until(() => rx.held() === 2 && rx.acked.length === 1, 'the held requests and c-x', 2000);
    expect(handled(rx).map((p) => p.callId)).toEqual(['c-x']);
    rx.release();
    await until(() => deliverer.stats().pending === 0, 'all deliveries');
    expect(
      handled(rx)
        .map((p) => p.callId)
        .slice(1)
        .sort(),
    ).toEqual(['c-a', 'c-b', 'c-c'].sort());
    expect(handled(rx).at(-1)?.callId).toBe('c-b');
    expect(familiesOf(deliverer).size).toBe(0);
  } finally {
    await rx.close();
  }
});

/**
 * A raw TCP receiver: the first `cut` requests get a 200 announcing 50 bytes, a few of them, then a closed
 * socket (or, with `stall`, a socket left open that sends nothing more).
 */
async function truncatingReceiver(cut: number, stall = false) {
  let requests = 0;
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let head = '';
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (end < 0 || head.length < end + 4 + length) return; // the whole request first
      head = '';
      const cutOff = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"ok":';
      if (requests++ < cut) return void (stall ? socket.write(cutOff) : socket.end(cutOff));
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('an answer cut off before its end is a failed attempt', () => {
  test('a 200 whose body stops short (Content-Length: 50, then the socket closes) is retried until a whole answer comes', async () => {
    const rx = await truncatingReceiver(2);
    try {
      const deliverer = new WebhookDeliverer({ disconnectUrl: rx.url, retryDelaysMs: [10, 10, 10] }, quiet);
      deliverer.enqueue({ eventType: 'disconnect', callId: 'c-t' } as BandwidthCallback);
      await until(() => deliverer.stats().pending === 0, 'the delivery');
      expect(rx.requests()).toBe(3);
      expect(deliverer.stats()).toMatchObject({ delivered: 1, retried: 2, failed: 0 });
    } finally {
      await rx.close();
    }
  });

  test('cut off on every attempt: recorded as callback-error, saying the answer was cut off', async () => {
    const rx = await truncatingReceiver(Infinity);
    try {
      const deliverer = new WebhookDeliverer({ disconnectUrl: rx.url, retryDelaysMs: [10] }, quiet);
      deliverer.enqueue({ eventType: 'disconnect', callId: 'c-t' } as BandwidthCallback);
      await until(() => deliverer.stats().pending === 0, 'the failure');
      expect(rx.requests()).toBe(2);
      expect(deliverer.stats()).toMatchObject({ delivered: 0, retried: 1, failed: 1 });
      expect(deliverer.failures()[0]).toMatchObject({ cause: 'callback-error', attempts: 2, callId: 'c-t' });
      expect(deliverer.failures()[0].error).toMatch(/^answer cut off before its end: /);
    } finally {
      await rx.close();
    }
  });
});

/** A loopback port nobody listens on (one just freed): every delivery there is refused at once. */
let REFUSED = '';
beforeAll(async () => {
  const probe = await startReceiver();
  REFUSED = `${probe.base}/hook`;
  await probe.close();
});

test('a 200 whose body stalls part-way is not delivered: it times out (callbackTimeout) and is retried', async () => {
  const rx = await truncatingReceiver(1, true);
  try {
    const deliverer = new WebhookDeliverer({ disconnectUrl: rx.url, callbackTimeout: 0.1, retryDelaysMs: [10] }, quiet);
    const errors: string[] = [];
    deliverer.onFailure((f) => errors.push(f.error));
    deliverer.enqueue({ eventType: 'disconnect', callId: 'c-s' } as BandwidthCallback);
    await until(() => deliverer.stats().pending === 0, 'the delivery');
    expect(rx.requests()).toBe(2);
    expect(deliverer.stats()).toMatchObject({ delivered: 1, retried: 1, failed: 0 });
    expect(errors).toEqual([]);
  } finally {
    await rx.close();
  }
});

describe('callback-error records are bounded and readable', () => {
  test('the newest `failureLogSize` are kept, with totals of those ever recorded and those dropped', async () => {
    const deliverer = new WebhookDeliverer({ disconnectUrl: REFUSED, retryDelaysMs: [], failureLogSize: 3 }, quiet);
    for (let i = 1; i <= 5; i++) {
      deliverer.enqueue({ eventType: 'disconnect', callId: `c-${i}` } as BandwidthCallback);
      await until(() => deliverer.stats().pending === 0, `failure ${i}`); // one at a time: a known order
    }
    expect(deliverer.failures().map((f) => f.callId)).toEqual(['c-3', 'c-4', 'c-5']);
    expect(deliverer.stats()).toMatchObject({ failed: 5, failuresDropped: 2 });
    expect(deliverer.recentFailures(2)).toEqual(deliverer.failures().slice(1).reverse());
    expect(() => new WebhookDeliverer({ failureLogSize: 0 }, quiet)).toThrow(
      /failureLogSize must be a positive integer/,
    );
    expect(() => new WebhookDeliverer({ failureLogSize: 2.5 }, quiet)).toThrow(
      /failureLogSize must be a positive integer/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'sb-webhooks-'));
    try {
      const file = join(dir, 'config.json');
      writeFileSync(
        file,
        JSON.stringify({ users: [{ username: 'a', password: 'b', deviceDn: '1' }], webhooks: { failureLogSize: -3 } }),
      );
      expect(() => loadConfig({ file, env: {} })).toThrow(/webhooks\.failureLogSize must be a positive integer/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the default keeps 1,000', async () => {
    const deliverer = new WebhookDeliverer({ disconnectUrl: REFUSED, retryDelaysMs: [] }, quiet);
    for (let i = 0; i < 1005; i++)
      deliverer.enqueue({ eventType: 'disconnect', callId: `c-${i}` } as BandwidthCallback);
    await until(() => deliverer.stats().pending === 0, 'the failures');
    expect(deliverer.failures()).toHaveLength(1000);
    expect(deliverer.stats()).toMatchObject({ failed: 1005, failuresDropped: 5 });
  });

  test('GET /api/v2/webhooks/errors: the recent ones, newest first, for any configured user; totals in /healthz', async () => {
    const config = loadConfig({ env: { SWITCHBOARD_USERS: USERS }, port: 0 });
    config.webhooks = { disconnectUrl: REFUSED, retryDelaysMs: [], failureLogSize: 2 };
    const sb = createSwitchboard({ clock: new SimulatedClock() });
    const server = createSwitchboardServer({ switchboard: sb, config, logger: false });
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const base = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
      const get = async (path: string, user: string | null = 'agent5006:pw-5006') => {
        const res = await fetch(
          `${base}${path}`,
          user ? { headers: { authorization: `Basic ${Buffer.from(user).toString('base64')}` } } : {},
        );
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      expect(await get('/api/v2/webhooks/errors')).toEqual({
        status: 200,
        body: { statusCode: 0, recorded: 0, dropped: 0, errors: [] },
      });
      for (const callId of ['c-1', 'c-2', 'c-3']) {
        server.webhooks.enqueue({ eventType: 'disconnect', callId } as BandwidthCallback);
        await until(() => server.webhooks.stats().pending === 0, callId); // one at a time: a known order
      }
      const all = await get('/api/v2/webhooks/errors');
      expect(all.status).toBe(200);
      expect(all.body).toMatchObject({ statusCode: 0, recorded: 3, dropped: 1 });
      const errors = all.body.errors as Array<Record<string, unknown>>;
      expect(errors.map((e) => e.callId)).toEqual(['c-3', 'c-2']);
      expect(errors[0]).toEqual({
        deliveryId: expect.any(String),
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        cause: 'callback-error',
        eventType: 'disconnect',
        callId: 'c-3',
        url: REFUSED,
        error: expect.stringMatching(/ECONNREFUSED/),
        attempts: 1,
      });
      expect((await get('/api/v2/webhooks/errors?limit=1')).body.errors).toEqual([errors[0]]);
      for (const bad of ['0', '-1', 'x', '1.5', '1&limit=2', '']) {
        expect(await get(`/api/v2/webhooks/errors?limit=${bad}`)).toEqual({
          status: 400,
          body: { statusCode: 1, statusMessage: 'Missing or invalid parameter: limit must be a whole number from 1' },
        });
      }
      expect(await get('/api/v2/webhooks/errors', null)).toEqual({
        status: 401,
        body: { statusCode: 20, statusMessage: 'Authentication failed' },
      });
      expect((await get('/api/v2/webhooks/errors', 'agent5006:wrong')).status).toBe(401);
      expect((await get('/healthz', null)).body.webhooks).toEqual({
        delivered: 0,
        retried: 0,
        failed: 3,
        failuresDropped: 1,
        pending: 0,
      });
    } finally {
      await server.app.close();
    }
  });
});
