/**
 * CometD over real sockets with the official client (`cometd` + `cometd-nodejs-client`): Genesys's sample 2
 * performed over HTTP while a subscriber on /v2/me/calls receives the same notifications as the in-process
 * listener, over long-polling and over WebSocket; agents are isolated; bad handshakes and channels refused.
 */
import { CometD, type Message } from 'cometd';
import { adapt } from 'cometd-nodejs-client';
import type { CallNotification } from '../../src';
import { startServer } from './support';
import { subscribe as subscribeExample } from '../../examples/cometd-subscribe';

adapt();

type Transport = 'long-polling' | 'websocket';
type Server = Awaited<ReturnType<typeof startServer>>;

async function connect(base: string, user: string, password: string, transport: Transport): Promise<CometD> {
  const cometd = new CometD();
  if (transport === 'long-polling') cometd.unregisterTransport('websocket');
  else {
    cometd.unregisterTransport('long-polling');
    cometd.unregisterTransport('callback-polling');
  }
  cometd.configure({ url: `${base}/api/v2/notifications`, logLevel: 'warn' });
  await new Promise<void>((resolve, reject) =>
    cometd.handshake({ ext: { authentication: { user, password } } }, (reply: Message) => {
      if (reply.successful) return resolve();
      cometd.disconnect(); // no retries
      reject(new Error(`handshake refused: ${String(reply.error)}`));
    }),
  );
  return cometd;
}

async function subscribe(cometd: CometD, channel: string, into: Message[]): Promise<Message> {
  return new Promise((resolve) =>
    cometd.subscribe(
      channel,
      (m: Message) => into.push(m),
      (reply: Message) => resolve(reply),
    ),
  );
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const disconnect = (cometd: CometD) => new Promise<void>((resolve) => cometd.disconnect(() => resolve()));

async function sample2(s: Server): Promise<void> {
  await s.request('PUT', '/api/v2/simulator/endpoints/5001', { body: { outcome: 'noAnswer' } });
  await s.request('POST', '/api/v2/simulator/calls', { body: { from: '5000', to: '5005' } });
  const c1 = ((await s.request('GET', '/api/v2/me/calls')).body.calls as Array<{ id: string }>)[0].id;
  await s.request('POST', `/api/v2/me/calls/${c1}`, { body: { operationName: 'Answer' } });
  await s.request('POST', `/api/v2/me/calls/${c1}`, {
    body: { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } },
  });
  const c2 = ((await s.request('GET', '/api/v2/me/calls')).body.calls as Array<{ id: string; callType: string }>).find(
    (c) => c.callType === 'Consult',
  )?.id;
  await s.request('POST', `/api/v2/me/calls/${c2}`, { body: { operationName: 'CompleteTransfer' } });
}

describe.each(['long-polling', 'websocket'] as const)('CometD over %s', (transport) => {
  let s: Server;
  beforeEach(async () => {
    s = await startServer();
  });
  afterEach(async () => {
    await s.close();
  });

  test('a subscriber to /v2/me/calls receives sample 2, exactly as the in-process listener; the other agent nothing', async () => {
    const mine: Message[] = [];
    const theirs: Message[] = [];
    const agent = await connect(s.base, 'agent5005', 'pw-5005', transport);
    const other = await connect(s.base, 'agent5006', 'pw-5006', transport);
    expect(await subscribe(agent, '/v2/me/calls', mine)).toMatchObject({
      successful: true,
      subscription: '/v2/me/calls',
    });
    expect(await subscribe(other, '/v2/me/calls', theirs)).toMatchObject({ successful: true });

    await sample2(s);
    await until(() => mine.length === 6, 'six notifications');
    const expected: CallNotification[] = s.notifications;
    expect(mine.map((m) => ({ channel: m.channel, data: m.data }))).toEqual(
      expected.map((n) => ({ channel: n.channel, data: n.data })),
    );
    expect(mine.map((m) => (m.data as CallNotification['data']).call.state)).toEqual([
      'Ringing',
      'Established',
      'Held',
      'Dialing',
      'Released',
      'Released',
    ]);
    expect(theirs).toEqual([]);
    await disconnect(agent);
    await disconnect(other);
  });

  test('bad credentials are refused at the handshake; other channels and publishing are refused', async () => {
    await expect(connect(s.base, 'agent5005', 'wrong', transport)).rejects.toThrow(/401::Authentication failed/);
    const agent = await connect(s.base, 'agent5005', 'pw-5005', transport);
    expect(await subscribe(agent, '/v2/everyone', [])).toMatchObject({
      successful: false,
      error: '403:/v2/everyone:Forbidden channel',
    });
    const published = await new Promise<Message>((resolve) =>
      agent.publish('/v2/me/calls', { forged: true }, (reply: Message) => resolve(reply)),
    );
    expect(published).toMatchObject({ successful: false, error: '403::Clients cannot publish' });
    await disconnect(agent);
  });
});

test('the README subscription example (examples/cometd-subscribe.ts) receives the agent’s notifications', async () => {
  const s = await startServer();
  const got: Message[] = [];
  const client = await subscribeExample({
    url: s.base,
    user: 'agent5005',
    password: 'pw-5005',
    onNotification: (m) => got.push(m),
  });
  await s.request('POST', '/api/v2/simulator/calls', { body: { from: '5000', to: '5005' } });
  await until(() => got.length === 1, 'the Ringing notification');
  expect((got[0].data as CallNotification['data']).call.state).toBe('Ringing');
  await expect(
    subscribeExample({ url: s.base, user: 'agent5005', password: 'nope', onNotification: () => undefined }),
  ).rejects.toThrow(/401::Authentication failed/);
  await disconnect(client);
  await s.close();
});

describe('CometD endpoint hardening', () => {
  let s: Server;
  beforeEach(async () => {
    s = await startServer();
  });
  afterEach(async () => {
    await s.close();
  });
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${s.base}/api/v2/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const handshake = (ext: object) =>
    JSON.stringify([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'], ext }]);

  test('requests from other origins, JSONP GETs and oversized bodies are refused before faye reads them', async () => {
    const good = handshake({ authentication: { user: 'agent5005', password: 'pw-5005' } });
    expect((await post(good, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await fetch(`${s.base}/api/v2/notifications?message=x&jsonp=cb`)).status).toBe(405);
    expect((await post(`[${'{"channel":"/meta/connect"},'.repeat(3000)}{}]`)).status).toBe(413);
    const ok = (await (await post(good)).json()) as Array<{ successful: boolean }>;
    expect(ok[0].successful).toBe(true);
  });

  test('at most 3 failed handshakes per request, then 429', async () => {
    const guesses = JSON.stringify(
      ['a', 'b', 'c', 'pw-5005'].map((password) => ({
        channel: '/meta/handshake',
        version: '1.0',
        supportedConnectionTypes: ['long-polling'],
        ext: { authentication: { user: 'agent5005', password } },
      })),
    );
    const replies = (await (await post(guesses)).json()) as Array<{ error?: string }>;
    expect(replies.map((r) => r.error)).toEqual([
      '401::Authentication failed',
      '401::Authentication failed',
      '401::Authentication failed',
      '429::Too many failed handshakes',
    ]);
  });
});
