// transferToConferenceRoom over real SIP (SIPp as the caller and as the conference bridge): the room's leg is
// an INVITE to sip:{room}@gateway, so the bridge there (a media server in production) mixes the room; the
// engine re-INVITEs the caller to it like any transfer target and keeps the room's membership and callbacks.
import { createSipNetwork, createSwitchboard, State, TransferCause, type Channel } from '../../src';
import { startSipp } from '../support/sipp';

test('a SIPp caller transferred into a room whose bridge (SIPp at the gateway) answers, then hangs up', async () => {
  const bridge = await startSipp('uas-answer-hangup.xml', { transport: 'udp' });
  const network = createSipNetwork({ listen: ['udp:127.0.0.1:0'], gateway: `sip:127.0.0.2:${bridge.port}` });
  const [bound] = await network.listening;
  const sb = createSwitchboard({ network });
  try {
    const events: string[] = [];
    sb.on('callback', (c) => events.push(`${c.eventType}${'cause' in c ? ` ${c.cause}` : ''}`));
    sb.on('conferenceCallback', (c) => events.push(`${c.eventType} ${c.name}`));
    const incoming = new Promise<Channel>((resolve) => sb.once('incomingCall', resolve));
    const caller = await startSipp('uac-transfer.xml', { target: `127.0.0.1:${bound.port}`, transport: 'udp' });
    const a = await incoming;
    await a.ring();
    expect(await a.answer()).toBe(State.ANSWERED);
    a.createTonePlayer();
    const b = sb.createChannel();
    expect(await a.transferToConferenceRoom(b, 'standup')).toBe(State.TRANSFERRED);
    expect(sb.conference('standup')?.members).toEqual([{ callId: a.callId, talker: true }]);
    expect(await a.waitForTransferredCallRetrieval()).toBe(State.ANSWERED);
    expect(a.transferCause()).toBe(TransferCause.NORMAL);
    expect(await a.hangUp()).toBe(State.IDLE);
    expect(events).toEqual([
      'initiate',
      'transferAnswer',
      'conferenceCreated standup',
      'conferenceMemberJoin standup',
      'conferenceMemberExit standup',
      'conferenceCompleted standup',
      'transferDisconnect hangup',
      'transferComplete hangup',
      'disconnect hangup',
    ]);
    expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(await bridge.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(sb.stats()).toMatchObject({ legs: 0, transfers: 0, timers: 0 });
  } finally {
    await sb.close();
  }
}, 20000);
