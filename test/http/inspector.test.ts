/**
 * The live inspector over real sockets: authentication (with a login prompt), the page and its local assets
 * under a strict CSP, the JSON API, the SSE stream (entries in order, recording only while someone watches
 * in on-demand mode), `always` and `off` modes; and the simulator's application routes it is driven with.
 */
import { get, type IncomingMessage } from 'node:http';
import type { HubMessage, TimelineEntry } from '../../src/inspect/hub';
import { loadConfig } from '../../src/http/config';
import { startServer } from './support';

type Server = Awaited<ReturnType<typeof startServer>>;
const AUTH = `Basic ${Buffer.from('agent5005:pw-5005').toString('base64')}`;

async function raw(base: string, path: string, authorization: string | null = AUTH) {
  const res = await fetch(`${base}${path}`, { headers: authorization ? { authorization } : {} });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** An SSE client: collects messages; `until(fn)` waits (driving nothing) for one that matches. */
function subscribe(base: string) {
  const messages: HubMessage[] = [];
  let response: IncomingMessage | null = null;
  let waiter: (() => void) | null = null;
  const opened = new Promise<void>((resolve, reject) => {
    const req = get(`${base}/inspect/events`, { headers: { authorization: AUTH } }, (res) => {
      response = res;
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (data) messages.push(JSON.parse(data.slice(6)) as HubMessage);
        }
        waiter?.();
      });
      resolve();
    });
    req.on('error', reject);
  });
  return {
    messages,
    opened,
    entries: (callId: string) =>
      messages
        .filter((m): m is Extract<HubMessage, { type: 'entry' }> => m.type === 'entry' && m.callIds.includes(callId))
        .map((m) => m.entry),
    async until(fn: () => boolean) {
      for (let i = 0; i < 200 && !fn(); i++)
        await new Promise<void>((resolve) => ((waiter = resolve), setTimeout(resolve, 10)));
      if (!fn()) throw new Error('SSE: timed out waiting for a message');
    },
    close: () => (response as IncomingMessage | null)?.destroy(),
  };
}

const line = (e: TimelineEntry) =>
  e.kind === 'step'
    ? `${e.machine} ${e.event.type} → ${JSON.stringify(e.value)}`
    : e.kind === 'callback'
      ? `callback ${e.eventType}`
      : 'watching';

async function answeredCallInTransfer(s: Server) {
  await s.request('PUT', '/api/v2/simulator/endpoints/+15557770000', { body: { outcome: 'answer', ringFor: 2 } });
  const placed = await s.request('POST', '/api/v2/simulator/calls', {
    body: { from: '+15550001111', to: '+15559990000' },
  });
  const callId = placed.body.callId as string;
  expect(await s.request('POST', `/api/v2/simulator/calls/${callId}/answer`)).toEqual({
    status: 200,
    body: { statusCode: 0, state: 'ANSWERED' },
  });
  expect(
    await s.request('POST', `/api/v2/simulator/calls/${callId}/transfer`, { body: { to: '+15557770000' } }),
  ).toEqual({
    status: 200,
    body: { statusCode: 0, state: 'TRANSFERRING', transferCause: 'NONE', transferCallId: expect.stringMatching(/^c-/) },
  });
  return callId;
}

