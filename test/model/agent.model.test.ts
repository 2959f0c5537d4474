/**
 * Model-based tests of the agent desk's statecharts against the real engine: the consult-transfer chart (as
 * a two-step and as a single-step transfer) and the agent-call chart, on a manual network.
 */
import type { AnyEventObject } from 'xstate';
import { createSwitchboard, SimulatedClock, agentCallMachine, consultTransferMachine, type AgentDevice, type Channel, type Switchboard } from '../../src';
import { ManualNetwork } from '../support/manualNetwork';
import { runModel, type Coverage, type Driver, type Probe } from './runner';

interface Ctx {
  sb: Switchboard<ManualNetwork>;
  net: ManualNetwork;
  clock: SimulatedClock;
  agent: AgentDevice;
  caller: Channel | null;
  c1: string;
  failures: string[];
}

/** The consult leg's call id: the latest dial the network was asked for. */
const consultLeg = (ctx: Ctx) => [...ctx.net.commands].reverse().find((c) => c.type === 'dial')?.callId as string;
const consultCall = (ctx: Ctx) => ctx.agent.calls().find((c) => c.callType === 'Consult')?.id as string;

async function op(ctx: Ctx, callId: string, body: object): Promise<void> {
  const response = await ctx.agent.operation(callId, body);
  if (response.statusCode !== 0) ctx.failures.push(`${JSON.stringify(body)} → ${JSON.stringify(response)}`);
}

/** The caller 5000 rings agent 5005, who answers (confirmed by the network). */
async function answeredCall(probe: Probe): Promise<Ctx> {
  const net = new ManualNetwork();
  const clock = new SimulatedClock();
  const sb = createSwitchboard({ clock, network: net, inspect: probe.inspect });
  const agent = sb.agent({ phoneNumber: '5005', consultTimeout: 30 });
  const ctx: Ctx = { sb, net, clock, agent, caller: null, c1: '', failures: [] };
  ctx.caller = net.offer('5000', '5005');
  ctx.c1 = agent.calls()[0].id;
  await op(ctx, ctx.c1, { operationName: 'Answer' });
  net.indications.connected(ctx.caller.callId as string);
  return ctx;
}

async function teardown(ctx: Ctx): Promise<void> {
  expect(ctx.failures).toEqual([]);
  ctx.sb.close();
  expect(ctx.sb.stats()).toMatchObject({ legs: 0, agentCalls: 0, transfers: 0, timers: 0 });
}

function report(name: string, coverage: Coverage, notTakeable: string[] = []) {
  console.log(
    `${name}: ${coverage.paths} paths; states ${coverage.states.covered}/${coverage.states.total}; transitions ${coverage.transitions.covered}/${coverage.transitions.total}`,
  );
  expect(coverage.states.missing).toEqual([]);
  expect(coverage.transitions.missing).toEqual(notTakeable);
}

function consultDriver(blind: boolean): Driver<Ctx> {
  return {
    name: blind ? 'consult-transfer (single-step)' : 'consult-transfer',
    machine: consultTransferMachine,
    input: { secondsTimeout: 30, blind },
    // Which call the agent talks to is part of the state (SwapCalls there and back).
    serialize: (snapshot) => JSON.stringify([snapshot.value, (snapshot.context as { active: string }).active]),
    events: [
      { type: 'TARGET.ANSWERED' },
      { type: 'TARGET.CLEARED', cause: 'busy', by: 'remote' },
      { type: 'PARENT.CLEARED', cause: 'normal', by: 'remote' },
      { type: 'COMPLETE' },
      { type: 'CANCEL' },
      { type: 'SWAP' },
      { type: 'ABANDON' },
      { type: 'TIMEOUT' },
    ],
    // The agent starts the transfer in setup; the first consult-transfer actor is the one under test.
    async setup(probe) {
      const ctx = await answeredCall(probe);
      const operationName = blind ? 'SingleStepTransfer' : 'InitiateTransfer';
      await op(ctx, ctx.c1, { operationName, destination: { phoneNumber: '5001' } });
      return ctx;
    },
    async perform(ctx, event: AnyEventObject) {
      const on = ctx.net.indications;
      switch (event.type) {
        case 'TARGET.ANSWERED':
          return on.connected(consultLeg(ctx));
        case 'TARGET.CLEARED':
          return on.cleared(consultLeg(ctx), 'busy');
        case 'PARENT.CLEARED':
          return on.hungUp(ctx.caller?.callId as string);
        case 'COMPLETE':
          return op(ctx, consultCall(ctx), { operationName: 'CompleteTransfer' });
        case 'CANCEL':
          return op(ctx, consultCall(ctx), { operationName: 'Hangup' });
        case 'SWAP': {
          const active = ctx.agent.calls().find((c) => c.state === 'Established');
          return op(ctx, active?.id ?? ctx.c1, { operationName: 'SwapCalls' });
        }
        case 'ABANDON':
          on.held(ctx.caller?.callId as string); // the network confirms the caller's hold: C1 is Held
          return op(ctx, ctx.c1, { operationName: 'Retrieve' });
        case 'TIMEOUT':
          ctx.clock.increment(30_000);
          return;
        default:
          throw new Error(`no driver for ${event.type}`);
      }
    },
    teardown,
  };
}

test('consult-transfer statechart (two-step and single-step): every state and transition, driven through the engine', async () => {
  report('consult-transfer', await runModel([consultDriver(false), consultDriver(true)]));
});
