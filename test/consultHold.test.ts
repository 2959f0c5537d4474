/**
 * A consult waits for the caller's hold to be confirmed before it dials the target, so on a network whose
 * hold confirmation comes later (a real re-INVITE) the desk still sees the Genesys sample 2 order (C1 Held
 * before C2 Dialing); a refused hold means no consult, and C1 stays Established.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createSwitchboard,
  SimulatedClock,
  SimulatedNetwork,
  TransferCause,
  type CallNotification,
  type TransferEndedInfo,
} from '../src';
import type { CommandResult } from '../src/engine/network';
import { flush } from './harness';
import { ManualNetwork } from './support/manualNetwork';

const seed = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'genesys-sample2.json'), 'utf8')) as {
  notifications: CallNotification[];
};

/** The simulated network, except that a hold is confirmed only when the test says so. */
class DelayedHoldNetwork extends SimulatedNetwork {
  readonly holds: string[] = [];
  private indicationsFor: Parameters<SimulatedNetwork['attach']>[0] | null = null;
  override attach(...args: Parameters<SimulatedNetwork['attach']>): void {
    this.indicationsFor = args[0];
    super.attach(...args);
  }
  override hold(callId: string): void {
    this.holds.push(callId);
  }
  confirmHold(callId: string, result: CommandResult = { ok: true }): void {
    this.indicationsFor?.holdResult(callId, result);
  }
}

async function deskWithDelayedHold() {
  const network = new DelayedHoldNetwork();
  const sb = createSwitchboard({ clock: new SimulatedClock(), network, publicUrl: 'https://sb.example' });
  network.addEndpoint('5001', { outcome: 'noAnswer' });
  const agent = sb.agent({ phoneNumber: '5005' });
  const got: CallNotification[] = [];
  const names = new Map<string, string>();
  agent.on('notification', (m) => {
    if (!names.has(m.data.call.id)) names.set(m.data.call.id, `C${names.size + 1}`);
    got.push(m);
  });
  const ended: TransferEndedInfo[] = [];
  const errors: string[] = [];
  sb.on('transferEnded', (e) => ended.push(e));
  sb.on('networkError', (e) => errors.push(`${e.command}: ${(e.error as Error).message}`));
  const { channel } = network.placeCall({ from: '5000', to: '5005' });
  const c1 = agent.calls()[0].id;
  expect(await agent.operation(c1, { operationName: 'Answer' })).toEqual({ statusCode: 0 });
  expect(
    await agent.operation(c1, { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } }),
  ).toEqual({ statusCode: 0 });
  await flush();
  const notes = () => got.map((m) => `${names.get(m.data.call.id)}:${m.data.call.state}`);
  return { sb, network, agent, c1, l1: channel.callId as string, got, notes, ended, errors };
}

test('hold confirmed later: nothing is dialled until it is; then C1 Held, C2 Dialing, exactly as sample 2', async () => {
  const d = await deskWithDelayedHold();
  expect(d.network.holds).toEqual([d.l1]);
  expect(d.notes()).toEqual(['C1:Ringing', 'C1:Established']);
  expect(d.sb.stats()).toMatchObject({ legs: 1, agentCalls: 1 }); // no consult leg yet
  d.network.confirmHold(d.l1);
  await flush();
  expect(d.notes()).toEqual(['C1:Ringing', 'C1:Established', 'C1:Held', 'C2:Dialing']);
  const c2 = d.agent.calls().find((c) => c.callType === 'Consult')?.id as string;
  expect(await d.agent.operation(c2, { operationName: 'CompleteTransfer' })).toEqual({ statusCode: 0 });
  await flush();
  // Every notification exactly as the seed has it: state, callType and capabilities, in the seed's order.
  const view = (m: CallNotification) => [m.data.call.state, m.data.call.callType, [...m.data.call.capabilities].sort()];
  expect(d.got.map(view)).toEqual(seed.notifications.map(view));
  expect(d.notes()).toEqual(['C1:Ringing', 'C1:Established', 'C1:Held', 'C2:Dialing', 'C1:Released', 'C2:Released']);
  d.sb.close();
  expect(d.sb.stats()).toMatchObject({ legs: 0, agentCalls: 0, transfers: 0, timers: 0 });
});

