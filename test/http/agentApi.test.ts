/**
 * The agent API over HTTP, as a desktop and a person with curl use it: `GET /api/v2/me/calls/{id}`, unknown
 * operation names (a bad parameter, not a bad state), and bounded, validated strings in every operation:
 * each bad input is a 400 / statusCode 1 naming the field, with no notification, no callback, nothing changed.
 */
import type { BandwidthCallback } from '../../src';
import { startServer } from './support';

type Server = Awaited<ReturnType<typeof startServer>>;
type Call = { id: string; state: string; callType: string; userData: Record<string, unknown> };
let s: Server;
let callbacks: BandwidthCallback[];
beforeEach(async () => {
  s = await startServer();
  callbacks = [];
  s.sb.on('callback', (payload) => callbacks.push(payload));
});
afterEach(async () => {
  await s.close();
});

const calls = async () => (await s.request('GET', '/api/v2/me/calls')).body.calls as Call[];
const operate = (id: string, body: unknown) => s.request('POST', `/api/v2/me/calls/${id}`, { body });

/** A call ringing agent 5005, answered. */
async function establishedCall(): Promise<string> {
  await s.request('POST', '/api/v2/simulator/calls', { body: { from: '5000', to: '5005' } });
  const id = (await calls())[0].id;
  expect(await operate(id, { operationName: 'Answer' })).toEqual({ status: 200, body: { statusCode: 0 } });
  return id;
}

/** What a refused request must leave alone. */
async function observed() {
  return {
    calls: await calls(),
    notifications: s.notifications.length,
    callbacks: callbacks.length,
    stats: s.sb.stats(),
  };
}

test('GET /api/v2/me/calls/{id}: the call as the list shows it; 404/6 unknown, 403/5 another agent, 404 once released', async () => {
  s.sb.network.addEndpoint('5001', { outcome: 'noAnswer' });
  await s.request('POST', '/api/v2/simulator/calls', { body: { from: '5000', to: '5005' } });
  const [ringing] = await calls();
  expect(await s.request('GET', `/api/v2/me/calls/${ringing.id}`)).toEqual({
    status: 200,
    body: { statusCode: 0, call: ringing },
  });
  expect(ringing).toMatchObject({ state: 'Ringing', callType: 'Internal' });

  await operate(ringing.id, { operationName: 'Answer' });
  await operate(ringing.id, { operationName: 'AttachUserData', userData: { account: '42' } });
  await operate(ringing.id, { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } });
  const listed = await calls();
  for (const call of listed)
    expect((await s.request('GET', `/api/v2/me/calls/${call.id}`)).body).toEqual({ statusCode: 0, call });
  expect(listed.map((c) => `${c.state} ${c.callType} ${JSON.stringify(c.userData)}`)).toEqual([
    'Held Internal {"account":"42"}',
    'Dialing Consult {}',
  ]);

  expect(await s.request('GET', '/api/v2/me/calls/NOPE')).toEqual({
    status: 404,
    body: { statusCode: 6, statusMessage: "Call 'NOPE' not found" },
  });
  expect(await s.request('GET', `/api/v2/me/calls/${ringing.id}`, { user: 'agent5006:pw-5006' })).toEqual({
    status: 403,
    body: { statusCode: 5, statusMessage: `No permission: call '${ringing.id}' belongs to another agent's device` },
  });
  expect(await s.request('GET', `/api/v2/me/calls/${ringing.id}`, { user: null })).toMatchObject({
    status: 401,
    body: { statusCode: 20 },
  });
  expect(await s.request('GET', `/api/v2/me/calls/${'x'.repeat(129)}`)).toMatchObject({
    status: 400,
    body: { statusCode: 1 },
  });

  // Released calls leave the list, and GET answers as for any unknown call.
  await operate(listed[1].id, { operationName: 'Hangup' });
  await operate(ringing.id, { operationName: 'Retrieve' });
  await operate(ringing.id, { operationName: 'Hangup' });
  expect(await calls()).toEqual([]);
  for (const call of listed)
    expect(await s.request('GET', `/api/v2/me/calls/${call.id}`)).toMatchObject({
      status: 404,
      body: { statusCode: 6 },
    });
});

