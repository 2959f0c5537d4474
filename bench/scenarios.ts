/**
 * Benchmark scenarios shared by the runner: the full retrievable-transfer lifecycle of row 1a
 * (docs/behaviour.md §3) with every callback built and delivered, and a bare XState baseline doing the same
 * number of transitions on the same number of root actors with no payload work.
 */
import { assign, createActor, createMachine, setup, SimulatedClock, type AnyStateMachine } from 'xstate';
import { createSwitchboard, type Switchboard } from '../src';

export function transferSwitchboard(
  inspect?: Parameters<typeof createSwitchboard>[0] extends infer O
    ? O extends { inspect?: infer I }
      ? I
      : never
    : never,
): { sb: Switchboard; delivered: () => number } {
  const sb = createSwitchboard({ clock: new SimulatedClock(), inspect });
  sb.network.addEndpoint('+15557770000', { outcome: 'answer', ringFor: 0 });
  let delivered = 0;
  sb.on('callback', (payload) => {
    // A consumer that reads the payload, as a webhook serialiser would.
    delivered += payload.eventType.length > 0 ? 1 : 0;
  });
  sb.on('hangup', () => {
    delivered++;
  });
  return { sb, delivered: () => delivered };
}

/** Row 1a: inbound call answered, transferred, B answers, B's far end hangs up, A retrieved, A hangs up. */
export async function transferLifecycle(sb: Switchboard): Promise<void> {
  const { channel: a } = sb.network.placeCall({ from: '+15550001111', to: '+15559990000' });
  await a.answer();
  a.createTonePlayer();
  const b = sb.createChannel();
  if ((await a.retrievableTransfer(b, '+15557770000')) !== 'TRANSFERRED') throw new Error('transfer failed');
  sb.network.farEnd(b.callId as string).hangUp();
  if (a.state !== 'ANSWERED') throw new Error(`not retrieved: ${a.state}`);
  await a.hangUp();
}

/** Events processed per lifecycle and root actors created per lifecycle, counted with XState's inspection. */
export async function countTransitions(): Promise<{ events: number; actors: number }> {
  let events = 0;
  const actors = new Set<unknown>();
  const { sb } = transferSwitchboard((e) => {
    if (e.type === '@xstate.event') {
      events++;
      actors.add(e.actorRef);
    }
  });
  await transferLifecycle(sb);
  return { events, actors: actors.size };
}

/** A chain machine: `NEXT` moves s0 → s1 → … → sN. */
export function chainMachine(length: number): AnyStateMachine {
  const states: Record<string, { on?: { NEXT: string } }> = {};
  for (let i = 0; i < length; i++) states[`s${i}`] = { on: { NEXT: `s${i + 1}` } };
  states[`s${length}`] = {};
  return createMachine({ id: 'chain', initial: 's0', states });
}

/** The baseline lifecycle: `actors` root actors, `events` events in all (init and stop included), no payloads. */
export function baselineLifecycle(
  machine: AnyStateMachine,
  actors: number,
  nextPerActor: number,
  clock: SimulatedClock,
): void {
  for (let i = 0; i < actors; i++) {
    const actor = createActor(machine, { clock });
    actor.start();
    for (let j = 0; j < nextPerActor; j++) actor.send({ type: 'NEXT' });
    actor.stop();
  }
}

/** The consult path of Genesys's sample 2: ring, answer, consult (target answers), complete, target hangs up. */
export function consultSwitchboard(
  inspect?: Parameters<typeof createSwitchboard>[0] extends infer O
    ? O extends { inspect?: infer I }
      ? I
      : never
    : never,
) {
  const sb = createSwitchboard({ clock: new SimulatedClock(), inspect });
  sb.network.addEndpoint('5001', { outcome: 'answer', ringFor: 0 });
  const agent = sb.agent({ phoneNumber: '5005' });
  let delivered = 0;
  agent.on('notification', (message) => {
    delivered += message.data.call.capabilities.length >= 0 ? 1 : 0;
  });
  sb.on('callback', () => {
    delivered++;
  });
  let consultLeg = '';
  sb.on('transferAnswer', (p) => {
    consultLeg = p.callId;
  });
  return { sb, agent, delivered: () => delivered, consultLeg: () => consultLeg };
}

export async function consultLifecycle(ctx: ReturnType<typeof consultSwitchboard>): Promise<void> {
  const { sb, agent } = ctx;
  sb.network.placeCall({ from: '5000', to: '5005' });
  const c1 = agent.calls()[0].id;
  await agent.operation(c1, { operationName: 'Answer' });
  await agent.operation(c1, { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } });
  const c2 = agent.calls().find((c) => c.callType === 'Consult')?.id as string;
  const done = await agent.operation(c2, { operationName: 'CompleteTransfer' });
  if (done.statusCode !== 0) throw new Error(`CompleteTransfer: ${JSON.stringify(done)}`);
  sb.network.farEnd(ctx.consultLeg()).hangUp();
  if (agent.calls().length || sb.stats().legs) throw new Error('consult lifecycle left calls behind');
}

export async function countConsultTransitions(): Promise<{ events: number; actors: number }> {
  let events = 0;
  const actors = new Set<unknown>();
  const ctx = consultSwitchboard((e) => {
    if (e.type === '@xstate.event') {
      events++;
      actors.add(e.actorRef);
    }
  });
  await consultLifecycle(ctx);
  return { events, actors: actors.size };
}

/** The events each root actor received during one lifecycle, to replay on the bare charts (no engine). */
export interface RecordedActor {
  logic: AnyStateMachine;
  input: unknown;
  events: Array<{ type: string }>;
}

export async function recordLifecycle(kind: 'transfer' | 'consult'): Promise<RecordedActor[]> {
  const byActor = new Map<unknown, RecordedActor>();
  const inspect = (e: { type: string; actorRef: unknown; event?: unknown }) => {
    if (e.type !== '@xstate.event') return;
    const actor = e.actorRef as { logic: AnyStateMachine; options: { input?: unknown } };
    if (!byActor.has(actor)) byActor.set(actor, { logic: actor.logic, input: actor.options.input, events: [] });
    const event = e.event as { type: string };
    if (event.type !== 'xstate.init' && event.type !== 'xstate.stop') byActor.get(actor)?.events.push(event);
  };
  if (kind === 'transfer') {
    const { sb } = transferSwitchboard(inspect as never);
    await transferLifecycle(sb);
  } else {
    await consultLifecycle(consultSwitchboard(inspect as never));
  }
  return [...byActor.values()];
}

/** The same charts, the same events, no engine: what XState itself costs on this lifecycle. */
export function chartsOnlyLifecycle(recorded: RecordedActor[], clock: SimulatedClock): void {
  for (const { logic, input, events } of recorded) {
    const actor = createActor(logic, { input, clock });
    actor.start();
    for (const event of events) actor.send(event);
    actor.stop();
  }
}

/** The smallest XState actor that keeps a call's user data: one event, one `assign` (a bench yardstick). */
export function minimalUserDataActor() {
  return createActor(
    setup({
      types: {
        context: {} as { userData: Record<string, unknown> },
        events: {} as { type: string; userData?: Record<string, unknown> },
      },
    }).createMachine({
      context: { userData: {} },
      on: {
        '*': { actions: assign({ userData: ({ context, event }) => ({ ...context.userData, ...event.userData }) }) },
      },
    }),
  ).start();
}