test('hold refused (491): no consult; C1 stays Established (one StatusChange says so), FAIL, reported; a new transfer works', async () => {
  const d = await deskWithDelayedHold();
  const callbacks: string[] = [];
  d.sb.on('callback', (p) => callbacks.push(p.eventType));
  d.network.confirmHold(d.l1, { ok: false, status: 491, reason: 'Request Pending' });
  await flush();
  expect(d.notes()).toEqual(['C1:Ringing', 'C1:Established', 'C1:Established']);
  const last = d.got.at(-1)?.data.call;
  expect(last?.capabilities).toEqual(
    expect.arrayContaining(['Hold', 'InitiateTransfer', 'SingleStepTransfer', 'Hangup']),
  );
  expect(last?.parentCallUri).toBeUndefined();
  expect(d.agent.calls().map((c) => [c.state, c.callType])).toEqual([['Established', 'Internal']]);
  expect(d.sb.channel(d.l1)?.state).toBe('ANSWERED');
  expect(d.ended).toEqual([
    { kind: 'consult', parentCallId: d.l1, targetCallId: null, transferCause: TransferCause.FAIL, targetCause: null },
  ]);
  expect(d.errors).toEqual(['hold: hold failed with 491 Request Pending']);
  expect(callbacks).toEqual([]); // no consult leg, so no transfer callbacks
  expect(d.sb.stats()).toMatchObject({ legs: 1, agentCalls: 1, transfers: 0 });
  // The call is an ordinary call again: the agent may try again.
  expect(
    await d.agent.operation(d.c1, { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } }),
  ).toEqual({ statusCode: 0 });
  d.network.confirmHold(d.l1);
  await flush();
  expect(d.notes().slice(3)).toEqual(['C1:Held', 'C2:Dialing']);
  d.sb.close();
  expect(d.sb.stats()).toMatchObject({ legs: 0, agentCalls: 0, transfers: 0, timers: 0 });
});

test('the caller hangs up while the hold is unconfirmed: the consult ends (HANGUP) without dialling', async () => {
  const d = await deskWithDelayedHold();
  d.network.farEnd(d.l1).hangUp();
  await flush();
  expect(d.notes()).toEqual(['C1:Ringing', 'C1:Established', 'C1:Released']);
  expect(d.ended).toEqual([
    { kind: 'consult', parentCallId: d.l1, targetCallId: null, transferCause: TransferCause.HANGUP, targetCause: null },
  ]);
  d.network.confirmHold(d.l1); // too late: the leg is gone
  d.sb.close();
  expect(d.sb.stats()).toMatchObject({ legs: 0, agentCalls: 0, transfers: 0, timers: 0 });
});

test('SwapCalls twice before the network confirms the first: one re-INVITE at a time per leg, and the last wish wins', async () => {
  const net = new ManualNetwork();
  const sb = createSwitchboard({ clock: new SimulatedClock(), network: net });
  net.useChannels((callId) => sb.channel(callId));
  const agent = sb.agent({ phoneNumber: '5005' });
  const caller = net.offer('5000', '5005');
  const L1 = caller.callId as string;
  const c1 = agent.calls()[0].id;
  await agent.operation(c1, { operationName: 'Answer' });
  net.connected(L1);
  await agent.operation(c1, { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } });
  net.held(L1);
  const L2 = net.commands.find((c) => c.type === 'dial')?.callId as string;
  const c2 = agent.calls().find((c) => c.callType === 'Consult')?.id as string;
  net.connected(L2);
  const from = net.commands.length;
  expect(await agent.operation(c2, { operationName: 'SwapCalls' })).toEqual({ statusCode: 0 }); // to the caller
  // The agent now talks to C1 (still Held until its unhold is confirmed): C1 offers SwapCalls, C2 no longer does.
  const capsOf = (id: string) => agent.calls().find((c) => c.id === id)?.capabilities;
  expect([capsOf(c1)?.includes('SwapCalls'), capsOf(c2)?.includes('SwapCalls')]).toEqual([true, false]);
  expect(await agent.operation(c2, { operationName: 'SwapCalls' })).toMatchObject({ statusCode: 2 }); // not listed
  expect(await agent.operation(c1, { operationName: 'SwapCalls' })).toEqual({ statusCode: 0 }); // and back
  const sent = () => net.commands.slice(from).map((c) => `${c.type} ${c.callId === L1 ? 'L1' : 'L2'}`);
  expect(sent()).toEqual(['hold L2', 'unhold L1']); // the second swap waits for these
  net.held(L2);
  net.unheld(L1);
  expect(sent()).toEqual(['hold L2', 'unhold L1', 'unhold L2', 'hold L1']);
  net.held(L1);
  net.unheld(L2);
  expect([sb.channel(L1)?.state, sb.channel(L2)?.state]).toEqual(['ON_HOLD', 'ANSWERED']);
  await flush();
  expect(agent.calls().map((c) => [c.id === c1 ? 'C1' : 'C2', c.state])).toEqual([
    ['C1', 'Held'],
    ['C2', 'Established'],
  ]);
  sb.close();
  expect(sb.stats()).toMatchObject({ legs: 0, agentCalls: 0, transfers: 0, timers: 0 });
});
