/**
 * The embedded agent API's parameter rules (src/engine/agent/validation.ts), as a program calling
 * `agent.operation()` / `agent.dial()` / `agent.call()` meets them: unknown operation names, unbounded or
 * unsafe strings, values JSON cannot carry. Each refusal is statusCode 1 naming the field, and changes and
 * emits nothing. The channel API's numbers follow the same rule.
 */
import type { CallNotification } from '../src';
import { answeredCall, makeHarness } from './harness';

function desk() {
  const h = makeHarness();
  const agent = h.sb.agent({ phoneNumber: '5005' });
  const other = h.sb.agent({ phoneNumber: '5006' });
  const messages: CallNotification[] = [];
  agent.on('notification', (m) => messages.push(m));
  h.sb.network.addEndpoint('5001', { outcome: 'noAnswer' });
  h.sb.network.placeCall({ from: '5000', to: '5005' });
  const id = agent.calls()[0].id;
  const observed = () => ({
    calls: JSON.stringify(agent.calls()),
    messages: messages.length,
    callbacks: h.callbacks.length,
    stats: h.sb.stats(),
  });
  return { h, agent, other, messages, id, observed };
}

test('agent.call(id): the call as calls() shows it; 6 unknown, 5 another agent, 6 once released', async () => {
  const { h, agent, other, id } = desk();
  expect(agent.call(id)).toEqual({ statusCode: 0, call: agent.calls()[0] });
  expect(agent.call('NOPE')).toEqual({ statusCode: 6, statusMessage: "Call 'NOPE' not found" });
  expect(other.call(id)).toEqual({
    statusCode: 5,
    statusMessage: `No permission: call '${id}' belongs to another agent's device`,
  });
  await agent.operation(id, { operationName: 'Answer' });
  await agent.operation(id, { operationName: 'Hangup' });
  expect(agent.calls()).toEqual([]);
  expect(agent.call(id)).toMatchObject({ statusCode: 6 });
  await h.assertClean();
});

test('an unknown operationName is statusCode 1 with the valid ones; the device takes only Dial', async () => {
  const { h, agent, id, observed } = desk();
  const before = observed();
  expect(await agent.operation(id, { operationName: 'answer' })).toEqual({
    statusCode: 1,
    statusMessage: expect.stringMatching(
      /^Invalid parameter 'operationName': unknown operation 'answer' \(did you mean 'Answer'\?\); valid operations: Answer, AttachUserData, .*, UpdateUserData$/,
    ),
  });
  expect(await agent.operation('NOPE', { operationName: 'Fly' })).toMatchObject({ statusCode: 1 });
  expect(await agent.operation(id, { operationName: 'A'.repeat(60_000) })).toEqual({
    statusCode: 1,
    statusMessage: "Invalid parameter 'operationName': is 60000 characters long (at most 64)",
  });
  expect(await agent.operation(id, { operationName: 'Hold' })).toMatchObject({ statusCode: 2 });
  expect(await agent.dial({ operationName: 'Dail', destination: { phoneNumber: '5001' } })).toEqual({
    statusCode: 1,
    statusMessage: "Invalid parameter 'operationName': unknown operation 'Dail'; valid operations on this route: Dial",
  });
  expect(await agent.dial({ operationName: '', destination: { phoneNumber: '5001' } })).toEqual({
    statusCode: 1,
    statusMessage: "Invalid parameter 'operationName': must be 'Dial' (or left out)",
  });
  expect(await agent.dial(null)).toEqual({
    statusCode: 1,
    statusMessage: "Missing parameter 'destination.phoneNumber'",
  });
  expect(observed()).toEqual(before);
  expect(await agent.dial({ operationName: 'Dial', destination: { phoneNumber: '5001' } })).toEqual({ statusCode: 0 });
  expect(await agent.dial({ destination: { phoneNumber: '5001' } })).toEqual({ statusCode: 0 });
  expect(agent.calls().map((c) => c.state)).toEqual(['Ringing', 'Dialing', 'Dialing']);
  await h.assertClean();
});