test('an unknown operationName is a bad parameter (400/1, naming the valid ones); a known one not valid now is 409/2', async () => {
  s.sb.network.addEndpoint('5001', { outcome: 'noAnswer' });
  await s.request('POST', '/api/v2/simulator/calls', { body: { from: '5000', to: '5005' } });
  const id = (await calls())[0].id;
  const before = await observed();
  const all =
    'Answer, AttachUserData, CompleteConference, CompleteTransfer, DeleteFromConference, DeleteUserData, ' +
    'DeleteUserDataPair, Hangup, Hold, InitiateConference, InitiateTransfer, Retrieve, SendDtmf, SingleStepConference, ' +
    'SingleStepTransfer, SwapCalls, UpdateUserData';
  expect(await operate(id, { operationName: 'answer' })).toEqual({
    status: 400,
    body: {
      statusCode: 1,
      statusMessage: `Invalid parameter 'operationName': unknown operation 'answer' (did you mean 'Answer'?); valid operations: ${all}`,
    },
  });
  expect(await operate(id, { operationName: 'Fly' })).toEqual({
    status: 400,
    body: {
      statusCode: 1,
      statusMessage: `Invalid parameter 'operationName': unknown operation 'Fly'; valid operations: ${all}`,
    },
  });
  // Parameters are judged before the call: an unknown operation on an unknown call is still a bad parameter.
  expect(await operate('NOPE', { operationName: 'answer' })).toMatchObject({ status: 400, body: { statusCode: 1 } });
  expect(await operate(id, { operationName: 'x'.repeat(65) })).toMatchObject({
    status: 400,
    body: { statusCode: 1, statusMessage: expect.stringMatching(/operationName must NOT have more than 64/) },
  });
  expect(await operate(id, { operationName: 'Ans\u202Ewer' })).toEqual({
    status: 400,
    body: {
      statusCode: 1,
      statusMessage: "Invalid parameter 'operationName': contains U+202E (not printable ASCII) at position 4",
    },
  });
  expect(await operate(id, { operationName: 'Hold' })).toMatchObject({
    status: 409,
    body: { statusCode: 2, statusMessage: expect.stringMatching(/^Hold is not valid for a call in state Ringing/) },
  });

  // The device route (Dial) takes only 'Dial'.
  const deviceId = (await s.request('GET', '/api/v2/me')).body.user as { deviceId: string };
  const dial = (body: unknown) => s.request('POST', `/api/v2/me/devices/${deviceId.deviceId}/calls`, { body });
  const destination = { phoneNumber: '5001' };
  expect(await dial({ operationName: 'dial', destination })).toEqual({
    status: 400,
    body: {
      statusCode: 1,
      statusMessage:
        "Invalid parameter 'operationName': unknown operation 'dial' (did you mean 'Dial'?); valid operations on this route: Dial",
    },
  });
  expect(await dial({ operationName: 'Answer', destination })).toEqual({
    status: 400,
    body: {
      statusCode: 1,
      statusMessage:
        "Invalid parameter 'operationName': 'Answer' is a call operation (POST /api/v2/me/calls/{id}); valid operations on this route: Dial",
    },
  });
  expect(await observed()).toEqual(before);
  expect(await dial({ operationName: 'Dial', destination })).toEqual({ status: 200, body: { statusCode: 0 } });
  expect((await calls()).map((c) => c.state)).toEqual(['Ringing', 'Dialing']);
});

