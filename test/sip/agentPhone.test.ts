/**
 * The agent desk over SIP: agent DNs mapped to SIP URIs (createSipNetwork's `agents`). A SIPp caller calls the
 * agent's DN; the agent's phone (SIPp) rings and answers (the agent call Established, the caller gets the
 * phone's SDP); InitiateTransfer holds the caller and the phone (re-INVITEs) and dials the target's phone
 * (SIPp); CompleteTransfer BYEs the agent's phone and connects the caller to the target (docs/behaviour.md §4,
 * Genesys's sample 2). The notifications and callbacks are those of the same script on the simulated network.
 */
import {
  createSipNetwork,
  createSwitchboard,
  type AgentDevice,
  type BandwidthCallback,
  type CallNotification,
  type SipMedia,
  type SipNetwork,
  type Switchboard,
} from '../../src';
import { loadConfig } from '../../src/http/config';
import { createServer } from '../../src/http/server';
import { USERS } from '../http/support';
import { makeHarness } from '../harness';
import { startSipp, type SippRun } from '../support/sipp';
import { until } from '../support/until';

type Transport = 'udp' | 'tcp';

/** What a desktop sees of a notification, with the calls named C1, C2 in order of appearance. */
function view(got: CallNotification[]) {
  const names = new Map<string, string>();
  const name = (id: string) => names.get(id) ?? (names.set(id, `C${names.size + 1}`), names.get(id) as string);
  return got.map(({ data: { notificationType, call } }) => ({
    notificationType,
    call: name(call.id),
    state: call.state,
    callType: call.callType,
    capabilities: [...call.capabilities].sort(),
    parent: call.parentCallUri === undefined ? null : name(call.parentCallUri.split('/').pop() as string),
  }));
}

/** The callbacks, with each leg named by its order of appearance (L1 the caller's, L2 the target's). */
function callbacks(list: BandwidthCallback[]) {
  const names = new Map<string, string>();
  const name = (id: string) => names.get(id) ?? (names.set(id, `L${names.size + 1}`), names.get(id) as string);
  return list.map((c) => [c.eventType, name(c.callId), 'cause' in c ? c.cause : undefined]);
}

/** Resolves with the first notification (already received or to come) for which `match` is true. */
function notified(agent: AgentDevice, got: CallNotification[], match: (n: CallNotification) => boolean) {
  const found = got.find(match);
  if (found) return Promise.resolve(found);
  return new Promise<CallNotification>((resolve) => {
    const listener = (n: CallNotification) => {
      if (!match(n)) return;
      agent.off('notification', listener);
      resolve(n);
    };
    agent.on('notification', listener);
  });
}

const stateOf = (state: string, callType?: string) => (n: CallNotification) =>
  n.data.call.state === state && (callType === undefined || n.data.call.callType === callType);

interface SipDesk {
  sb: Switchboard<SipNetwork>;
  network: SipNetwork;
  agent: AgentDevice;
  got: CallNotification[];
  callbacks: BandwidthCallback[];
  port: number;
}

const open: SipDesk[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) await d.sb.close();
});

/** A SIP network with the agent 5005's phone and the target 5001's phone mapped to SIPp servers. */
async function sipDesk(transport: Transport, phone: SippRun, target?: Pick<SippRun, 'port'>): Promise<SipDesk> {
  const t = transport === 'tcp' ? ';transport=tcp' : '';
  const network = createSipNetwork({
    listen: [`${transport}:127.0.0.1:0`],
    agents: {
      '5005': `sip:agent@127.0.0.2:${phone.port}${t}`,
      ...(target ? { '5001': `sip:target@127.0.0.2:${target.port}${t}` } : {}),
    },
  });
  const [bound] = await network.listening;
  const sb = createSwitchboard({ network, publicUrl: 'https://sb.example' });
  const agent = sb.agent({ phoneNumber: '5005' });
  const got: CallNotification[] = [];
  agent.on('notification', (n) => got.push(n));
  const list: BandwidthCallback[] = [];
  sb.on('callback', (c) => list.push(c));
  const desk = { sb, network, agent, got, callbacks: list, port: bound.port };
  open.push(desk);
  return desk;
}

function expectClean(d: SipDesk, terminalEvents: number): void {
  expect(d.sb.stats()).toEqual({ legs: 0, agentCalls: 0, transfers: 0, timers: 0, terminalEvents });
  expect(d.network.legCount).toBe(0);
  expect(d.network.dialogCount).toBe(0);
}