describe('the page and its API', () => {
  let s: Server;
  beforeAll(async () => (s = await startServer()));
  afterAll(() => s.close());

  test('needs a configured user, and asks the browser to log in', async () => {
    for (const auth of [null, `Basic ${Buffer.from('agent5005:wrong').toString('base64')}`]) {
      const res = await raw(s.base, '/inspect', auth);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="switchboard inspector", charset="UTF-8"');
      expect(JSON.parse(res.text)).toEqual({
        statusCode: 20,
        statusMessage: 'Authentication failed: log in with a configured user',
      });
    }
    expect((await raw(s.base, '/inspect/api/calls', null)).status).toBe(401);
    expect((await raw(s.base, '/inspect/events', null)).status).toBe(401);
  });

  test('the page, from local assets only, under a strict content security policy', async () => {
    const page = await raw(s.base, '/inspect');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(
      /default-src 'none'; script-src 'self'; style-src 'self'/,
    );
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.text).toContain('<h1>Switchboard inspector</h1>');
    // Every script and stylesheet is this server's own.
    const refs = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs).toEqual(['data:,', '/inspect/assets/inspector.css', '/inspect/assets/inspector.js']);
    expect((await raw(s.base, '/inspect/')).status).toBe(200);
    const js = await raw(s.base, '/inspect/assets/inspector.js');
    expect([js.status, js.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect(js.text).toContain("new EventSource('/inspect/events')");
    expect((await raw(s.base, '/inspect/assets/inspector.css')).headers.get('content-type')).toBe(
      'text/css; charset=utf-8',
    );
    expect((await raw(s.base, '/inspect/assets/..%2Fhub.ts')).status).toBe(404);
    expect((await raw(s.base, '/inspect/assets/index.html')).status).toBe(404);
  });

  test('machines and their SVG diagrams', async () => {
    const list = JSON.parse((await raw(s.base, '/inspect/api/machines')).text) as {
      machines: { name: string; id: string }[];
    };
    expect(list.machines.map((m) => [m.name, m.id])).toEqual([
      ['channel', 'channel'],
      ['retrievable-transfer', 'retrievableTransfer'],
      ['agent-call', 'agentCall'],
      ['consult-transfer', 'consultTransfer'],
      ['conference', 'conference'],
    ]);
    const svg = await raw(s.base, '/inspect/api/machines/channel/svg');
    expect(svg.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    expect(svg.text).toContain('id="state_channel.TRANSFERRED"');
    expect((await raw(s.base, '/inspect/api/machines/phone/svg')).status).toBe(404);
    expect(JSON.parse((await raw(s.base, '/inspect/api/calls/c-nope')).text)).toEqual({
      statusCode: 6,
      statusMessage: "Call 'c-nope' not found",
    });
  });
});

describe('on-demand recording (the default)', () => {
  test('nothing is attached while nobody watches; a page sees where calls are, then every step and callback, in order', async () => {
    const s = await startServer();
    try {
      const callId = await answeredCallInTransfer(s);
      expect(s.sb.inspection.watching).toBe(false);
      const calls = JSON.parse((await raw(s.base, '/inspect/api/calls')).text);
      expect(calls).toMatchObject({ mode: 'on-demand', recording: false });
      expect(
        calls.calls.map((c: { callId: string; state: string; live: boolean }) => [
          c.callId === callId,
          c.state,
          c.live,
        ]),
      ).toEqual([
        // Same start time on the simulated clock: registry order (the caller's leg, then the transfer's).
        [true, 'TRANSFERRING', true],
        [false, 'RING_OUTGOING', true],
      ]);
      // A call's detail without a recording: where its actors are now, and an empty timeline.
      const before = JSON.parse((await raw(s.base, `/inspect/api/calls/${callId}`)).text);
      expect(before.timeline).toEqual([]);
      expect(before.actors.map((a: { machine: string; value: unknown }) => [a.machine, a.value])).toEqual([
        ['channel', 'TRANSFERRING'],
        ['retrievable-transfer', { awaitingAnswer: 'ringing' }],
      ]);

      const page = subscribe(s.base);
      await page.opened;
      await page.until(() => page.entries(callId).length > 0);
      expect(s.sb.inspection.watching).toBe(true);
      s.clock.increment(2000); // the target answers
      await page.until(() => page.entries(callId).some((e) => e.kind === 'callback'));
      expect((await s.request('POST', `/api/v2/simulator/calls/${callId}/retrieve`)).body).toEqual({
        statusCode: 0,
        state: 'ANSWERED',
        transferCause: 'NORMAL',
      });
      await page.until(() =>
        page.entries(callId).some((e) => e.kind === 'callback' && e.eventType === 'transferComplete'),
      );

      expect(page.entries(callId).map(line)).toEqual([
        'watching',
        'retrievable-transfer TARGET.ANSWERED → "transferred"',
        'channel TRANSFER.CONNECTED → "TRANSFERRED"',
        'callback transferAnswer',
        'retrievable-transfer RETRIEVE → "ended"',
        'channel TRANSFER.RECONNECT → "RECONNECTING"',
        'channel NET.RECONNECTED → "ANSWERED"',
        'callback transferDisconnect',
        'callback transferComplete',
      ]);
      const seqs = page.entries(callId).map((e) => e.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      // The detail now holds the same timeline, and the call list says where each call is.
      const after = JSON.parse((await raw(s.base, `/inspect/api/calls/${callId}`)).text);
      expect(after.timeline.map(line)).toEqual(page.entries(callId).map(line));
      expect(after.call).toMatchObject({
        callId,
        state: 'ANSWERED',
        live: true,
        from: '+15550001111',
        to: '+15559990000',
      });
      expect(
        after.actors.map((a: { machine: string; value: unknown; status: string }) => [a.machine, a.value, a.status]),
      ).toEqual([
        ['channel', 'ANSWERED', 'active'],
        ['retrievable-transfer', 'ended', 'done'],
      ]);
      const list = JSON.parse((await raw(s.base, '/inspect/api/calls')).text);
      expect(list.calls.map((c: { state: string; live: boolean }) => [c.state, c.live])).toEqual([
        ['ANSWERED', true],
        ['IDLE', false],
      ]);

      page.close();
      for (let i = 0; i < 50 && s.sb.inspection.watching; i++) await new Promise((r) => setTimeout(r, 10));
      expect(s.sb.inspection.watching).toBe(false);
      expect(s.server.inspector?.connected).toBe(0);
    } finally {
      await s.close();
    }
  });
});

test('always: a page opened after a call ended shows its whole timeline', async () => {
  const s = await startServer({ SWITCHBOARD_INSPECTOR: 'always' });
  try {
    const callId = await answeredCallInTransfer(s);
    s.clock.increment(2000);
    await s.request('POST', `/api/v2/simulator/calls/${callId}/hangup`);
    expect(s.sb.hasCall(callId)).toBe(false);
    const detail = JSON.parse((await raw(s.base, `/inspect/api/calls/${callId}`)).text);
    expect(detail.call).toMatchObject({ callId, live: false, state: 'IDLE' });
    const lines = (detail.timeline as TimelineEntry[]).map(line);
    expect(lines.slice(0, 6)).toEqual([
      'channel xstate.init → "IDLE"',
      'channel WAIT → "WAITING"',
      'channel NET.OFFER → "CALL_INCOMING"',
      'callback initiate',
      'channel ANSWER → "ANSWERING"',
      'channel NET.ACCEPTED → "ANSWERED"',
    ]);
    expect(lines).toContain('callback transferDisconnect');
    expect(lines.at(-1)).toBe('callback disconnect');
  } finally {
    await s.close();
  }
});

test('off: no inspector at all', async () => {
  const s = await startServer({ SWITCHBOARD_INSPECTOR: 'off' });
  try {
    expect(s.server.inspector).toBeNull();
    expect((await raw(s.base, '/inspect')).status).toBe(404);
  } finally {
    await s.close();
  }
});

test('the inspector setting is checked', () => {
  expect(() => loadConfig({ env: { SWITCHBOARD_USERS: 'a:b:1', SWITCHBOARD_INSPECTOR: 'sometimes' } })).toThrow(
    "SWITCHBOARD_INSPECTOR: inspector must be one of 'on-demand', 'always', 'off', got \"sometimes\"",
  );
  expect(loadConfig({ env: { SWITCHBOARD_USERS: 'a:b:1' } }).inspector).toBe('on-demand');
});

describe('simulator application routes', () => {
  let s: Server;
  beforeAll(async () => (s = await startServer()));
  afterAll(() => s.close());

  test('refuse unknown calls, wrong states, bad bodies and agent calls, changing nothing', async () => {
    expect(await s.request('POST', '/api/v2/simulator/calls/c-nope/answer')).toEqual({
      status: 404,
      body: { statusCode: 6, statusMessage: "Call 'c-nope' not found among the calls placed with the simulator" },
    });
    const { body } = await s.request('POST', '/api/v2/simulator/calls', {
      body: { from: '+15550002222', to: '+15559990000' },
    });
    const callId = body.callId as string;
    expect(await s.request('POST', `/api/v2/simulator/calls/${callId}/retrieve`)).toMatchObject({
      status: 409,
      body: { statusCode: 2, statusMessage: expect.stringMatching(/\(the call is CALL_INCOMING\)$/) },
    });
    expect(await s.request('POST', `/api/v2/simulator/calls/${callId}/transfer`, { body: {} })).toMatchObject({
      status: 400,
      body: { statusCode: 1 },
    });
    expect(
      await s.request('POST', `/api/v2/simulator/calls/${callId}/transfer`, { body: { to: '1', secondsTimeout: 0 } }),
    ).toMatchObject({ status: 400 });
    expect(JSON.parse((await raw(s.base, `/inspect/api/calls/${callId}`)).text).call.state).toBe('CALL_INCOMING');
    const agent = await s.request('POST', '/api/v2/simulator/calls', { body: { from: '5000', to: '5005' } });
    expect(await s.request('POST', `/api/v2/simulator/calls/${agent.body.callId as string}/answer`)).toMatchObject({
      status: 409,
      body: { statusCode: 2, statusMessage: expect.stringMatching(/agent 5005's desk; operate it with the agent API/) },
    });
  });
});
