/**
 * The agent API over real sockets: Genesys's sample 2 performed over HTTP, and bad input of every kind,
 * each with its HTTP status and Genesys error, changing nothing.
 */
import { startServer } from './support';

type Server = Awaited<ReturnType<typeof startServer>>;
let s: Server;
beforeEach(async () => {
  s = await startServer();
});
afterEach(async () => {
  await s.close();
});

test('sample 2 over HTTP: Answer, InitiateTransfer, CompleteTransfer on the consult call', async () => {
  expect(await s.request('PUT', '/api/v2/simulator/endpoints/5001', { body: { outcome: 'noAnswer' } })).toEqual({
    status: 200,
    body: { statusCode: 0 },
  });
  const placed = await s.request('POST', '/api/v2/simulator/calls', { body: { from: '5000', to: '5005' } });
  expect(placed).toMatchObject({ status: 201, body: { statusCode: 0, callId: expect.stringMatching(/^c-/) } });
  const calls = (await s.request('GET', '/api/v2/me/calls')).body.calls as Array<{ id: string; state: string }>;
  expect(calls.map((c) => c.state)).toEqual(['Ringing']);
  const c1 = calls[0].id;
  expect(await s.request('POST', `/api/v2/me/calls/${c1}`, { body: { operationName: 'Answer' } })).toEqual({
    status: 200,
    body: { statusCode: 0 },
  });
  expect(
    await s.request('POST', `/api/v2/me/calls/${c1}`, {
      body: { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } },
    }),
  ).toEqual({ status: 200, body: { statusCode: 0 } });
  const consult = (
    (await s.request('GET', '/api/v2/me/calls')).body.calls as Array<{ id: string; callType: string }>
  ).find((c) => c.callType === 'Consult');
  expect(
    await s.request('POST', `/api/v2/me/calls/${consult?.id}`, { body: { operationName: 'CompleteTransfer' } }),
  ).toEqual({
    status: 200,
    body: { statusCode: 0 },
  });
  expect(s.notifications.map((m) => `${m.data.call.id === c1 ? 'C1' : 'C2'} ${m.data.call.state}`)).toEqual([
    'C1 Ringing',
    'C1 Established',
    'C1 Held',
    'C2 Dialing',
    'C1 Released',
    'C2 Released',
  ]);
  expect((await s.request('GET', '/api/v2/me/calls')).body).toEqual({ statusCode: 0, calls: [] });
});

test('GET /api/v2/me says who I am and which device is mine; /healthz needs no login', async () => {
  const me = await s.request('GET', '/api/v2/me');
  expect(me).toMatchObject({
    status: 200,
    body: { statusCode: 0, user: { userName: 'agent5005', phoneNumber: '5005', deviceId: expect.any(String) } },
  });
  expect((await s.request('GET', '/healthz', { user: null })).body).toMatchObject({ status: 'ok', legs: 0 });
});