/**
 * The same flow on the simulated network: the reference for what the desk and the callbacks see. The caller is
 * not an internal number (like SIPp's `sipp`); the agent answers (on SIP: the phone's 200); `script` goes on.
 * The one difference: over SIP, Answer is no capability while the agent's phone rings (it is answered there).
 */
async function simulated(
  target: Parameters<ReturnType<typeof makeHarness>['sb']['network']['addEndpoint']>[1],
  script: (
    agent: AgentDevice,
    c1: string,
    advance: (s: number) => Promise<void>,
    caller: { hangUp(): void },
  ) => Promise<void>,
) {
  const h = makeHarness();
  const agent = h.sb.agent({ phoneNumber: '5005' });
  h.sb.network.addEndpoint('5001', target);
  const got: CallNotification[] = [];
  agent.on('notification', (n) => got.push(n));
  const { farEnd } = h.sb.network.placeCall({ from: '+15550001111', to: '5005' });
  const c1 = agent.calls()[0].id;
  await agent.operation(c1, { operationName: 'Answer' });
  await h.advance(1);
  await script(agent, c1, (s) => h.advance(s), farEnd);
  await h.advance(10);
  const notifications = view(got).map((n) =>
    n.state === 'Ringing' ? { ...n, capabilities: n.capabilities.filter((c) => c !== 'Answer') } : n,
  );
  return { notifications, callbacks: callbacks(h.callbacks) };
}

/** Sample 2 on the simulated network. */
function simulatedSample2() {
  return simulated({ outcome: 'answer', ringFor: 0.3, hangUpAfter: 1.5 }, async (agent, c1, advance) => {
    await agent.operation(c1, { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } });
    await advance(0.5);
    const c2 = agent.calls().find((c) => c.callType === 'Consult')?.id as string;
    await agent.operation(c2, { operationName: 'CompleteTransfer' });
  });
}

/** The caller calls 5005 over SIP; resolves with C1 once the phone has answered (no Answer posted). */
async function answeredByPhone(d: SipDesk, transport: Transport, callerScenario: string) {
  const caller = await startSipp(callerScenario, { target: `127.0.0.1:${d.port}`, transport, extra: ['-s', '5005'] });
  const c1 = (await notified(d.agent, d.got, stateOf('Established', 'Inbound'))).data.call.id;
  return { caller, c1 };
}

const allPassed = { code: 0, successful: 1, failed: 0 };

/**
 * The agent's phone, the consult target and the caller, each a SIPp run of its scenario, on one desk: the caller
 * calls 5005, the phone answers (C1 Established, no Answer posted), `script` drives the desk; resolves once the
 * three SIPp runs have ended, each with all calls successful.
 */
async function phoneTargetCaller(
  transport: Transport,
  scenarios: { phone: string; target: string; caller: string },
  script: (d: SipDesk, c1: string) => Promise<void>,
): Promise<SipDesk> {
  const phone = await startSipp(scenarios.phone, { transport });
  const target = await startSipp(scenarios.target, { transport });
  const d = await sipDesk(transport, phone, target);
  const { caller, c1 } = await answeredByPhone(d, transport, scenarios.caller);
  await script(d, c1);
  expect(await caller.done).toMatchObject(allPassed);
  expect(await phone.done).toMatchObject(allPassed);
  expect(await target.done).toMatchObject(allPassed);
  return d;
}

