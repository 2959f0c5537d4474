/**
 * The channel API's `transferToConferenceRoom` (docs/conference.md): the retrievable transfer's preconditions,
 * outcomes and TransferCause, plus the room: created for its first member, members join when their room leg
 * answers and leave when it ends (retrieval, the room's end hanging up, the caller hanging up), completed when
 * the last one leaves. Callbacks (call and conference ones) are checked in one stream, in order.
 */
import { CallChannelError, HangupError, State, TransferCause } from '../src';
import type { ConferenceCallback } from '../src';
import { answeredCall, makeHarness, type Harness } from './harness';

/** Every callback, call and conference ones, in emission order: [eventType, callId or room name, cause?]. */
function stream(h: Harness): Array<[string, string, string?]> {
  const out: Array<[string, string, string?]> = [];
  h.sb.on('callback', (c) => out.push('cause' in c ? [c.eventType, c.callId, c.cause] : [c.eventType, c.callId]));
  h.sb.on('conferenceCallback', (c) => out.push(row(c)));
  return out;
}

function row(c: ConferenceCallback): [string, string] {
  return [c.eventType, 'callId' in c ? c.callId : `room:${c.name}`];
}

async function inRoom(h: Harness, room = 'sales', options = {}) {
  const { a, b } = await answeredCall(h);
  const result = await a.transferToConferenceRoom(b, room, options);
  return { a, b, result, aId: a.callId as string, bId: b.callId as string };
}

test('row 1: the room answers → TRANSFERRED, NORMAL; transferAnswer(B), conferenceCreated, conferenceMemberJoin(A)', async () => {
  const h = makeHarness();
  const { a, b } = await answeredCall(h);
  const events = stream(h);
  const result = await a.transferToConferenceRoom(b, 'sales');
  expect(result).toBe(State.TRANSFERRED);
  expect(a.state).toBe(State.TRANSFERRED);
  expect(b.state).toBe(State.ANSWERED);
  expect(a.transferCause()).toBe(TransferCause.NORMAL);
  expect(events).toEqual([
    ['transferAnswer', b.callId],
    ['conferenceCreated', 'room:sales'],
    ['conferenceMemberJoin', a.callId],
  ]);
  const room = h.sb.conference('sales');
  expect(room).toEqual({
    conferenceId: expect.stringMatching(/^conf-/),
    name: 'sales',
    members: [{ callId: a.callId, talker: true }],
  });
  // Media: the caller is bridged to its leg into the room.
  expect(h.sb.network.media(a.callId as string).bridgedTo).toBe(b.callId);
  await h.assertClean();
});

test('row 1b: retrieveTransferredCall takes the caller out of the room; the room completes', async () => {
  const h = makeHarness();
  const { a, aId, bId } = await inRoom(h);
  const events = stream(h);
  expect(await a.retrieveTransferredCall()).toBe(State.ANSWERED);
  expect(a.transferCause()).toBe(TransferCause.NORMAL);
  expect(events).toEqual([
    ['conferenceMemberExit', aId],
    ['conferenceCompleted', 'room:sales'],
    ['transferDisconnect', bId, 'hangup'],
    ['transferComplete', aId, 'hangup'],
  ]);
  expect(h.sb.conference('sales')).toBeUndefined();
  await h.assertClean();
});

test('row 1a: the room ends the leg → the caller leaves and is retrieved (waitForTransferredCallRetrieval)', async () => {
  const h = makeHarness();
  const { a, aId, bId } = await inRoom(h);
  const events = stream(h);
  const waiting = a.waitForTransferredCallRetrieval();
  h.sb.network.farEnd(bId).hangUp();
  expect(await waiting).toBe(State.ANSWERED);
  expect(events).toEqual([
    ['conferenceMemberExit', aId],
    ['conferenceCompleted', 'room:sales'],
    ['transferDisconnect', bId, 'hangup'],
    ['transferComplete', aId, 'hangup'],
  ]);
  await h.assertClean();
});

test("row 1c: the caller's far end hangs up in the room → it leaves, then its legs end; one terminal event per leg", async () => {
  const h = makeHarness();
  const { a, aId, bId } = await inRoom(h);
  const events = stream(h);
  h.sb.network.farEnd(aId).hangUp();
  expect(await a.waitForIdle()).toBe(State.IDLE);
  expect(a.transferCause()).toBe(TransferCause.NORMAL);
  expect(events).toEqual([
    ['conferenceMemberExit', aId],
    ['conferenceCompleted', 'room:sales'],
    ['transferDisconnect', bId, 'hangup'],
    ['disconnect', aId, 'hangup'],
  ]);
  await h.assertClean();
});

test('three members in one room: one conferenceCreated, joins and exits in order, completed after the last', async () => {
  const h = makeHarness();
  const events = stream(h);
  const one = await inRoom(h);
  const two = await inRoom(h, 'sales', { talkerAndListener: false });
  const three = await inRoom(h);
  const room = h.sb.conference('sales');
  expect(room?.members).toEqual([
    { callId: one.aId, talker: true },
    { callId: two.aId, talker: false },
    { callId: three.aId, talker: true },
  ]);
  await two.a.retrieveTransferredCall();
  h.sb.network.farEnd(one.aId).hangUp();
  expect(h.sb.conference('sales')?.members).toEqual([{ callId: three.aId, talker: true }]);
  await three.a.hangUp();
  const conference = events.filter(([type]) => type.startsWith('conference'));
  expect(conference).toEqual([
    ['conferenceCreated', 'room:sales'],
    ['conferenceMemberJoin', one.aId],
    ['conferenceMemberJoin', two.aId],
    ['conferenceMemberJoin', three.aId],
    ['conferenceMemberExit', two.aId],
    ['conferenceMemberExit', one.aId],
    ['conferenceMemberExit', three.aId],
    ['conferenceCompleted', 'room:sales'],
  ]);
  expect(h.sb.conference('sales')).toBeUndefined();
  // A room of the same name later is a new conference.
  const again = await inRoom(h);
  expect(h.sb.conference('sales')?.conferenceId).not.toBe(room?.conferenceId);
  await again.a.hangUp();
  await h.assertClean();
});

