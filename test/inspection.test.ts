/**
 * Engine inspection (`sb.inspection`): while someone watches, every actor's steps (event → state) arrive
 * in order with the engine clock's time; actors that existed before the watch are picked up; nobody
 * watching means no observer on any actor; a throwing watcher changes nothing for the call.
 */
import { State, type MachineStep } from '../src';
import { activeIds, type Inspection } from '../src/engine/inspection';
import { createSwitchboard, SimulatedClock } from '../src';
import { answeredCall, makeHarness } from './harness';
import { ManualNetwork } from './support/manualNetwork';

const attached = (h: ReturnType<typeof makeHarness>) => (h.sb.inspection as Inspection).attachedCount;
const summary = (steps: MachineStep[], machine: string) =>
  steps.filter((s) => s.machine === machine).map((s) => `${s.event.type} → ${JSON.stringify(s.value)}`);

test('nobody watching: no observer is attached to any actor, through a whole transfer', async () => {
  const h = makeHarness();
  h.sb.network.addEndpoint('+15557770000', { outcome: 'answer', ringFor: 1 });
  const { a, b } = await answeredCall(h);
  void a.retrievableTransfer(b, '+15557770000');
  await h.advance(1);
  expect(h.sb.inspection.watching).toBe(false);
  expect(attached(h)).toBe(0);
  await a.retrieveTransferredCall();
  await h.assertClean();
  expect(attached(h)).toBe(0);
});

test('a retrievable transfer watched from the start: every step of A, B and the transfer, in order, with times', async () => {
  const h = makeHarness();
  const steps: MachineStep[] = [];
  const stop = h.sb.inspection.watch((s) => steps.push(s));
  expect(h.sb.inspection.watching).toBe(true);
  h.sb.network.addEndpoint('+15557770000', { outcome: 'answer', ringFor: 2 });
  const { a, b } = await answeredCall(h);
  const start = h.sb.clock.now();
  void a.retrievableTransfer(b, '+15557770000');
  await h.advance(2);
  expect(a.state).toBe(State.TRANSFERRED);
  await a.retrieveTransferredCall();
  await h.advance(0);
  expect(a.state).toBe(State.ANSWERED);

  const A = a.callId as string;
  const B = steps.find((s) => s.machine === 'channel' && s.actorId !== A)?.actorId as string;
  expect(
    summary(
      steps.filter((s) => s.actorId === A),
      'channel',
    ),
  ).toEqual([
    'xstate.init → "IDLE"',
    'WAIT → "WAITING"',
    'NET.OFFER → "CALL_INCOMING"',
    'ANSWER → "ANSWERING"',
    'NET.ACCEPTED → "ANSWERED"',
    'TRANSFER.START → "TRANSFERRING"',
    'TRANSFER.CONNECTED → "TRANSFERRED"',
    'TRANSFER.RECONNECT → "RECONNECTING"',
    'NET.RECONNECTED → "ANSWERED"',
  ]);
  expect(
    summary(
      steps.filter((s) => s.actorId === B),
      'channel',
    ),
  ).toEqual([
    'xstate.init → "IDLE"',
    'DIAL → "CALL_OUTGOING"',
    'NET.PROGRESS → "RING_OUTGOING"',
    'NET.ANSWERED → "ANSWERED"',
    'CLEAR → "IDLE"',
    'xstate.stop → "IDLE"',
  ]);
  const transfer = steps.filter((s) => s.machine === 'retrievable-transfer');
  expect(summary(transfer, 'retrievable-transfer')).toEqual([
    'xstate.init → {"awaitingAnswer":"dialling"}',
    'TARGET.PROGRESS → {"awaitingAnswer":"ringing"}',
    'TARGET.ANSWERED → "transferred"',
    'RETRIEVE → "ended"',
  ]);
  expect(transfer[0]).toMatchObject({
    actorId: `transfer:${A}:${B}`,
    callIds: [A, B],
    active: ['retrievableTransfer.awaitingAnswer', 'retrievableTransfer.awaitingAnswer.dialling'],
    status: 'active',
    time: start,
  });
  expect(transfer.at(-1)).toMatchObject({ status: 'done', active: ['retrievableTransfer.ended'], time: start + 2000 });
  // B's answer is stamped when the simulated far end answered (2 s after the transfer started).
  expect(steps.find((s) => s.actorId === B && s.event.type === 'NET.ANSWERED')?.time).toBe(start + 2000);
  // Actors that ended are no longer observed; A still is.
  expect(attached(h)).toBe(1);
  stop();
  expect(h.sb.inspection.watching).toBe(false);
  expect(attached(h)).toBe(0);
  const seen = steps.length;
  await h.assertClean();
  expect(steps).toHaveLength(seen);
});

