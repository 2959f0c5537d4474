/**
 * The consult desk's media, on the simulated network's media state (docs/consult-transfer.md, "Media"):
 * nothing of ours while the agent consults (the caller is on hold); once the agent has left, ringback to the
 * caller while the target rings (or the target's early media), then the caller and the target connected;
 * no tone and no bridge once a leg of the pair has ended.
 */
import type { Behaviour } from '../src';
import { flush, makeHarness } from './harness';

const none = { tone: null, bridgedTo: null };

async function desk(target: Behaviour, operationName: 'InitiateTransfer' | 'SingleStepTransfer' = 'InitiateTransfer') {
  const h = makeHarness();
  const agent = h.sb.agent({ phoneNumber: '5005', consultTimeout: null });
  h.sb.network.addEndpoint('5001', target);
  const { channel } = h.sb.network.placeCall({ from: '5000', to: '5005' });
  const c1 = agent.calls()[0].id;
  await agent.operation(c1, { operationName: 'Answer' });
  expect(await agent.operation(c1, { operationName, destination: { phoneNumber: '5001' } })).toEqual({ statusCode: 0 });
  const l1 = channel.callId as string;
  const l2 = h.states.find((c) => c.callId !== l1)?.callId as string;
  const c2 = () => agent.calls().find((c) => c.callType === 'Consult')?.id as string;
  const media = () => [h.sb.network.media(l1), h.sb.network.media(l2)];
  return { h, agent, c1, c2, l1, l2, media };
}

test('completed after the answer: nothing of ours while consulting; then caller and target connected; nothing once ended', async () => {
  const d = await desk({ outcome: 'answer', ringFor: 2 });
  expect(d.media()).toEqual([none, none]); // the caller is on hold; the target rings for the agent
  await d.h.advance(2);
  expect(d.media()).toEqual([none, none]); // the agent talks to the target
  expect(await d.agent.operation(d.c2(), { operationName: 'CompleteTransfer' })).toEqual({ statusCode: 0 });
  expect(d.h.sb.channel(d.l1)?.state).toBe('ANSWERED'); // the caller is off hold
  expect(d.media()).toEqual([
    { tone: null, bridgedTo: d.l2 },
    { tone: null, bridgedTo: d.l1 },
  ]);
  d.h.sb.network.farEnd(d.l2).hangUp();
  await flush();
  expect(d.media()).toEqual([none, none]);
  await d.h.assertClean();
});

test('completed while the target rings: ringback to the caller until it answers, then connected', async () => {
  const d = await desk({ outcome: 'answer', ringFor: 5 });
  await d.h.advance(1);
  expect(await d.agent.operation(d.c2(), { operationName: 'CompleteTransfer' })).toEqual({ statusCode: 0 });
  expect(d.media()).toEqual([{ tone: 'RINGBACK', bridgedTo: null }, none]);
  await d.h.advance(4);
  expect(d.media()).toEqual([
    { tone: null, bridgedTo: d.l2 },
    { tone: null, bridgedTo: d.l1 },
  ]);
  await d.h.assertClean();
});

test('completed while the target rings with early media: the caller hears it (bridged), not our ringback', async () => {
  const d = await desk({ outcome: 'answer', ringFor: 5, earlyMedia: true });
  await d.h.advance(1);
  expect(d.media()).toEqual([none, none]); // while consulting the early media is the agent's, not the caller's
  await d.agent.operation(d.c2(), { operationName: 'CompleteTransfer' });
  expect(d.media()).toEqual([
    { tone: null, bridgedTo: d.l2 },
    { tone: null, bridgedTo: d.l1 },
  ]);
  await d.h.advance(4);
  expect(d.h.sb.network.media(d.l1)).toEqual({ tone: null, bridgedTo: d.l2 });
  await d.h.assertClean();
});

test('completed while ringing, then the target rejects: the ringback stops and the caller is cleared', async () => {
  const d = await desk({ outcome: 'reject', ringFor: 3 });
  await d.h.advance(1);
  await d.agent.operation(d.c2(), { operationName: 'CompleteTransfer' });
  expect(d.h.sb.network.media(d.l1)).toEqual({ tone: 'RINGBACK', bridgedTo: null });
  await d.h.advance(2);
  expect(d.media()).toEqual([none, none]);
  expect(
    d.h
      .summary()
      .map(([type, , cause]) => `${type}(${cause})`)
      .slice(-3),
  ).toEqual(['transferDisconnect(rejected)', 'transferComplete(rejected)', 'disconnect(hangup)']);
  await d.h.assertClean();
});

test('single-step transfer: ringback to the caller while the target rings, then connected', async () => {
  const d = await desk({ outcome: 'answer', ringFor: 2 }, 'SingleStepTransfer');
  expect(d.h.sb.network.media(d.l1)).toEqual({ tone: 'RINGBACK', bridgedTo: null });
  await d.h.advance(2);
  expect(d.media()).toEqual([
    { tone: null, bridgedTo: d.l2 },
    { tone: null, bridgedTo: d.l1 },
  ]);
  d.h.sb.network.farEnd(d.l1).hangUp(); // the caller goes first: the target is unbridged, then cleared
  await flush();
  expect(d.media()).toEqual([none, none]);
  await d.h.assertClean();
});

test('the agent cancels the consult: no tone and no bridge at any point', async () => {
  const d = await desk({ outcome: 'answer', ringFor: 1 });
  await d.h.advance(1);
  await d.agent.operation(d.c2(), { operationName: 'Hangup' });
  expect(d.media()).toEqual([none, none]);
  await d.h.assertClean();
});

test("the caller's ringback while the target rings is the network's default ringback tone (Network.ringbackTone)", async () => {
  const d = await desk({ outcome: 'answer', ringFor: 5 });
  // A network that names its default ringback (the SIP network's `ringbackTone` option does).
  Object.assign(d.h.sb.network, { ringbackTone: 'RINGBACK_UK' });
  await d.h.advance(1);
  expect(await d.agent.operation(d.c2(), { operationName: 'CompleteTransfer' })).toEqual({ statusCode: 0 });
  expect(d.media()).toEqual([{ tone: 'RINGBACK_UK', bridgedTo: null }, none]);
  await d.h.advance(4);
  await d.h.assertClean();
});
