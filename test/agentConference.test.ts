/**
 * The agent desk's conferences (docs/conference.md): InitiateConference (a consult with every exit path of the
 * two-step transfer), CompleteConference posted to either call (the caller's call becomes the conference call
 * with three participants, the consult call is Released), DeleteFromConference, the agent leaving,
 * SingleStepConference, and the ParticipantsUpdated notifications, TransferCause and callbacks of each path.
 */
import { TransferCause, type Behaviour, type CallNotification } from '../src';
import { consultDesk, type Desk } from './consultDesk';
import { flush, makeHarness } from './harness';

const ok = { statusCode: 0 };

/** A notification as `C1:Held`, or `C1:Participants[5000,5005,5001]` for ParticipantsUpdated. */
const withParticipants = (name: string, m: CallNotification) =>
  m.data.notificationType === 'ParticipantsUpdated'
    ? `${name}:Participants[${m.data.call.participants.map((p) => p.phoneNumber).join(',')}]`
    : `${name}:${m.data.call.state}`;

/** The caller 5000 calls agent 5005, who answers and starts a conference (`operationName`) with 5001. */
const conference = (target: Behaviour, operationName = 'InitiateConference', consultTimeout?: number | null) =>
  consultDesk(target, operationName, { consultTimeout, note: withParticipants });

const targetLeg = (d: Desk) => d.h.callbacks.find((c) => c.eventType === 'transferAnswer')?.callId as string;

test.each(['C2', 'C1'] as const)(
  'CompleteConference posted to %s: one conference call with three participants, the consult call Released',
  async (postedTo) => {
    const d = await conference({ outcome: 'answer', ringFor: 2 });
    await d.h.advance(2);
    const c1 = d.agent.call(d.c1);
    const c2 = d.agent.call(d.c2);
    expect(c1.statusCode === 0 && c1.call.capabilities).toContain('CompleteConference');
    expect(c2.statusCode === 0 && c2.call.capabilities).toContain('CompleteConference');
    expect(await d.op(postedTo === 'C2' ? d.c2 : d.c1, { operationName: 'CompleteConference' })).toEqual(ok);
    expect(d.notes).toEqual([
      'C1:Held',
      'C2:Dialing',
      'C2:Established',
      'C1:Held', // its capabilities change: the target has answered (CompleteConference)
      'C2:Released',
      'C1:Established',
      'C1:Participants[5000,5005,5001]',
    ]);
    const [call] = d.agent.calls();
    expect(call).toMatchObject({ id: d.c1, state: 'Established', callType: 'Internal' });
    expect(call.participants.map((p) => p.phoneNumber)).toEqual(['5000', '5005', '5001']);
    expect([...call.capabilities].sort()).toEqual(
      [
        'AttachUserData',
        'DeleteFromConference',
        'DeleteUserData',
        'DeleteUserDataPair',
        'Hangup',
        'SendDtmf',
        'UpdateUserData',
      ].sort(),
    );
    expect(d.h.sb.network.media(d.l1).bridgedTo).toBe(targetLeg(d));
    expect(d.events()).toEqual(['transferAnswer(L2)']);
    expect(d.ended).toEqual([]);

    // DeleteFromConference of the target: it is released, the caller's call goes on with the agent.
    expect(await d.op(d.c1, { operationName: 'DeleteFromConference', participant: '5000' })).toMatchObject({
      statusCode: 2,
    });
    expect(await d.op(d.c1, { operationName: 'DeleteFromConference' })).toMatchObject({ statusCode: 1 });
    expect(await d.op(d.c1, { operationName: 'DeleteFromConference', participant: '5001' })).toEqual(ok);
    expect(d.notes.slice(7)).toEqual(['C1:Established', 'C1:Participants[5000]']);
    expect(d.events()).toEqual([
      'transferAnswer(L2)',
      'transferDisconnect(L2, hangup)',
      'transferComplete(L1, hangup)',
    ]);
    expect(d.ended).toMatchObject([{ kind: 'conference', transferCause: TransferCause.NORMAL, targetCause: 'normal' }]);
    const after = d.agent.call(d.c1);
    expect(after.statusCode === 0 && after.call.capabilities).toContain('Hold');
    await d.h.assertClean();
  },
);

test('in a conference the target hangs up: ParticipantsUpdated, NORMAL; the caller stays with the agent', async () => {
  const d = await conference({ outcome: 'answer', ringFor: 1, hangUpAfter: 10 });
  await d.h.advance(1);
  await d.op(d.c2, { operationName: 'CompleteConference' });
  await d.h.advance(10);
  expect(d.notes.slice(-2)).toEqual(['C1:Established', 'C1:Participants[5000]']);
  expect(d.events()).toEqual(['transferAnswer(L2)', 'transferDisconnect(L2, hangup)', 'transferComplete(L1, hangup)']);
  expect(d.ended).toMatchObject([{ kind: 'conference', transferCause: TransferCause.NORMAL }]);
  await d.h.assertClean();
});