describe.each(['udp', 'tcp'] as const)('the agent desk over SIP (%s)', (transport) => {
  test.each([
    ["the agent's phone is busy (486): the caller gets 486", 'uas-busy.xml', 'uac-busy.xml', 'busy'],
    [
      "the caller CANCELs while the agent's phone rings: the phone is CANCELled",
      'uas-cancel.xml',
      'uac-cancel.xml',
      'cancel',
    ],
  ])(
    '%s; C1 Ringing, then Released',
    async (_label, phoneScenario, callerScenario, cause) => {
      const phone = await startSipp(phoneScenario, { transport });
      const d = await sipDesk(transport, phone);
      const caller = await startSipp(callerScenario, {
        target: `127.0.0.1:${d.port}`,
        transport,
        extra: ['-s', '5005'],
      });
      expect(await caller.done).toMatchObject(allPassed);
      expect(await phone.done).toMatchObject(allPassed);
      await notified(d.agent, d.got, stateOf('Released'));
      expect(view(d.got).map((n) => `${n.call} ${n.state}`)).toEqual(['C1 Ringing', 'C1 Released']);
      expect(callbacks(d.callbacks)).toEqual([
        ['initiate', 'L1', undefined],
        ['disconnect', 'L1', cause],
      ]);
      expectClean(d, 1);
    },
    30_000,
  );

  test("sample 2: the agent's phone answers, InitiateTransfer, the target answers, CompleteTransfer", async () => {
    const scenarios = {
      phone: 'uas-agent-phone-consult.xml',
      target: 'uas-consult-target-phone.xml',
      caller: 'uac-agent-consult.xml',
    };
    // The phone's 200 is the agent answering: no Answer is posted.
    const d = await phoneTargetCaller(transport, scenarios, async (d, c1) => {
      const initiate = { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } };
      expect(await d.agent.operation(c1, initiate)).toEqual({ statusCode: 0 });
      const c2 = (await notified(d.agent, d.got, stateOf('Established', 'Consult'))).data.call.id;
      expect(await d.agent.operation(c2, { operationName: 'CompleteTransfer' })).toEqual({ statusCode: 0 });
    });

    const reference = await simulatedSample2();
    expect(view(d.got)).toEqual(reference.notifications);
    expect(view(d.got).map((n) => `${n.call} ${n.state}`)).toEqual([
      'C1 Ringing',
      'C1 Established',
      'C1 Held',
      'C2 Dialing',
      'C2 Established',
      'C1 Held',
      'C1 Released',
      'C2 Released',
    ]);
    expect(callbacks(d.callbacks)).toEqual(reference.callbacks);
    expect(callbacks(d.callbacks)).toEqual([
      ['initiate', 'L1', undefined],
      ['transferAnswer', 'L2', undefined],
      ['transferDisconnect', 'L2', 'hangup'],
      ['transferComplete', 'L1', 'hangup'],
      ['disconnect', 'L1', 'hangup'],
    ]);
    // Callback from/to are the INVITE's users: SIPp's caller and the agent's DN; the consult went to 5001's phone.
    expect(d.callbacks[0]).toMatchObject({ from: 'sipp', to: '5005' });
    expect(d.callbacks[1]).toMatchObject({ eventType: 'transferAnswer', transferTo: '5001' });
    expectClean(d, 2);
  }, 30_000);

  test('the agent talks to the answered target through the phone; the target hangs up: the phone is back with the held caller; Retrieve', async () => {
    const scenarios = {
      // The phone: held, re-INVITEd with the target's SDP, with the held caller's again, then retrieved.
      phone: 'uas-agent-phone-consult-back.xml',
      // The target: re-INVITEd with the phone's SDP once answered, then hangs up.
      target: 'uas-consult-target-phone-hangup.xml',
      // The caller: held for the whole consult, retrieved, BYEd when the agent (the phone) hangs up.
      caller: 'uac-agent-consult-busy.xml',
    };
    const initiate = { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } };
    const d = await phoneTargetCaller(transport, scenarios, async (d, c1) => {
      expect(await d.agent.operation(c1, initiate)).toEqual({ statusCode: 0 });
      await notified(d.agent, d.got, stateOf('Released', 'Consult'));
      expect(d.agent.calls().map((c) => [c.id, c.state])).toEqual([[c1, 'Held']]);
      expect(await d.agent.operation(c1, { operationName: 'Retrieve' })).toEqual({ statusCode: 0 });
    });
    const reference = await simulated(
      { outcome: 'answer', ringFor: 0.3, hangUpAfter: 1.5 },
      async (agent, id, advance) => {
        await agent.operation(id, initiate);
        await advance(3);
        await agent.operation(id, { operationName: 'Retrieve' });
        await advance(1);
        await agent.operation(id, { operationName: 'Hangup' }); // on SIP: the phone's BYE
      },
    );
    expect(view(d.got)).toEqual(reference.notifications);
    expect(view(d.got).map((n) => `${n.call} ${n.state}`)).toEqual([
      'C1 Ringing',
      'C1 Established',
      'C1 Held',
      'C2 Dialing',
      'C2 Established',
      'C1 Held',
      'C2 Released',
      'C1 Held',
      'C1 Established',
      'C1 Released',
    ]);
    expect(callbacks(d.callbacks)).toEqual(reference.callbacks);
    expectClean(d, 2);
  }, 30_000);

  test("the caller hangs up while the agent consults: C1 Released, the phone stays with the target (no BYE); the agent's Hangup of C2 BYEs phone and target", async () => {
    const scenarios = {
      // The phone: held, re-INVITEd with the target's SDP, BYEd only when the agent hangs up C2.
      phone: 'uas-agent-phone-consult.xml',
      // The target: re-INVITEd with the phone's SDP once answered, BYEd on the agent's Hangup.
      target: 'uas-consult-target-phone-bye.xml',
      // The caller: held on InitiateTransfer, hangs up 1.5 s later.
      caller: 'uac-agent-consult-hangup.xml',
    };
    const initiate = { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } };
    const d = await phoneTargetCaller(transport, scenarios, async (d, c1) => {
      expect(await d.agent.operation(c1, initiate)).toEqual({ statusCode: 0 });
      const c2 = (await notified(d.agent, d.got, stateOf('Established', 'Consult'))).data.call.id;
      await notified(d.agent, d.got, stateOf('Released', 'Inbound'));
      expect(d.agent.calls().map((c) => [c.id, c.state])).toEqual([[c2, 'Established']]);
      expect(d.network.dialogCount).toBe(2); // the phone's and the target's: the agent still talks to the target
      expect(await d.agent.operation(c2, { operationName: 'Hangup' })).toEqual({ statusCode: 0 });
    });
    const reference = await simulated({ outcome: 'answer', ringFor: 0.3 }, async (agent, id, advance, caller) => {
      await agent.operation(id, initiate);
      await advance(1.5);
      caller.hangUp();
      await advance(1);
      const c2 = agent.calls().find((c) => c.id !== id)?.id as string; // an Internal call now: its caller left
      await agent.operation(c2, { operationName: 'Hangup' });
    });
    expect(view(d.got)).toEqual(reference.notifications);
    expect(view(d.got).map((n) => `${n.call} ${n.state}`)).toEqual([
      'C1 Ringing',
      'C1 Established',
      'C1 Held',
      'C2 Dialing',
      'C2 Established',
      'C1 Held', // the consult's parent, with its capabilities now C2 is up
      'C1 Released',
      'C2 Established', // an Internal call now: its caller has left
      'C2 Released',
    ]);
    expect(callbacks(d.callbacks)).toEqual(reference.callbacks);
    expectClean(d, 2);
  }, 30_000);

  /** An agent's Dial of 5001 on the simulated network, answered after 0.2 s, then hung up: the reference. */
  async function simulatedDial(target: Parameters<ReturnType<typeof makeHarness>['sb']['network']['addEndpoint']>[1]) {
    const h = makeHarness();
    const agent = h.sb.agent({ phoneNumber: '5005' });
    h.sb.network.addEndpoint('5001', target);
    const got: CallNotification[] = [];
    agent.on('notification', (n) => got.push(n));
    await agent.dial({ destination: { phoneNumber: '5001' } });
    await h.advance(1);
    const c1 = agent.calls()[0]?.id;
    if (c1) await agent.operation(c1, { operationName: 'Hangup' }); // on SIP: the phone's BYE
    await h.advance(1);
    return { notifications: view(got), callbacks: callbacks(h.callbacks) };
  }

  test("Dial (click-to-dial): the agent's phone is called first and hears ringback while 5001, offered the phone's SDP, rings; the phone gets 5001's; the phone hangs up", async () => {
    const phone = await startSipp('uas-agent-phone-click.xml', { transport });
    const target = await startSipp('uas-click-target.xml', { transport });
    const d = await sipDesk(transport, phone, target);
    // The agent hears ringback while 5001 rings (200 ms: about 10 packets of 20 ms), none once it has answered.
    const atAnswer: SipMedia[] = [];
    d.sb.on('callback', (c) => {
      if (c.eventType === 'answer') atAnswer.push(d.network.media(c.callId));
    });
    expect(await d.agent.dial({ destination: { phoneNumber: '5001' } })).toEqual({ statusCode: 0 });
    await until(() => atAnswer.length === 1, "5001's answer callback");
    expect(atAnswer[0].rtpPacketsSent).toBeGreaterThanOrEqual(5);
    expect(atAnswer[0].tone).toBeNull();
    expect(await phone.done).toMatchObject(allPassed);
    expect(await target.done).toMatchObject(allPassed);
    await notified(d.agent, d.got, stateOf('Released'));
    const reference = await simulatedDial({ outcome: 'answer', ringFor: 0.2 });
    expect(view(d.got)).toEqual(reference.notifications);
    expect(view(d.got).map((n) => `${n.call} ${n.state}`)).toEqual(['C1 Dialing', 'C1 Established', 'C1 Released']);
    expect(callbacks(d.callbacks)).toEqual(reference.callbacks);
    expectClean(d, 1);
  }, 30_000);

  test("Dial (click-to-dial) while the agent's phone is busy (486): 5001 is never called; C1 Dialing, then Released", async () => {
    const phone = await startSipp('uas-busy.xml', { transport });
    const d = await sipDesk(transport, phone, { port: 9 }); // nothing listens for 5001: it must not be called
    expect(await d.agent.dial({ destination: { phoneNumber: '5001' } })).toEqual({ statusCode: 0 });
    expect(await phone.done).toMatchObject(allPassed);
    await notified(d.agent, d.got, stateOf('Released'));
    const reference = await simulatedDial({ outcome: 'busy', ringFor: 0.2 });
    expect(view(d.got)).toEqual(reference.notifications);
    expect(view(d.got).map((n) => `${n.call} ${n.state}`)).toEqual(['C1 Dialing', 'C1 Released']);
    expect(callbacks(d.callbacks)).toEqual(reference.callbacks);
    expectClean(d, 1);
  }, 30_000);

  test('a conference: the phone talks to the answered target; joined, it hears nobody (inactive: no mixer); the target leaves: back with the caller', async () => {
    const scenarios = {
      // Held, re-INVITEd with the target's SDP, with the caller's a=inactive once joined, a=sendrecv once the
      // target has left; then hangs up.
      phone: 'uas-agent-phone-conference.xml',
      // Re-INVITEd with the phone's SDP, then with the caller's once joined; hangs up 1.2 s later.
      target: 'uas-consult-target-phone.xml',
      // Held; unheld and re-INVITEd with the target's SDP once joined, with the phone's once the target has left.
      caller: 'uac-agent-conference.xml',
    };
    const initiate = { operationName: 'InitiateConference', destination: { phoneNumber: '5001' } };
    const d = await phoneTargetCaller(transport, scenarios, async (d, c1) => {
      expect(await d.agent.operation(c1, initiate)).toEqual({ statusCode: 0 });
      const c2 = (await notified(d.agent, d.got, stateOf('Established', 'Consult'))).data.call.id;
      expect(await d.agent.operation(c2, { operationName: 'CompleteConference' })).toEqual({ statusCode: 0 });
    });
    const reference = await simulated(
      { outcome: 'answer', ringFor: 0.3, hangUpAfter: 1.5 },
      async (agent, c1, advance) => {
        await agent.operation(c1, initiate);
        await advance(0.5);
        const c2 = agent.calls().find((c) => c.callType === 'Consult')?.id as string;
        await agent.operation(c2, { operationName: 'CompleteConference' });
        await advance(3);
        await agent.operation(c1, { operationName: 'Hangup' }); // on SIP: the phone's BYE
      },
    );
    const steps = (list: ReturnType<typeof view>) => list.map((n) => `${n.call} ${n.state} ${n.notificationType}`);
    // As on the simulated network, except that C1's unhold (a re-INVITE here) is confirmed after the join.
    expect(steps(view(d.got))).toEqual([
      'C1 Ringing StatusChange',
      'C1 Established StatusChange',
      'C1 Held StatusChange',
      'C2 Dialing StatusChange',
      'C2 Established StatusChange',
      'C1 Held StatusChange',
      'C2 Released StatusChange',
      'C1 Held StatusChange',
      'C1 Held ParticipantsUpdated',
      'C1 Established StatusChange',
      'C1 Established StatusChange',
      'C1 Established ParticipantsUpdated',
      'C1 Released StatusChange',
    ]);
    expect(callbacks(d.callbacks)).toEqual(reference.callbacks);
    expectClean(d, 2);
  }, 30_000);

  test('SwapCalls from the answered target: the target held, the phone back with the retrieved caller; Hangup of C2', async () => {
    const scenarios = {
      phone: 'uas-agent-phone-swap.xml',
      target: 'uas-consult-target-swap.xml',
      caller: 'uac-agent-consult-busy.xml', // held for the consult, retrieved, BYEd when the phone hangs up
    };
    const initiate = { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } };
    const d = await phoneTargetCaller(transport, scenarios, async (d, c1) => {
      expect(await d.agent.operation(c1, initiate)).toEqual({ statusCode: 0 });
      const c2 = (await notified(d.agent, d.got, stateOf('Established', 'Consult'))).data.call.id;
      expect(await d.agent.operation(c2, { operationName: 'SwapCalls' })).toEqual({ statusCode: 0 });
      await notified(d.agent, d.got, stateOf('Held', 'Consult'));
      expect(await d.agent.operation(c2, { operationName: 'Hangup' })).toEqual({ statusCode: 0 });
    });
    const reference = await simulated({ outcome: 'answer', ringFor: 0.3 }, async (agent, c1, advance) => {
      await agent.operation(c1, initiate);
      await advance(0.5);
      const c2 = agent.calls().find((c) => c.callType === 'Consult')?.id as string;
      await agent.operation(c2, { operationName: 'SwapCalls' });
      await advance(0.1);
      await agent.operation(c2, { operationName: 'Hangup' });
      await advance(0.5);
      await agent.operation(c1, { operationName: 'Hangup' }); // on SIP: the phone's BYE
    });
    const steps = (list: ReturnType<typeof view>) => list.map((n) => `${n.call} ${n.state} ${n.notificationType}`);
    // The same states as on the simulated network; the two re-INVITEs of the swap (C1's unhold, C2's hold) are
    // confirmed here in their own time, by two far ends, in either order; C2 is seen once more with its
    // capabilities of the moment.
    const before = [
      'C1 Ringing StatusChange',
      'C1 Established StatusChange',
      'C1 Held StatusChange',
      'C2 Dialing StatusChange',
      'C2 Established StatusChange',
      'C1 Held StatusChange',
      'C2 Established StatusChange',
    ];
    const end = ['C1 Established StatusChange', 'C1 Released StatusChange'];
    expect([
      // C1's unhold confirmed first: C1 Established, then C2 Held.
      [...before, 'C1 Established StatusChange', 'C2 Held StatusChange', 'C2 Released StatusChange', ...end],
      // C2's hold confirmed first: C1 is still Held (with the capabilities of the moment) until its unhold is.
      [...before, 'C2 Held StatusChange', 'C2 Released StatusChange', 'C1 Held StatusChange', ...end],
    ]).toContainEqual(steps(view(d.got)));
    expect(callbacks(d.callbacks)).toEqual(reference.callbacks);
    expectClean(d, 2);
  }, 30_000);

  test("SingleStepTransfer: the agent's phone is BYEd, the caller connected to the target's phone (B1)", async () => {
    const scenarios = {
      phone: 'uas-agent-phone.xml',
      target: 'uas-consult-target.xml',
      caller: 'uac-agent-single-step.xml',
    };
    const sst = { operationName: 'SingleStepTransfer', destination: { phoneNumber: '5001' } };
    const d = await phoneTargetCaller(transport, scenarios, async (d, c1) => {
      expect(await d.agent.operation(c1, sst)).toEqual({ statusCode: 0 });
    });
    const reference = await simulated({ outcome: 'answer', ringFor: 0.3, hangUpAfter: 1.5 }, async (agent, id) => {
      await agent.operation(id, sst);
    });
    expect(view(d.got)).toEqual(reference.notifications);
    expect(view(d.got).map((n) => `${n.call} ${n.state}`)).toEqual(['C1 Ringing', 'C1 Established', 'C1 Released']);
    expect(callbacks(d.callbacks)).toEqual(reference.callbacks);
    expect(callbacks(d.callbacks)).toEqual([
      ['initiate', 'L1', undefined],
      ['transferAnswer', 'L2', undefined],
      ['transferDisconnect', 'L2', 'hangup'],
      ['transferComplete', 'L1', 'hangup'],
      ['disconnect', 'L1', 'hangup'],
    ]);
    expectClean(d, 2);
  }, 30_000);

  test("consult to a busy target (486): C2 Released, C1 Held; Retrieve re-INVITEs caller and phone; the phone's BYE hangs up", async () => {
    const scenarios = {
      phone: 'uas-agent-phone-retrieve-hangup.xml',
      target: 'uas-busy.xml',
      caller: 'uac-agent-consult-busy.xml',
    };
    const initiate = { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } };
    const d = await phoneTargetCaller(transport, scenarios, async (d, c1) => {
      expect(await d.agent.operation(c1, initiate)).toEqual({ statusCode: 0 });
      await notified(d.agent, d.got, stateOf('Released', 'Consult'));
      expect(d.agent.calls().map((c) => [c.id, c.state])).toEqual([[c1, 'Held']]);
      expect(await d.agent.operation(c1, { operationName: 'Retrieve' })).toEqual({ statusCode: 0 });
    });
    const reference = await simulated({ outcome: 'busy', ringFor: 0.3 }, async (agent, id, advance) => {
      await agent.operation(id, initiate);
      await advance(1);
      await agent.operation(id, { operationName: 'Retrieve' });
      await advance(1);
      await agent.operation(id, { operationName: 'Hangup' }); // on SIP: the phone's BYE
    });
    expect(view(d.got)).toEqual(reference.notifications);
    expect(view(d.got).map((n) => `${n.call} ${n.state}`)).toEqual([
      'C1 Ringing',
      'C1 Established',
      'C1 Held',
      'C2 Dialing',
      'C2 Released',
      'C1 Established',
      'C1 Released',
    ]);
    expect(callbacks(d.callbacks)).toEqual(reference.callbacks);
    expect(callbacks(d.callbacks)).toEqual([
      ['initiate', 'L1', undefined],
      ['transferDisconnect', 'L2', 'busy'],
      ['transferComplete', 'L1', 'busy'],
      ['disconnect', 'L1', 'hangup'],
    ]);
    expectClean(d, 2);
  }, 30_000);
});