test.each([
  ['busy', 'busy'],
  ['reject', 'rejected'],
] as const)(
  'row 2/3: the room answers %s → ANSWERED, TARGETREJECT; no conference callbacks',
  async (outcome, cause) => {
    const h = makeHarness();
    h.sb.network.addConferenceRoom('full', { outcome, ringFor: 1 });
    const { a, b } = await answeredCall(h);
    const events = stream(h);
    const result = a.transferToConferenceRoom(b, 'full');
    await h.advance(1);
    expect(await result).toBe(State.ANSWERED);
    expect(a.transferCause()).toBe(TransferCause.TARGETREJECT);
    expect(events).toEqual([
      ['transferDisconnect', b.callId, cause],
      ['transferComplete', a.callId, cause],
    ]);
    expect(h.sb.conference('full')).toBeUndefined();
    await h.assertClean();
  },
);

test('row 4: the room does not answer within secondsTimeout → TIMEOUT (ringback played meanwhile)', async () => {
  const h = makeHarness();
  h.sb.network.addConferenceRoom('slow', { outcome: 'noAnswer' });
  const { a, b } = await answeredCall(h);
  const events = stream(h);
  const result = a.transferToConferenceRoom(b, 'slow', { secondsTimeout: 5, ringbackTone: 'UK_RINGBACK' });
  expect(a.tonePlayer?.playing).toBe('UK_RINGBACK');
  await h.advance(5);
  expect(await result).toBe(State.ANSWERED);
  expect(a.transferCause()).toBe(TransferCause.TIMEOUT);
  expect(events).toEqual([
    ['transferDisconnect', b.callId, 'timeout'],
    ['transferComplete', a.callId, 'timeout'],
  ]);
  await h.assertClean();
});

test('row 5: the caller hangs up while the room rings → IDLE, HANGUP; B cancelled', async () => {
  const h = makeHarness();
  h.sb.network.addConferenceRoom('slow', { outcome: 'noAnswer' });
  const { a, b } = await answeredCall(h);
  const events = stream(h);
  const result = a.transferToConferenceRoom(b, 'slow');
  h.sb.network.farEnd(a.callId as string).hangUp();
  expect(await result).toBe(State.IDLE);
  expect(a.transferCause()).toBe(TransferCause.HANGUP);
  expect(events).toEqual([
    ['transferDisconnect', b.callId, 'cancel'],
    ['disconnect', a.callId, 'hangup'],
  ]);
  await h.assertClean();
});

test('row 8: an unobtainable room → FAIL', async () => {
  const h = makeHarness();
  h.sb.network.addConferenceRoom('gone', { outcome: 'unobtainable' });
  const { a, b } = await answeredCall(h);
  const events = stream(h);
  expect(await a.transferToConferenceRoom(b, 'gone')).toBe(State.ANSWERED);
  expect(a.transferCause()).toBe(TransferCause.FAIL);
  expect(events).toEqual([
    ['transferDisconnect', b.callId, 'error'],
    ['transferComplete', a.callId, 'error'],
  ]);
  await h.assertClean();
});

test('preconditions, in Aculab order, change nothing', async () => {
  const h = makeHarness();
  const idle = h.sb.createChannel();
  await expect(idle.transferToConferenceRoom(h.sb.createChannel(), 'sales')).rejects.toThrow(HangupError);
  const { channel: ringing } = h.sb.network.placeCall({ from: '+15550002222', to: '+15559990000' });
  await expect(ringing.transferToConferenceRoom(h.sb.createChannel(), 'sales')).rejects.toThrow(CallChannelError);
  await ringing.hangUp();
  const { a, b } = await answeredCall(h);
  const busy = await inRoom(h);
  await expect(a.transferToConferenceRoom(busy.b, 'sales')).rejects.toThrow(/other channel must be IDLE/);
  const { channel: noTone } = h.sb.network.placeCall({ from: '+15550003333', to: '+15559990000' });
  await noTone.answer();
  await expect(noTone.transferToConferenceRoom(h.sb.createChannel(), 'sales')).rejects.toThrow(/no tone player/);
  await expect(a.transferToConferenceRoom(b, '')).rejects.toThrow(/'room' must be a non-empty string/);
  await expect(a.transferToConferenceRoom(b, 'a\nb')).rejects.toThrow(/'room' contains U\+000A/);
  await expect(
    a.transferToConferenceRoom(b, 'sales', { talkerAndListener: 'yes' as unknown as boolean }),
  ).rejects.toThrow(/talkerAndListener must be a boolean/);
  expect(a.state).toBe(State.ANSWERED);
  expect(b.state).toBe(State.IDLE);
  expect(h.sb.conference('sales')?.members).toEqual([{ callId: busy.aId, talker: true }]);
  await noTone.hangUp();
  await h.assertClean();
});

test('the room is inspectable: its conference actor concerns its members', async () => {
  const h = makeHarness();
  const { aId } = await inRoom(h);
  expect(h.sb.inspection.actorsOf(aId).map((s) => [s.machine, s.value, s.callIds])).toEqual([
    ['channel', State.TRANSFERRED, [aId]],
    ['retrievable-transfer', 'transferred', expect.any(Array)],
    ['conference', 'active', [aId]],
  ]);
  await h.assertClean();
});