test('in a conference the caller hangs up: the conference ends, the target is released; NORMAL', async () => {
  const d = await conference({ outcome: 'answer', ringFor: 1 });
  await d.h.advance(1);
  await d.op(d.c2, { operationName: 'CompleteConference' });
  d.h.sb.network.farEnd(d.l1).hangUp();
  await flush();
  expect(d.notes.slice(-1)).toEqual(['C1:Released']);
  expect(d.events()).toEqual(['transferAnswer(L2)', 'transferDisconnect(L2, hangup)', 'disconnect(L1, hangup)']);
  expect(d.ended).toMatchObject([{ kind: 'conference', transferCause: TransferCause.NORMAL }]);
  expect(d.agent.calls()).toEqual([]);
  await d.h.assertClean();
});

test('the agent hangs up the conference call: C1 Released, the caller and the target stay connected', async () => {
  const d = await conference({ outcome: 'answer', ringFor: 1 });
  await d.h.advance(1);
  await d.op(d.c2, { operationName: 'CompleteConference' });
  expect(await d.op(d.c1, { operationName: 'Hangup' })).toEqual(ok);
  expect(d.notes.slice(-1)).toEqual(['C1:Released']);
  expect(d.agent.calls()).toEqual([]);
  expect(d.h.sb.network.media(d.l1).bridgedTo).toBe(targetLeg(d));
  expect(d.events()).toEqual(['transferAnswer(L2)']);
  d.h.sb.network.farEnd(targetLeg(d)).hangUp();
  await flush();
  expect(d.events()).toEqual([
    'transferAnswer(L2)',
    'transferDisconnect(L2, hangup)',
    'transferComplete(L1, hangup)',
    'disconnect(L1, hangup)',
  ]);
  expect(d.ended).toMatchObject([{ kind: 'conference', transferCause: TransferCause.NORMAL }]);
  await d.h.assertClean();
});

describe('every consult exit path, for a conference consult', () => {
  test.each([
    ['busy', { outcome: 'busy' } as Behaviour, TransferCause.TARGETREJECT, 'busy'],
    ['rejects', { outcome: 'reject', ringFor: 1 } as Behaviour, TransferCause.TARGETREJECT, 'rejected'],
  ])('target %s: C2 Released, C1 stays Held (Retrieve offered)', async (_label, target, tc, cause) => {
    const d = await conference(target);
    await d.h.advance(1);
    expect(d.notes).toEqual(['C1:Held', 'C2:Dialing', 'C2:Released']);
    expect(d.events()).toEqual([`transferDisconnect(L2, ${cause})`, `transferComplete(L1, ${cause})`]);
    expect(d.ended).toMatchObject([{ kind: 'conference', transferCause: tc }]);
    const c1 = d.agent.call(d.c1);
    expect(c1.statusCode === 0 && c1.call).toMatchObject({ state: 'Held' });
    expect(c1.statusCode === 0 && c1.call.capabilities).toContain('Retrieve');
    await d.h.assertClean();
  });

  test('no answer within the consult timeout: C2 Released, C1 Held; TIMEOUT', async () => {
    const d = await conference({ outcome: 'noAnswer' }, 'InitiateConference', 10);
    await d.h.advance(10);
    expect(d.notes).toEqual(['C1:Held', 'C2:Dialing', 'C2:Released']);
    expect(d.events()).toEqual(['transferDisconnect(L2, timeout)', 'transferComplete(L1, timeout)']);
    expect(d.ended).toMatchObject([{ kind: 'conference', transferCause: TransferCause.TIMEOUT }]);
    await d.h.assertClean();
  });

  test('the target answers, then hangs up before CompleteConference: C2 Released, C1 Held; TARGETHANGUP', async () => {
    const d = await conference({ outcome: 'answer', ringFor: 1, hangUpAfter: 2 });
    await d.h.advance(3);
    expect(d.notes).toEqual(['C1:Held', 'C2:Dialing', 'C2:Established', 'C1:Held', 'C2:Released', 'C1:Held']);
    expect(d.events()).toEqual([
      'transferAnswer(L2)',
      'transferDisconnect(L2, hangup)',
      'transferComplete(L1, hangup)',
    ]);
    expect(d.ended).toMatchObject([{ kind: 'conference', transferCause: TransferCause.TARGETHANGUP }]);
    await d.h.assertClean();
  });

  test('the caller hangs up during the consult: C1 Released, C2 goes on as an ordinary call; HANGUP', async () => {
    const d = await conference({ outcome: 'answer', ringFor: 1 });
    await d.h.advance(1);
    d.h.sb.network.farEnd(d.l1).hangUp();
    await flush();
    expect(d.notes).toEqual(['C1:Held', 'C2:Dialing', 'C2:Established', 'C1:Held', 'C1:Released', 'C2:Established']);
    expect(d.events()).toEqual(['transferAnswer(L2)', 'disconnect(L1, hangup)']);
    expect(d.ended).toMatchObject([{ kind: 'conference', transferCause: TransferCause.HANGUP }]);
    const [c2] = d.agent.calls();
    expect(c2.capabilities).not.toContain('CompleteConference');
    await d.h.assertClean();
  });

  test('the agent cancels (Hangup C2, then Retrieve C1): FAIL, transferDisconnect(L2, cancel)', async () => {
    const d = await conference({ outcome: 'answer', ringFor: 1 });
    await d.h.advance(1);
    expect(await d.op(d.c2, { operationName: 'Hangup' })).toEqual(ok);
    expect(await d.op(d.c1, { operationName: 'Retrieve' })).toEqual(ok);
    expect(d.notes).toEqual([
      'C1:Held',
      'C2:Dialing',
      'C2:Established',
      'C1:Held',
      'C2:Released',
      'C1:Held',
      'C1:Established',
    ]);
    expect(d.events()).toEqual([
      'transferAnswer(L2)',
      'transferDisconnect(L2, cancel)',
      'transferComplete(L1, cancel)',
    ]);
    expect(d.ended).toMatchObject([{ kind: 'conference', transferCause: TransferCause.FAIL }]);
    await d.h.assertClean();
  });

  test('CompleteConference is refused (and unlisted) while the target still rings, and on a transfer consult', async () => {
    const d = await conference({ outcome: 'answer', ringFor: 5 });
    expect(await d.op(d.c2, { operationName: 'CompleteConference' })).toMatchObject({ statusCode: 2 });
    const c2 = d.agent.call(d.c2);
    expect(c2.statusCode === 0 && c2.call.capabilities).not.toContain('CompleteConference');
    await d.h.advance(5);
    expect(await d.op(d.c2, { operationName: 'CompleteTransfer' })).toEqual(ok); // a conference consult can transfer
    expect(d.ended).toEqual([]);
    await d.h.assertClean();

    const t = makeHarness();
    const agent = t.sb.agent({ phoneNumber: '5005' });
    t.sb.network.addEndpoint('5001', { outcome: 'answer', ringFor: 1 });
    t.sb.network.placeCall({ from: '5000', to: '5005' });
    const c1 = agent.calls()[0].id;
    await agent.operation(c1, { operationName: 'Answer' });
    await agent.operation(c1, { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } });
    await t.advance(1);
    const consult = agent.calls().find((c) => c.callType === 'Consult');
    expect(consult?.capabilities).not.toContain('CompleteConference');
    expect(await agent.operation(consult?.id as string, { operationName: 'CompleteConference' })).toMatchObject({
      statusCode: 2,
    });
    await t.assertClean();
  });
});