test('every string is bounded and checked: each bad input is 400/1 naming the field, and changes nothing', async () => {
  const id = await establishedCall();
  const me = (await s.request('GET', '/api/v2/me')).body.user as { deviceId: string };
  const before = await observed();
  const call = (body: object) => ({ path: `/api/v2/me/calls/${id}`, body });
  const dial = (phoneNumber: unknown) => ({
    path: `/api/v2/me/devices/${me.deviceId}/calls`,
    body: { operationName: 'Dial', destination: { phoneNumber } },
  });
  const transfer = (phoneNumber: unknown, op = 'InitiateTransfer') =>
    call({ operationName: op, destination: { phoneNumber } });
  const attach = (userData: unknown, op = 'AttachUserData') => call({ operationName: op, userData });
  const number = /Missing or invalid parameter: body\/destination\/phoneNumber must NOT have more than 64 characters/;
  const cases: Array<[{ path: string; body: object }, RegExp | string]> = [
    [transfer('5'.repeat(60_000)), number],
    [transfer('5'.repeat(65)), number],
    [
      transfer('50\u000001'),
      "Invalid parameter 'destination.phoneNumber': contains U+0000 (a control character) at position 3",
    ],
    [
      transfer('5001\r\n'),
      "Invalid parameter 'destination.phoneNumber': contains U+000D (a control character) at position 5",
    ],
    [
      transfer('\u202E1005'),
      "Invalid parameter 'destination.phoneNumber': contains U+202E (not printable ASCII) at position 1",
    ],
    [
      transfer('5001\u2066'),
      "Invalid parameter 'destination.phoneNumber': contains U+2066 (not printable ASCII) at position 5",
    ],
    [transfer(' 5001'), "Invalid parameter 'destination.phoneNumber': starts or ends with a space"],
    [transfer(5001), /body\/destination\/phoneNumber must be string/],
    [call({ operationName: 'InitiateTransfer', destination: '5001' }), /body\/destination must be object/],
    [transfer('\u202E5001', 'SingleStepTransfer'), /'destination.phoneNumber': contains U\+202E/],
    [transfer('5'.repeat(65), 'SingleStepTransfer'), number],
    [dial('5'.repeat(60_000)), number],
    [dial('5001\u0000'), /'destination.phoneNumber': contains U\+0000 \(a control character\) at position 5/],
    [dial('\u202E5001'), /'destination.phoneNumber': contains U\+202E/],
    [
      call({ operationName: 'SendDtmf', digits: '12x' }),
      "Invalid parameter 'digits': DTMF digits only (0-9, *, #, A-D)",
    ],
    [
      call({ operationName: 'SendDtmf', digits: '1\r\n' }),
      "Invalid parameter 'digits': DTMF digits only (0-9, *, #, A-D)",
    ],
    [call({ operationName: 'SendDtmf', digits: '1'.repeat(65) }), /body\/digits must NOT have more than 64 characters/],
    [attach({ note: 'a'.repeat(1025) }), /body\/userData\/note must NOT have more than 1024 characters/],
    [
      attach({ ['k'.repeat(65)]: 'v' }),
      "Invalid parameter 'userData': key number 1 is 65 characters long (at most 64)",
    ],
    [
      attach(Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i]))),
      /body\/userData must NOT have more than 100 properties/,
    ],
    [attach({ a: { nested: 1 } }), /body\/userData\/a must be string,number,boolean/],
    [attach({ a: null }), /body\/userData\/a must be string,number,boolean/],
    [attach(['a']), /body\/userData must be object/],
    [
      attach({ ok: 1, 'a\u0000': 'v' }),
      "Invalid parameter 'userData': key number 2 contains U+0000 (a control character) at position 2",
    ],
    [attach({ '': 'v' }), "Invalid parameter 'userData': key '' must not be empty"],
    [
      attach({ a: 'x\r\ny' }),
      "Invalid parameter 'userData.a': contains U+000D (a control or bidirectional character) at position 2",
    ],
    [
      attach({ a: '\u202Eabc' }),
      "Invalid parameter 'userData.a': contains U+202E (a control or bidirectional character) at position 1",
    ],
    [
      attach({ a: 'ok\u2066' }, 'UpdateUserData'),
      "Invalid parameter 'userData.a': contains U+2066 (a control or bidirectional character) at position 3",
    ],
    [
      call({ operationName: 'DeleteUserDataPair', key: 'k'.repeat(65) }),
      /body\/key must NOT have more than 64 characters/,
    ],
    [
      call({ operationName: 'DeleteUserDataPair', key: 'k\u0000' }),
      "Invalid parameter 'key': contains U+0000 (a control character) at position 2",
    ],
    [call({ operationName: 'DeleteUserDataPair', key: 5 }), /body\/key must be string/],
    [
      call({ operationName: 'CompleteTransfer', consultCallUri: 'h'.repeat(513) }),
      /body\/consultCallUri must NOT have more than 512 characters/,
    ],
    [
      call({ operationName: 'CompleteTransfer', consultCallUri: 'http://x/\r\n' }),
      "Invalid parameter 'consultCallUri': contains U+000D (a control character) at position 10",
    ],
    [call({ operationName: 'CompleteTransfer', consultCallUri: 5 }), /body\/consultCallUri must be string/],
    [
      call({ operationName: 'Retrieve', otherCallUri: '\u202Ehttp://x' }),
      "Invalid parameter 'otherCallUri': contains U+202E (not printable ASCII) at position 1",
    ],
    [
      call({ operationName: 'SwapCalls', otherCallUri: '' }),
      /body\/otherCallUri must NOT have fewer than 1 characters/,
    ],
    // The simulator's numbers follow the same rule.
    [{ path: '/api/v2/simulator/calls', body: { from: '5000\r\n', to: '5005' } }, /body\/from must match pattern/],
    [
      { path: '/api/v2/simulator/calls', body: { from: '5000', to: '5'.repeat(65) } },
      /body\/to must NOT have more than 64 characters/,
    ],
    // A field is checked wherever it appears, not only by the operation that uses it.
    [call({ operationName: 'Hold', digits: 'x' }), "Invalid parameter 'digits': DTMF digits only (0-9, *, #, A-D)"],
  ];
  for (const [{ path, body }, message] of cases) {
    const res = await s.request('POST', path, { body });
    expect({ body: JSON.stringify(body).slice(0, 80), status: res.status, statusCode: res.body.statusCode }).toEqual({
      body: JSON.stringify(body).slice(0, 80),
      status: 400,
      statusCode: 1,
    });
    if (typeof message === 'string') expect(res.body.statusMessage).toBe(message);
    else expect(res.body.statusMessage).toMatch(message);
  }
  expect(await observed()).toEqual(before);
  expect((await calls())[0]).toMatchObject({ state: 'Established', userData: {} });
});

