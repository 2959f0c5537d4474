/**
 * The agent desk outside transfers: errors 1, 2, 5, 6 (each changing nothing and emitting nothing), user
 * data, Dial, Hold/Retrieve, Hangup, the channel API refusing agent calls, and a single-step timeout.
 */
import { CallChannelError, TransferCause, type CallNotification, type TransferEndedInfo } from '../src';
import { flush, makeHarness } from './harness';

function desk() {
  const h = makeHarness();
  const agent = h.sb.agent({ phoneNumber: '5005' });
  const other = h.sb.agent({ phoneNumber: '5006' });
  const messages: CallNotification[] = [];
  agent.on('notification', (m) => messages.push(m));
  return { h, agent, other, messages };
}

test('a call to an agent DN rings that device (not the application); Answer → Established', async () => {
  const { h, agent, messages } = desk();
  const apps: unknown[] = [];
  h.sb.on('incomingCall', (c) => apps.push(c));
  const { channel } = h.sb.network.placeCall({ from: '+15550001111', to: '5005' });
  expect(apps).toEqual([]);
  const [call] = agent.calls();
  expect(call).toMatchObject({ state: 'Ringing', callType: 'Inbound', dnis: '5005' });
  expect(call.participants).toEqual([
    {
      e164Number: '+15550001111',
      formattedPhoneNumber: '+15550001111',
      phoneNumber: '+15550001111',
      digits: '15550001111',
    },
  ]);
  expect(await agent.operation(call.id, { operationName: 'Answer' })).toEqual({ statusCode: 0 });
  expect(messages.map((m) => m.data.call.state)).toEqual(['Ringing', 'Established']);
  expect(channel.state).toBe('ANSWERED');
  await expect(channel.hangUp()).rejects.toThrow(CallChannelError);
  await expect(channel.hangUp()).rejects.toThrow(/this call is on agent 5005's desk; operate it with the agent API/);
  expect(await agent.operation(call.id, { operationName: 'Hangup' })).toEqual({ statusCode: 0 });
  expect(messages.at(-1)?.data.call.state).toBe('Released');
  expect(h.summary().at(-1)).toEqual(['disconnect', channel.callId, 'hangup']);
  await h.assertClean();
});

test('errors 1, 2, 5, 6 with clear messages; a refused operation changes nothing and emits nothing', async () => {
  const { h, agent, other, messages } = desk();
  h.sb.network.placeCall({ from: '5000', to: '5005' });
  const [call] = agent.calls();
  const before = {
    calls: JSON.stringify(agent.calls()),
    messages: messages.length,
    callbacks: h.callbacks.length,
    stats: h.sb.stats(),
  };
  const cases: Array<[string, unknown, object]> = [
    [call.id, null, { statusCode: 1, statusMessage: "The request body must be a JSON object with 'operationName'" }],
    [call.id, {}, { statusCode: 1, statusMessage: "Missing parameter 'operationName'" }],
    ['NOPE', { operationName: 'Answer' }, { statusCode: 6, statusMessage: "Call 'NOPE' not found" }],
    [
      call.id,
      { operationName: 'Fly' },
      {
        statusCode: 1,
        statusMessage: expect.stringMatching(
          /^Invalid parameter 'operationName': unknown operation 'Fly'; valid operations: Answer, /,
        ),
      },
    ],
    [
      call.id,
      { operationName: 'Hold' },
      {
        statusCode: 2,
        statusMessage:
          'Hold is not valid for a call in state Ringing (capabilities: UpdateUserData, DeleteUserData, AttachUserData, DeleteUserDataPair, Answer)',
      },
    ],
    [
      call.id,
      { operationName: 'AttachUserData' },
      {
        statusCode: 1,
        statusMessage: "Missing or invalid parameter 'userData' (an object of string, number or boolean values)",
      },
    ],
    [
      call.id,
      { operationName: 'AttachUserData', userData: { nested: { no: 1 } } },
      { statusCode: 1, statusMessage: expect.stringMatching(/userData/) },
    ],
    [call.id, { operationName: 'DeleteUserDataPair' }, { statusCode: 1, statusMessage: "Missing parameter 'key'" }],
  ];
  for (const [id, body, expected] of cases) expect(await agent.operation(id, body)).toEqual(expected);
  expect(await other.operation(call.id, { operationName: 'Answer' })).toEqual({
    statusCode: 5,
    statusMessage: `No permission: call '${call.id}' belongs to another agent's device`,
  });
  expect({
    calls: JSON.stringify(agent.calls()),
    messages: messages.length,
    callbacks: h.callbacks.length,
    stats: h.sb.stats(),
  }).toEqual(before);
  await agent.operation(call.id, { operationName: 'Answer' });
  const answered = agent.calls()[0];
  const afterAnswer = { messages: messages.length, callbacks: h.callbacks.length };
  expect(await agent.operation(answered.id, { operationName: 'InitiateTransfer' })).toEqual({
    statusCode: 1,
    statusMessage: "Missing parameter 'destination.phoneNumber'",
  });
  expect(
    await agent.operation(answered.id, { operationName: 'InitiateTransfer', destination: { phoneNumber: '' } }),
  ).toMatchObject({ statusCode: 1 });
  expect(await agent.operation(answered.id, { operationName: 'SendDtmf', digits: '12x' })).toEqual({
    statusCode: 1,
    statusMessage: "Invalid parameter 'digits': DTMF digits only (0-9, *, #, A-D)",
  });
  // A conference operation needs its destination; one that is not listed is refused like any other.
  expect(await agent.operation(answered.id, { operationName: 'SingleStepConference' })).toEqual({
    statusCode: 1,
    statusMessage: "Missing parameter 'destination.phoneNumber'",
  });
  expect(await agent.operation(answered.id, { operationName: 'DeleteFromConference', participant: '5001' })).toEqual({
    statusCode: 2,
    statusMessage:
      'DeleteFromConference is not valid for a call in state Established (capabilities: UpdateUserData, ' +
      'SingleStepConference, DeleteUserData, Hangup, SendDtmf, Hold, AttachUserData, SingleStepTransfer, ' +
      'InitiateConference, DeleteUserDataPair, InitiateTransfer)',
  });
  expect(await agent.operation(answered.id, { operationName: 'CompleteTransfer' })).toMatchObject({ statusCode: 2 });
  expect(await agent.operation(answered.id, { operationName: 'Retrieve' })).toMatchObject({ statusCode: 2 });
  expect({ messages: messages.length, callbacks: h.callbacks.length }).toEqual(afterAnswer);
  expect(agent.calls()[0]).toEqual(answered);
  await h.assertClean();
});

test('user data: attach, update, delete a pair, delete all; each an AttachedDataChanged notification', async () => {
  const { h, agent, messages } = desk();
  h.sb.network.placeCall({ from: '5000', to: '5005' });
  const id = agent.calls()[0].id;
  const ok = { statusCode: 0 };
  expect(
    await agent.operation(id, { operationName: 'AttachUserData', userData: { account: '123', vip: true } }),
  ).toEqual(ok);
  expect(await agent.operation(id, { operationName: 'UpdateUserData', userData: { account: '456' } })).toEqual(ok);
  expect(agent.calls()[0].userData).toEqual({ account: '456', vip: true });
  expect(await agent.operation(id, { operationName: 'DeleteUserDataPair', key: 'vip' })).toEqual(ok);
  expect(agent.calls()[0].userData).toEqual({ account: '456' });
  expect(await agent.operation(id, { operationName: 'DeleteUserData' })).toEqual(ok);
  expect(agent.calls()[0].userData).toEqual({});
  expect(messages.map((m) => `${m.data.notificationType}:${JSON.stringify(m.data.call.userData)}`)).toEqual([
    'StatusChange:{}',
    'AttachedDataChanged:{"account":"123","vip":true}',
    'AttachedDataChanged:{"account":"456","vip":true}',
    'AttachedDataChanged:{"account":"456"}',
    'AttachedDataChanged:{}',
  ]);
  await h.assertClean();
});

test('Dial: Dialing (ordinary capabilities) → Established, answer callback; Hold / Retrieve; SendDtmf', async () => {
  const { h, agent, messages } = desk();
  h.sb.network.addEndpoint('+15557770000', { outcome: 'answer', ringFor: 2 });
  expect(await agent.dial({ destination: { phoneNumber: '+15557770000' } })).toEqual({ statusCode: 0 });
  expect(await agent.dial({})).toEqual({ statusCode: 1, statusMessage: "Missing parameter 'destination.phoneNumber'" });
  const [call] = agent.calls();
  expect(call).toMatchObject({ state: 'Dialing', callType: 'Outbound', dnis: '+15557770000' });
  expect(call.capabilities).toEqual([
    'UpdateUserData',
    'DeleteUserData',
    'Hangup',
    'SendDtmf',
    'AttachUserData',
    'DeleteUserDataPair',
  ]);
  await h.advance(2);
  expect(h.callbacks.at(-1)).toMatchObject({ eventType: 'answer', from: '5005', to: '+15557770000' });
  const ok = { statusCode: 0 };
  expect(await agent.operation(call.id, { operationName: 'SendDtmf', digits: '12#' })).toEqual(ok);
  expect(await agent.operation(call.id, { operationName: 'Hold' })).toEqual(ok);
  expect(await agent.operation(call.id, { operationName: 'Retrieve' })).toEqual(ok);
  expect(messages.map((m) => m.data.call.state)).toEqual(['Dialing', 'Established', 'Held', 'Established']);
  await h.assertClean();
});

test('single-step transfer with no answer within the timeout: TIMEOUT, the caller is cleared', async () => {
  const h = makeHarness();
  const agent = h.sb.agent({ phoneNumber: '5005', consultTimeout: 20 });
  h.sb.network.addEndpoint('5001', { outcome: 'noAnswer' });
  const ended: TransferEndedInfo[] = [];
  h.sb.on('transferEnded', (e) => ended.push(e));
  h.sb.network.placeCall({ from: '5000', to: '5005' });
  const id = agent.calls()[0].id;
  await agent.operation(id, { operationName: 'Answer' });
  await agent.operation(id, { operationName: 'SingleStepTransfer', destination: { phoneNumber: '5001' } });
  await h.advance(20);
  await flush();
  expect(
    h
      .summary()
      .slice(-3)
      .map(([t, , c]) => `${t}:${c}`),
  ).toEqual(['transferDisconnect:timeout', 'transferComplete:timeout', 'disconnect:hangup']);
  expect(ended).toMatchObject([{ kind: 'blind', transferCause: TransferCause.TIMEOUT }]);
  await h.assertClean();
});

test('agent() validates its options', () => {
  const { h } = desk();
  expect(() => h.sb.agent({ phoneNumber: '' })).toThrow(/phoneNumber must be a non-empty string/);
  expect(() => h.sb.agent({ phoneNumber: '5005' })).toThrow(/exists already/);
  expect(() => h.sb.agent({ phoneNumber: '5007', consultTimeout: -1 })).toThrow(
    /consultTimeout must be a positive number of seconds or null/,
  );
});

test('a listener that throws does not stop notifications to the others', async () => {
  const { h, agent, messages } = desk();
  const errors: string[] = [];
  h.sb.on('listenerError', ({ event }) => errors.push(event));
  agent.on('notification', () => {
    throw new Error('boom');
  });
  h.sb.network.placeCall({ from: '5000', to: '5005' });
  expect(messages).toHaveLength(1);
  expect(errors).toEqual(['agent 5005 notification']);
  await h.assertClean();
});