describe('SingleStepConference: the target is added without a consult', () => {
  test('the target answers: C1 stays Established, ParticipantsUpdated with three participants', async () => {
    const d = await conference({ outcome: 'answer', ringFor: 2 }, 'SingleStepConference');
    expect(d.agent.calls()).toHaveLength(1);
    await d.h.advance(2);
    // Established with a consult's capabilities while the target rings, then the conference call's.
    expect(d.notes).toEqual(['C1:Established', 'C1:Established', 'C1:Participants[5000,5005,5001]']);
    expect(d.agent.calls()[0].participants.map((p) => p.phoneNumber)).toEqual(['5000', '5005', '5001']);
    expect(await d.op(d.c1, { operationName: 'DeleteFromConference', participant: '5001' })).toEqual(ok);
    expect(d.events()).toEqual([
      'transferAnswer(L2)',
      'transferDisconnect(L2, hangup)',
      'transferComplete(L1, hangup)',
    ]);
    expect(d.ended).toMatchObject([{ kind: 'conference', transferCause: TransferCause.NORMAL }]);
    await d.h.assertClean();
  });

  test.each([
    ['busy', { outcome: 'busy' } as Behaviour, TransferCause.TARGETREJECT, 'busy', 1],
    ['does not answer', { outcome: 'noAnswer' } as Behaviour, TransferCause.TIMEOUT, 'timeout', 30],
  ])('the target is %s: C1 stays Established with its one participant', async (_l, target, tc, cause, wait) => {
    const d = await conference(target, 'SingleStepConference');
    await d.h.advance(wait);
    expect(d.events()).toEqual([`transferDisconnect(L2, ${cause})`, `transferComplete(L1, ${cause})`]);
    expect(d.ended).toMatchObject([{ kind: 'conference', transferCause: tc }]);
    expect(d.agent.calls()[0]).toMatchObject({ state: 'Established' });
    expect(d.agent.calls()[0].participants.map((p) => p.phoneNumber)).toEqual(['5000']);
    await d.h.assertClean();
  });

  test('the caller hangs up while the target rings: the target is cancelled; HANGUP', async () => {
    const d = await conference({ outcome: 'noAnswer' }, 'SingleStepConference');
    d.h.sb.network.farEnd(d.l1).hangUp();
    await flush();
    expect(d.events()).toEqual(['transferDisconnect(L2, cancel)', 'disconnect(L1, hangup)']);
    expect(d.ended).toMatchObject([{ kind: 'conference', transferCause: TransferCause.HANGUP }]);
    await d.h.assertClean();
  });
});