test('strings are bounded and checked before anything happens; values JSON cannot carry are refused too', async () => {
  const { h, agent, id, observed } = desk();
  await agent.operation(id, { operationName: 'Answer' });
  const before = observed();
  const transfer = (phoneNumber: unknown, op = 'InitiateTransfer') => ({
    operationName: op,
    destination: { phoneNumber },
  });
  const attach = (userData: unknown) => ({ operationName: 'AttachUserData', userData });
  const cases: Array<[unknown, string]> = [
    [
      transfer('5'.repeat(60_000)),
      "Invalid parameter 'destination.phoneNumber': is 60000 characters long (at most 64)",
    ],
    [
      transfer('5001\u0000', 'SingleStepTransfer'),
      "Invalid parameter 'destination.phoneNumber': contains U+0000 (a control character) at position 5",
    ],
    [
      transfer('\r\n5001'),
      "Invalid parameter 'destination.phoneNumber': contains U+000D (a control character) at position 1",
    ],
    [
      transfer('\u202E1005'),
      "Invalid parameter 'destination.phoneNumber': contains U+202E (not printable ASCII) at position 1",
    ],
    [transfer(''), "Invalid parameter 'destination.phoneNumber': must not be empty"],
    [transfer(null), "Invalid parameter 'destination.phoneNumber': must be a string, got null"],
    [transfer(5001), "Invalid parameter 'destination.phoneNumber': must be a string, got number"],
    [
      { operationName: 'InitiateTransfer', destination: ['5001'] },
      "Invalid parameter 'destination': must be an object with phoneNumber",
    ],
    [{ operationName: 'InitiateTransfer', destination: {} }, "Missing parameter 'destination.phoneNumber'"],
    [
      { operationName: 'SendDtmf', digits: '1'.repeat(65) },
      "Invalid parameter 'digits': is 65 digits long (at most 64)",
    ],
    [{ operationName: 'SendDtmf', digits: 7 }, "Invalid parameter 'digits': DTMF digits only (0-9, *, #, A-D)"],
    [{ operationName: 'SendDtmf' }, "Missing or invalid parameter 'digits' (0-9, *, #, A-D)"],
    [attach({ note: 'a'.repeat(1025) }), "Invalid parameter 'userData.note': is 1025 characters long (at most 1024)"],
    [
      attach(Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i]))),
      "Invalid parameter 'userData': has 101 pairs (at most 100)",
    ],
    [attach({ n: Number.NaN }), "Invalid parameter 'userData.n': must be a finite number"],
    [attach({ n: Infinity }), "Invalid parameter 'userData.n': must be a finite number"],
    [attach({ a: undefined }), "Invalid parameter 'userData.a': must be a string, number or boolean, got undefined"],
    [attach({ a: [1] }), "Invalid parameter 'userData.a': must be a string, number or boolean, got an array"],
    [attach({ a: null }), "Invalid parameter 'userData.a': must be a string, number or boolean, got null"],
    [
      attach({ a: '\uD800' }),
      "Invalid parameter 'userData.a': contains U+D800 (a control or bidirectional character) at position 1",
    ],
    [
      attach({ a: 'line\u2028two' }),
      "Invalid parameter 'userData.a': contains U+2028 (a control or bidirectional character) at position 5",
    ],
    [attach(JSON.parse('{"__proto__":"x"}')), "Invalid parameter 'userData': key '__proto__' is reserved"],
    [
      attach({ ['\u202Ekey']: 'v' }),
      "Invalid parameter 'userData': key number 1 contains U+202E (not printable ASCII) at position 1",
    ],
    [attach('a=1'), "Invalid parameter 'userData': must be an object of string, number or boolean values"],
    [{ operationName: 'DeleteUserDataPair', key: '' }, "Invalid parameter 'key': must not be empty"],
    [{ operationName: 'DeleteUserDataPair', key: null }, "Invalid parameter 'key': must be a string, got null"],
    [
      { operationName: 'DeleteUserDataPair', key: 'k'.repeat(65) },
      "Invalid parameter 'key': is 65 characters long (at most 64)",
    ],
    [
      { operationName: 'CompleteTransfer', consultCallUri: 'h'.repeat(513) },
      "Invalid parameter 'consultCallUri': is 513 characters long (at most 512)",
    ],
    [
      { operationName: 'SwapCalls', otherCallUri: 5 },
      "Invalid parameter 'otherCallUri': must be a non-empty string (a call URI)",
    ],
    [
      { operationName: 'Retrieve', otherCallUri: 'http://x/\u0000' },
      "Invalid parameter 'otherCallUri': contains U+0000 (a control character) at position 10",
    ],
  ];
  for (const [body, statusMessage] of cases)
    expect(await agent.operation(id, body)).toEqual({ statusCode: 1, statusMessage });
  for (const [phoneNumber, statusMessage] of [
    ['5'.repeat(60_000), "Invalid parameter 'destination.phoneNumber': is 60000 characters long (at most 64)"],
    ['5001\r\n', "Invalid parameter 'destination.phoneNumber': contains U+000D (a control character) at position 5"],
    ['\u202E5001', "Invalid parameter 'destination.phoneNumber': contains U+202E (not printable ASCII) at position 1"],
  ]) {
    expect(await agent.dial({ destination: { phoneNumber } })).toEqual({ statusCode: 1, statusMessage });
  }
  expect(observed()).toEqual(before);
  expect(agent.calls()[0]).toMatchObject({ state: 'Established', userData: {} });
  await h.assertClean();
});

test('the channel API dials by the same number rule', async () => {
  const h = makeHarness();
  const b = h.sb.createChannel();
  await expect(b.call('5'.repeat(65))).rejects.toThrow(
    new TypeError("call(): 'to' is 65 characters long (at most 64)"),
  );
  await expect(b.call('+1555\r\n')).rejects.toThrow(
    /call\(\): 'to' contains U\+000D \(a control character\) at position 6/,
  );
  await expect(b.call('\u202E+1555')).rejects.toThrow(/'to' contains U\+202E \(not printable ASCII\)/);
  expect(h.callbacks).toEqual([]);
  expect(h.sb.stats()).toMatchObject({ legs: 0 });
  h.sb.network.addEndpoint('+1555', { outcome: 'busy' });
  const { a } = await answeredCall(h);
  a.createTonePlayer();
  await expect(a.retrievableTransfer(h.sb.createChannel(), '+1555\u0000')).rejects.toThrow(
    /retrievableTransfer\(\): 'to' contains U\+0000/,
  );
  await expect(a.transferToInboundService(h.sb.createChannel(), 'v'.repeat(65))).rejects.toThrow(
    /'serviceName' is 65 characters long \(at most 64\)/,
  );
  expect(a.state).toBe('ANSWERED');
});