test('bad input gets its status and error, and changes nothing', async () => {
  await s.request('POST', '/api/v2/simulator/calls', { body: { from: '5000', to: '5005' } });
  const callsBefore = (await s.request('GET', '/api/v2/me/calls')).body;
  const c1 = (callsBefore.calls as Array<{ id: string }>)[0].id;
  const notificationsBefore = s.notifications.length;
  const statsBefore = s.sb.stats();
  const cases: Array<[string, string, Parameters<Server['request']>[2], number, number, RegExp]> = [
    ['GET', '/api/v2/me/calls', { user: null }, 401, 20, /Authentication failed/],
    ['GET', '/api/v2/me/calls', { user: 'agent5005:wrong' }, 401, 20, /Authentication failed/],
    ['GET', '/api/v2/me/calls', { user: 'nobody:pw' }, 401, 20, /Authentication failed/],
    [
      'POST',
      `/api/v2/me/calls/${c1}`,
      { user: 'agent5006:pw-5006', body: { operationName: 'Answer' } },
      403,
      5,
      /belongs to another agent/,
    ],
    ['POST', '/api/v2/me/calls/NOPE', { body: { operationName: 'Answer' } }, 404, 6, /not found/],
    ['POST', `/api/v2/me/calls/${c1}`, { body: {} }, 400, 1, /Missing or invalid parameter: body.*operationName/],
    ['POST', `/api/v2/me/calls/${c1}`, { body: { operationName: 5 } }, 400, 1, /operationName must be string/],
    [
      'POST',
      `/api/v2/me/calls/${c1}`,
      { body: { operationName: 'Hold' } },
      409,
      2,
      /not valid for a call in state Ringing/,
    ],
    [
      'POST',
      `/api/v2/me/calls/${c1}`,
      { body: { operationName: 'Fly' } },
      400,
      1,
      /unknown operation 'Fly'; valid operations: Answer, /,
    ],
    [
      'POST',
      `/api/v2/me/calls/${c1}`,
      { body: { operationName: 'InitiateTransfer' } },
      400,
      1,
      /destination.phoneNumber/,
    ],
    ['POST', `/api/v2/me/calls/${c1}`, { raw: '{"operationName": "Answer"' }, 400, 1, /Malformed JSON/],
    [
      'POST',
      `/api/v2/me/calls/${c1}`,
      { raw: JSON.stringify({ operationName: 'Answer', pad: 'x'.repeat(70_000) }) },
      413,
      1,
      /too large/,
    ],
    [
      'POST',
      `/api/v2/me/calls/${c1}`,
      { raw: 'operationName=Answer', type: 'application/x-www-form-urlencoded' },
      415,
      1,
      /must be application\/json/,
    ],
    [
      'POST',
      '/api/v2/me/devices/not-my-device/calls',
      { body: { destination: { phoneNumber: '5001' } } },
      403,
      5,
      /not yours/,
    ],
    [
      'PUT',
      '/api/v2/simulator/endpoints/5001',
      { body: { outcome: 'explode' } },
      400,
      1,
      /outcome must be equal to one of the allowed values/,
    ],
    [
      'PUT',
      '/api/v2/simulator/endpoints/5001',
      { body: { outcome: 'busy', hangUpAfter: 3 } },
      400,
      1,
      /hangUpAfter only applies/,
    ],
    [
      'PUT',
      '/api/v2/simulator/endpoints/5001',
      { body: { outcome: 'busy', earlyMedia: true } },
      400,
      1,
      /earlyMedia needs an outcome that rings/,
    ],
    [
      'PUT',
      '/api/v2/simulator/endpoints/5001',
      { body: { outcome: 'answer', earlyMedia: 'yes' } },
      400,
      1,
      /earlyMedia must be boolean/,
    ],
    ['POST', '/api/v2/simulator/calls', { body: { from: '5000' } }, 400, 1, /to/],
    ['POST', '/api/v2/simulator/calls/c-unknown/hangup', {}, 404, 6, /not found/],
    ['DELETE', '/api/v2/me/calls', {}, 404, 1, /No such endpoint: DELETE \/api\/v2\/me\/calls/],
  ];
  for (const [method, path, options, status, statusCode, message] of cases) {
    const res = await s.request(method, path, options);
    expect({ method, path, status: res.status, statusCode: res.body.statusCode }).toEqual({
      method,
      path,
      status,
      statusCode,
    });
    expect(res.body.statusMessage).toMatch(message);
  }
  expect((await s.request('GET', '/api/v2/me/calls')).body).toEqual(callsBefore);
  expect(s.notifications.length).toBe(notificationsBefore);
  expect(s.sb.stats()).toEqual(statsBefore);
});

test('the simulator hangs up a far end over HTTP; the agent sees the call Released', async () => {
  const { body } = await s.request('POST', '/api/v2/simulator/calls', { body: { from: '5000', to: '5005' } });
  // A bodyless POST with the JSON content type (as curl with a -H content-type alias sends it) is fine.
  expect(await s.request('POST', `/api/v2/simulator/calls/${body.callId}/hangup`, { raw: '' })).toEqual({
    status: 200,
    body: { statusCode: 0 },
  });
  expect(s.notifications.map((m) => m.data.call.state)).toEqual(['Ringing', 'Released']);
  expect(s.sb.stats()).toMatchObject({ legs: 0, agentCalls: 0, timers: 0 });
});

test('401 carries no WWW-Authenticate (no browser prompt); __proto__ keys are dropped from bodies', async () => {
  const res = await fetch(`${s.base}/api/v2/me`);
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toBeNull();
  await s.request('POST', '/api/v2/simulator/calls', { body: { from: '5000', to: '5005' } });
  const c1 = ((await s.request('GET', '/api/v2/me/calls')).body.calls as Array<{ id: string }>)[0].id;
  const res2 = await s.request('POST', `/api/v2/me/calls/${c1}`, {
    raw: '{"operationName":"AttachUserData","userData":{"a":"1","__proto__":{"polluted":"yes"}}}',
  });
  expect(res2.body).toEqual({ statusCode: 0 });
  const calls = (await s.request('GET', '/api/v2/me/calls')).body.calls as Array<{ userData: Record<string, unknown> }>;
  expect(calls[0].userData).toEqual({ a: '1' });
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});
