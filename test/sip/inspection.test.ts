// SIP facts in the inspection data: a SIP leg's Call-ID, far end (URI and address) and transport, in
// `sb.inspection.liveCall(s)` and in the inspector's call view (kept there after the call has ended).
import { createSipNetwork, createSwitchboard, State, type Channel, type Switchboard, type SipNetwork } from '../../src';
import { InspectorHub } from '../../src/inspect/hub';
import { startSipp } from '../support/sipp';

let sb: Switchboard<SipNetwork> | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

test.each(['udp', 'tcp'] as const)(
  '%s: an inbound and an outbound leg show their SIP facts',
  async (transport) => {
    const farEnd = await startSipp('uas-hold.xml', { transport });
    const t = transport === 'tcp' ? ';transport=tcp' : '';
    const network = createSipNetwork({
      listen: [`${transport}:127.0.0.1:0`],
      gateway: `sip:127.0.0.2:${farEnd.port}${t}`,
    });
    const [bound] = await network.listening;
    sb = createSwitchboard({ network });
    const hub = new InspectorHub(sb as unknown as Switchboard, { mode: 'always' });
    const incoming = new Promise<Channel>((resolve) => sb?.once('incomingCall', resolve));
    const caller = await startSipp('uac-bye-from-sut.xml', { target: `127.0.0.1:${bound.port}`, transport });
    const a = await incoming;
    await a.answer();
    const b = sb.createChannel();
    expect(await b.call('+15557770000')).toBe(State.ANSWERED);
    const T = transport.toUpperCase();
    const [inbound, outbound] = [...sb.inspection.liveCalls()].sort((x, y) => x.startTime - y.startTime);
    expect(inbound.sip).toEqual({
      callId: expect.stringMatching(/^1-\d+@127\.0\.0\.2$/), // SIPp's Call-ID
      remoteUri: `sip:sipp@127.0.0.2:${caller.port}`,
      remoteAddress: expect.stringMatching(
        transport === 'udp' ? `^127\\.0\\.0\\.2:${caller.port}$` : /^127\.0\.0\.2:\d+$/,
      ),
      transport: T,
    });
    expect(outbound.sip).toEqual({
      callId: expect.stringMatching(/@127\.0\.0\.1$/), // ours
      remoteUri: `sip:+15557770000@127.0.0.2:${farEnd.port}${t}`,
      remoteAddress: `127.0.0.2:${farEnd.port}`,
      transport: T,
    });
    expect(sb.inspection.liveCall(outbound.callId)?.sip).toEqual(outbound.sip);
    expect(hub.calls().find((c) => c.callId === inbound.callId)?.sip).toEqual(inbound.sip);
    await b.hold();
    await b.hangUp();
    await a.hangUp();
    // Ended: the inspector still shows where the call went.
    expect(hub.call(outbound.callId)?.call).toMatchObject({ live: false, sip: outbound.sip });
    expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(await farEnd.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
  },
  20_000,
);

test('the simulated network has no SIP facts', () => {
  const sim = createSwitchboard();
  sim.createChannel().call('+15550001111');
  expect(sim.inspection.liveCalls().map((c) => c.sip)).toEqual([undefined]);
  void sim.close();
});