test('watching starts mid-call: live actors are picked up; actorsOf() says where each one is', async () => {
  const h = makeHarness();
  h.sb.network.addEndpoint('+15557770000', { outcome: 'answer', ringFor: 1 });
  const { a, b } = await answeredCall(h);
  void a.retrievableTransfer(b, '+15557770000');
  await h.advance(1);
  const A = a.callId as string;
  const B = b.callId as string;
  expect(h.sb.inspection.actorsOf(A)).toEqual([
    {
      machine: 'channel',
      actorId: A,
      callIds: [A],
      value: 'TRANSFERRED',
      active: ['channel.TRANSFERRED'],
      status: 'active',
    },
    {
      machine: 'retrievable-transfer',
      actorId: `transfer:${A}:${B}`,
      callIds: [A, B],
      value: 'transferred',
      active: ['retrievableTransfer.transferred'],
      status: 'active',
    },
  ]);
  expect(h.sb.inspection.actorsOf('c-nobody')).toEqual([]);

  const steps: MachineStep[] = [];
  const stop = h.sb.inspection.watch((s) => steps.push(s));
  expect(attached(h)).toBe(3);
  await a.retrieveTransferredCall();
  expect(
    steps.map(
      (s) => `${s.actorId === A ? 'A' : s.actorId === B ? 'B' : 'T'} ${s.event.type} → ${JSON.stringify(s.value)}`,
    ),
  ).toEqual([
    'T RETRIEVE → "ended"',
    'B CLEAR → "IDLE"',
    'B xstate.stop → "IDLE"',
    'A TRANSFER.RECONNECT → "RECONNECTING"',
    'A NET.RECONNECTED → "ANSWERED"',
  ]);
  stop();
  stop(); // a second call is harmless
  await h.assertClean();
});

test('an agent consult: the agent calls and the consult transfer report their steps and their legs', async () => {
  const h = makeHarness();
  const agent = h.sb.agent({ phoneNumber: '5005' });
  h.sb.network.addEndpoint('5001', { outcome: 'answer', ringFor: 1 });
  const steps: MachineStep[] = [];
  h.sb.inspection.watch((s) => steps.push(s));
  const { channel } = h.sb.network.placeCall({ from: '5000', to: '5005' });
  const c1 = agent.calls()[0].id;
  await agent.operation(c1, { operationName: 'Answer' });
  await agent.operation(c1, { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } });
  await h.advance(1);
  const c2 = agent.calls().find((c) => c.callType === 'Consult')?.id as string;
  await agent.operation(c2, { operationName: 'CompleteTransfer' });

  const consult = steps.filter((s) => s.machine === 'consult-transfer');
  expect(consult.map((s) => JSON.stringify(s.value))).toEqual([
    '{"consulting":"holding"}',
    '{"consulting":"dialling"}',
    '{"consulting":"dialling"}', // the target rings (TARGET.PROGRESS: the chart notes it, for after completion)
    '{"consulting":"connected"}',
    '{"completed":"bridged"}',
  ]);
  const target = consult.at(-1)?.callIds[1] as string;
  expect(consult.at(-1)?.callIds).toEqual([channel.callId, target]);
  expect(consult.at(-1)?.actorId).toMatch(/^consult:\d+$/);
  expect(
    steps
      .filter((s) => s.actorId === c1)
      .map((s) => `${s.event.type}${s.ignored ? ' (ignored)' : ''} → ${String(s.value)}`),
  ).toEqual([
    'xstate.init → Ringing', // the initial `always` has already chosen Ringing
    'Answer → Ringing',
    'LEG.CONNECTED → Established',
    'InitiateTransfer → Established',
    'LEG.HELD → Held',
    'ROLE → Held',
    'CONSULT → Held', // the target has answered: C1's capabilities gain SwapCalls and CompleteTransfer
    'RELEASE → Released',
  ]);
  expect(
    steps.filter((s) => s.actorId === c1).every((s) => s.machine === 'agent-call' && s.callIds[0] === channel.callId),
  ).toBe(true);
  expect(steps.filter((s) => s.actorId === c2).at(-1)).toMatchObject({
    value: 'Released',
    status: 'done',
    callIds: [target],
  });
  await h.assertClean();
});

test('an event no transition takes is reported as ignored, with the state unchanged', async () => {
  const network = new ManualNetwork();
  const sb = createSwitchboard({ clock: new SimulatedClock(), network });
  network.useChannels((callId) => sb.channel(callId));
  const steps: MachineStep[] = [];
  sb.inspection.watch((s) => steps.push(s));
  const a = network.offer('+15550001111', '+15559990000');
  const answered = a.answer();
  network.connected(a.callId as string);
  await answered;
  void a.hold();
  network.held(a.callId as string);
  network.indications.progress(a.callId as string); // no transition of ON_HOLD takes a far end's ringing
  expect(a.state).toBe(State.ON_HOLD);
  expect(steps.slice(-3).map((s) => [s.event.type, s.value, s.ignored])).toEqual([
    ['HOLD', 'HOLDING', false],
    ['NET.HELD', 'ON_HOLD', false],
    ['NET.PROGRESS', 'ON_HOLD', true],
  ]);
  sb.close();
});

test('a throwing watcher changes nothing for the call, nor for the other watchers', async () => {
  const h = makeHarness();
  const steps: MachineStep[] = [];
  h.sb.inspection.watch(() => {
    throw new Error('watcher bug');
  });
  h.sb.inspection.watch((s) => steps.push(s));
  const { a } = await answeredCall(h);
  expect(a.state).toBe(State.ANSWERED);
  expect(steps.map((s) => s.value)).toEqual(['IDLE', 'WAITING', 'CALL_INCOMING', 'ANSWERING', 'ANSWERED']);
  await h.assertClean();
});

test('watch() takes a function', () => {
  const h = makeHarness();
  expect(() => h.sb.inspection.watch('steps' as never)).toThrow(
    new TypeError('inspection.watch(): listener must be a function'),
  );
  expect(h.sb.inspection.watching).toBe(false);
});

test('activeIds: every active state id, outermost first', () => {
  expect(activeIds({ id: 'm' }, 'A')).toEqual(['m.A']);
  expect(activeIds({ id: 'm' }, { a: { b: 'c' }, d: 'e' })).toEqual(['m.a', 'm.a.b', 'm.a.b.c', 'm.d', 'm.d.e']);
});