test('the bounds themselves are accepted: a 64-character number, 64 DTMF digits, 100 pairs of up to 1024 characters', async () => {
  s.sb.network.addEndpoint('5'.repeat(64), { outcome: 'noAnswer' });
  const id = await establishedCall();
  expect(await operate(id, { operationName: 'SendDtmf', digits: '0123456789*#ABCD'.repeat(4) })).toEqual({
    status: 200,
    body: { statusCode: 0 },
  });
  const hundred = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`key-${i}`, i % 2 ? 'v'.repeat(1024) : i]));
  expect(await operate(id, { operationName: 'AttachUserData', userData: hundred })).toEqual({
    status: 200,
    body: { statusCode: 0 },
  });
  // Values may be any text without controls (here non-ASCII letters and an emoji).
  expect(await operate(id, { operationName: 'UpdateUserData', userData: { 'key-0': 'José ☎ 👋' } })).toEqual({
    status: 200,
    body: { statusCode: 0 },
  });
  // The call holds 100 pairs: one more key is refused, whole, with no notification.
  const before = await observed();
  expect(await operate(id, { operationName: 'AttachUserData', userData: { 'key-1': 'x', extra: 'y' } })).toEqual({
    status: 400,
    body: {
      statusCode: 1,
      statusMessage: "Invalid parameter 'userData': the call would hold 101 user-data pairs (at most 100 per call)",
    },
  });
  expect(await observed()).toEqual(before);
  expect(
    await operate(id, { operationName: 'InitiateTransfer', destination: { phoneNumber: '5'.repeat(64) } }),
  ).toEqual({ status: 200, body: { statusCode: 0 } });
  const consult = (await calls()).find((c) => c.callType === 'Consult') as unknown as {
    participants: Array<{ phoneNumber: string }>;
  };
  expect(consult.participants[0].phoneNumber).toBe('5'.repeat(64));
});
