/** Agent-desk regression tests, each named after the path that once broke (found by review and fuzzing). */
import { createSwitchboard, SimulatedClock, TransferCause, type TransferEndedInfo } from '../src';
import { ManualNetwork } from './support/manualNetwork';
import { flush, makeHarness } from './harness';

async function consultTo(behaviour: Parameters<ReturnType<typeof makeHarness>['sb']['network']['addEndpoint']>[1]) {
  const h = makeHarness();
  const agent = h.sb.agent({ phoneNumber: '5005' });
  h.sb.network.addEndpoint('5001', behaviour);
  const ended: TransferEndedInfo[] = [];
  h.sb.on('transferEnded', (e) => ended.push(e));
  const states: string[] = [];
  agent.on('notification', (m) =>
    states.push(`${m.data.call.callType === 'Consult' ? 'C2' : 'C1'}:${m.data.call.state}`),
  );
  h.sb.network.placeCall({ from: '5000', to: '5005' });
  const c1 = agent.calls()[0].id;
  await agent.operation(c1, { operationName: 'Answer' });
  await agent.operation(c1, { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } });
  const c2 = agent.calls().find((c) => c.callType === 'Consult')?.id as string;
  return { h, agent, c1, c2, ended, states };
}

test('hold confirmed later: the consult dials only then, and CompleteTransfer reconnects the caller once unheld', async () => {
  const net = new ManualNetwork();
  const sb = createSwitchboard({ clock: new SimulatedClock(), network: net });
  net.useChannels((callId) => sb.channel(callId));
  const agent = sb.agent({ phoneNumber: '5005' });
  const l1 = net.offer('5000', '5005');
  const c1 = agent.calls()[0].id;
  await agent.operation(c1, { operationName: 'Answer' });
  net.connected(l1.callId as string);
  await agent.operation(c1, { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } });
  expect(l1.state).toBe('HOLDING'); // the network has not confirmed the hold
  expect(net.commands.map((c) => c.type)).toEqual(['answer', 'hold']); // so nothing is dialled yet
  net.held(l1.callId as string);
  const c2 = agent.calls().find((c) => c.callType === 'Consult')?.id as string;
  expect(await agent.operation(c2, { operationName: 'CompleteTransfer' })).toEqual({ statusCode: 0 });
  expect(l1.state).toBe('ON_HOLD'); // until the network confirms the unhold
  net.unheld(l1.callId as string);
  expect(l1.state).toBe('ANSWERED');
  expect(net.commands.map((c) => c.type)).toEqual(['answer', 'hold', 'dial', 'unhold']);
  sb.close();
  expect(sb.stats()).toMatchObject({ legs: 0, agentCalls: 0, transfers: 0, timers: 0 });
});

test('CompleteTransfer while dialling does not restart the consult timeout: one 30 s window', async () => {
  const d = await consultTo({ outcome: 'noAnswer' });
  await d.h.advance(20);
  await d.agent.operation(d.c2, { operationName: 'CompleteTransfer' });
  await d.h.advance(10);
  expect(d.h.callbacks.filter((c) => c.eventType === 'transferDisconnect')).toMatchObject([
    { cause: 'timeout', endTime: '1970-01-01T00:00:30.000Z' },
  ]);
  await d.h.assertClean();
});

test('Retrieve of the held caller while the target still rings abandons the consult: FAIL, C1 Established', async () => {
  const d = await consultTo({ outcome: 'noAnswer' });
  const held = d.agent.calls().find((c) => c.id === d.c1);
  expect(held?.capabilities).toContain('Retrieve');
  expect(await d.agent.operation(d.c1, { operationName: 'Retrieve' })).toEqual({ statusCode: 0 });
  expect(d.states).toEqual(['C1:Ringing', 'C1:Established', 'C1:Held', 'C2:Dialing', 'C2:Released', 'C1:Established']);
  // The retrieved call is an ordinary call again: it may be held or transferred anew.
  expect(d.agent.calls()[0].capabilities).toContain('InitiateTransfer');
  expect(
    d.h
      .summary()
      .slice(-2)
      .map(([t, , c]) => `${t}:${c}`),
  ).toEqual(['transferDisconnect:cancel', 'transferComplete:cancel']);
  expect(d.ended).toMatchObject([{ transferCause: TransferCause.FAIL }]);
  await d.h.assertClean();
});

test('CompleteTransfer posted to the held consult call after SwapCalls completes the transfer', async () => {
  const d = await consultTo({ outcome: 'answer', ringFor: 1 });
  await d.h.advance(1);
  await d.agent.operation(d.c2, { operationName: 'SwapCalls' });
  expect(d.agent.calls().find((c) => c.id === d.c2)?.state).toBe('Held');
  expect(await d.agent.operation(d.c2, { operationName: 'CompleteTransfer' })).toEqual({ statusCode: 0 });
  expect(d.states.slice(-2)).toEqual(['C1:Released', 'C2:Released']);
  await d.h.assertClean();
});

test('an agent call whose leg fails is hung up: Released on the desk, disconnect(error)', async () => {
  const h = makeHarness();
  const agent = h.sb.agent({ phoneNumber: '5005' });
  const { channel } = h.sb.network.placeCall({ from: '5000', to: '5005' });
  const id = agent.calls()[0].id;
  await agent.operation(id, { operationName: 'Answer' });
  h.sb.network.farEnd(channel.callId as string).fail('BYE lost');
  await flush();
  expect(agent.calls()).toEqual([]);
  expect(h.callbacks.at(-1)).toMatchObject({ eventType: 'disconnect', cause: 'error', errorMessage: 'BYE lost' });
  await h.assertClean();
});

test('Dial after the switchboard is closed answers 4 instead of throwing', async () => {
  const h = makeHarness();
  const agent = h.sb.agent({ phoneNumber: '5005' });
  h.sb.close();
  expect(await agent.dial({ destination: { phoneNumber: '5001' } })).toEqual({
    statusCode: 4,
    statusMessage: 'Internal error: This switchboard is closed',
  });
});