test("AnswerCall over HTTP while the agent's phone rings: refused (answer on the phone), the phone rings on and answers", async () => {
  const phone = await startSipp('uas-agent-phone-slow.xml', { transport: 'udp' });
  const network = createSipNetwork({
    listen: ['udp:127.0.0.1:0'],
    agents: { '5005': `sip:agent@127.0.0.2:${phone.port}` },
  });
  const [bound] = await network.listening;
  const sb = createSwitchboard({ network, publicUrl: 'https://sb.example' });
  const server = createServer({
    switchboard: sb,
    config: loadConfig({ env: { SWITCHBOARD_USERS: USERS }, port: 0 }),
    logger: false,
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const address = server.app.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api/v2/me/calls`;
    const headers = {
      authorization: `Basic ${Buffer.from('agent5005:pw-5005').toString('base64')}`,
      'content-type': 'application/json',
    };
    const agent = server.devices.get('agent5005') as AgentDevice;
    const got: CallNotification[] = [];
    agent.on('notification', (n) => got.push(n));
    const caller = await startSipp('uac-agent-phone-answers.xml', {
      target: `127.0.0.1:${bound.port}`,
      transport: 'udp',
      extra: ['-s', '5005'],
    });
    const ringing = await notified(agent, got, stateOf('Ringing'));
    expect(ringing.data.call.capabilities).not.toContain('Answer');
    const c1 = ringing.data.call.id;
    const answer = await fetch(`${base}/${c1}`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ operationName: 'Answer' }),
    });
    expect({ status: answer.status, body: await answer.json() }).toEqual({
      status: 409,
      body: {
        statusCode: 2,
        statusMessage: "Answer is not valid for a call that rings the agent's phone: answer it on the phone",
      },
    });
    // Nothing changed: the call still rings, no leg was answered (the phone's 200 has not come yet).
    expect(agent.calls().map((c) => [c.id, c.state])).toEqual([[c1, 'Ringing']]);
    expect(sb.stats()).toMatchObject({ legs: 1, agentCalls: 1 });
    // The phone answers: Established without any Answer from the desk; then the phone hangs up.
    await notified(agent, got, stateOf('Established'));
    await notified(agent, got, stateOf('Released'));
    expect(await caller.done).toMatchObject(allPassed);
    expect(await phone.done).toMatchObject(allPassed);
    expect(got.map((n) => n.data.call.state)).toEqual(['Ringing', 'Established', 'Released']);
  } finally {
    await server.app.close();
    await sb.close();
  }
}, 30_000);
