/**
 * Every row of docs/consult-transfer.md: agent notifications, TransferCause, and the Bandwidth callbacks of
 * the legs involved (L1 = the caller's leg, C1 on the desk; L2 = the consult leg, C2), on the SimulatedClock.
 */
import { TransferCause, type Behaviour, type TransferEndedInfo } from '../src';
import { consultDesk, type Desk } from './consultDesk';
import { flush, makeHarness } from './harness';

/** The consult desk (test/consultDesk.ts) after InitiateTransfer, with C2 and the consult leg L2 as they were then. */
async function consult(target: Behaviour, consultTimeout?: number | null): Promise<Desk & { l2: string }> {
  const desk = await consultDesk(target, 'InitiateTransfer', { consultTimeout });
  const c2 = desk.c2;
  const l2 = desk.h.callbacks.find((c) => c.callId !== desk.l1)?.callId ?? c2 ?? '';
  return { ...desk, c2, l2 };
}

const ok = { statusCode: 0 };

test('complete after the target answers: C2 Established, then C1 and C2 Released; NORMAL', async () => {
  const d = await consult({ outcome: 'answer', ringFor: 3 });
  await d.h.advance(3);
  expect(await d.op(d.c2, { operationName: 'CompleteTransfer' })).toEqual(ok);
  expect(d.notes).toEqual(['C1:Held', 'C2:Dialing', 'C2:Established', 'C1:Held', 'C1:Released', 'C2:Released']);
  expect(d.events()).toEqual(['transferAnswer(L2)']);
  expect(d.agent.calls()).toEqual([]);
  // Regression: completing after answer must not leave the consult timeout armed (it would drop the caller).
  await d.h.advance(60);
  expect(d.events()).toEqual(['transferAnswer(L2)']);
  // The caller and the target talk; when the target hangs up the consult ends and the caller is cleared.
  d.h.sb.network.farEnd(d.h.callbacks.at(-1)?.callId as string).hangUp();
  await flush();
  expect(d.events()).toEqual([
    'transferAnswer(L2)',
    'transferDisconnect(L2, hangup)',
    'transferComplete(L1, hangup)',
    'disconnect(L1, hangup)',
  ]);
  expect(d.ended).toMatchObject([{ kind: 'consult', transferCause: TransferCause.NORMAL, targetCause: 'normal' }]);
  await d.h.assertClean();
});

test('complete after answer, then the caller hangs up: transferDisconnect(L2) before disconnect(L1), no transferComplete', async () => {
  const d = await consult({ outcome: 'answer', ringFor: 1 });
  await d.h.advance(1);
  await d.op(d.c1, { operationName: 'CompleteTransfer' }); // posted to the call being transferred this time
  d.h.sb.network.farEnd(d.l1).hangUp();
  await flush();
  expect(d.notes).toEqual(['C1:Held', 'C2:Dialing', 'C2:Established', 'C1:Held', 'C1:Released', 'C2:Released']);
  expect(d.events()).toEqual(['transferAnswer(L2)', 'transferDisconnect(L2, hangup)', 'disconnect(L1, hangup)']);
  expect(d.ended[0].transferCause).toBe(TransferCause.NORMAL);
  await d.h.assertClean();
});

test('complete while C2 is still Dialing: C1 and C2 Released at once; NORMAL; the target answers later', async () => {
  const d = await consult({ outcome: 'answer', ringFor: 5, hangUpAfter: 60 });
  await d.h.advance(2);
  expect(
    await d.op(d.c2, {
      operationName: 'CompleteTransfer',
      consultCallUri: `https://sb.example/api/v2/me/calls/${d.c2}`,
    }),
  ).toEqual(ok);
  expect(d.notes).toEqual(['C1:Held', 'C2:Dialing', 'C1:Released', 'C2:Released']);
  expect(d.events()).toEqual([]);
  await d.h.advance(63);
  expect(d.events()).toEqual([
    'transferAnswer(L2)',
    'transferDisconnect(L2, hangup)',
    'transferComplete(L1, hangup)',
    'disconnect(L1, hangup)',
  ]);
  expect(d.ended).toMatchObject([{ transferCause: TransferCause.NORMAL }]);
  await d.h.assertClean();
});

test('complete while Dialing, then the target rejects: the consult ends, the caller is cleared', async () => {
  const d = await consult({ outcome: 'reject', ringFor: 5 });
  await d.op(d.c2, { operationName: 'CompleteTransfer' });
  await d.h.advance(5);
  expect(d.events()).toEqual([
    'transferDisconnect(L2, rejected)',
    'transferComplete(L1, rejected)',
    'disconnect(L1, hangup)',
  ]);
  expect(d.ended[0].transferCause).toBe(TransferCause.NORMAL);
  await d.h.assertClean();
});

test.each([
  ['busy', { outcome: 'busy' } as Behaviour, 0, 'busy'],
  ['rejects', { outcome: 'reject', ringFor: 4 } as Behaviour, 4, 'rejected'],
])(
  'target %s: C2 Released, C1 stays Held with Retrieve offered; TARGETREJECT',
  async (_label, behaviour, seconds, cause) => {
    const d = await consult(behaviour);
    await d.h.advance(seconds);
    expect(d.notes).toEqual(['C1:Held', 'C2:Dialing', 'C2:Released']);
    expect(d.agent.calls().map((c) => [c.state, c.capabilities.includes('Retrieve')])).toEqual([['Held', true]]);
    expect(d.events()).toEqual([`transferDisconnect(L2, ${cause})`, `transferComplete(L1, ${cause})`]);
    expect(d.ended).toMatchObject([
      { transferCause: TransferCause.TARGETREJECT, targetCause: cause === 'busy' ? 'busy' : 'rejected' },
    ]);
    expect(await d.op(d.c1, { operationName: 'Retrieve' })).toEqual(ok);
    expect(d.notes.at(-1)).toBe('C1:Established');
    await d.h.assertClean();
  },
);

test('target does not answer within the consult timeout (default 30 s): C2 Released, C1 Held; TIMEOUT', async () => {
  const d = await consult({ outcome: 'noAnswer' });
  await d.h.advance(29.9);
  expect(d.notes).toEqual(['C1:Held', 'C2:Dialing']);
  await d.h.advance(0.1);
  expect(d.notes).toEqual(['C1:Held', 'C2:Dialing', 'C2:Released']);
  expect(d.events()).toEqual(['transferDisconnect(L2, timeout)', 'transferComplete(L1, timeout)']);
  expect(d.ended).toMatchObject([{ transferCause: TransferCause.TIMEOUT }]);
  await d.h.assertClean();
});

test('consultTimeout null: the consult never times out', async () => {
  const d = await consult({ outcome: 'noAnswer' }, null);
  await d.h.advance(600);
  expect(d.notes).toEqual(['C1:Held', 'C2:Dialing']);
  expect(d.ended).toEqual([]);
  await d.h.assertClean();
});

test('target answers then hangs up before completion: C2 Released, C1 Held; TARGETHANGUP', async () => {
  const d = await consult({ outcome: 'answer', ringFor: 2, hangUpAfter: 10 });
  await d.h.advance(12);
  expect(d.notes).toEqual(['C1:Held', 'C2:Dialing', 'C2:Established', 'C1:Held', 'C2:Released', 'C1:Held']);
  expect(d.events()).toEqual(['transferAnswer(L2)', 'transferDisconnect(L2, hangup)', 'transferComplete(L1, hangup)']);
  expect(d.ended).toMatchObject([{ transferCause: TransferCause.TARGETHANGUP }]);
  expect(d.agent.calls().map((c) => c.state)).toEqual(['Held']);
  await d.h.assertClean();
});

test('caller hangs up during the consult: C1 Released; C2 goes on as an ordinary Established call; HANGUP', async () => {
  const d = await consult({ outcome: 'answer', ringFor: 2 });
  await d.h.advance(2);
  d.h.sb.network.farEnd(d.l1).hangUp();
  await flush();
  expect(d.notes).toEqual(['C1:Held', 'C2:Dialing', 'C2:Established', 'C1:Held', 'C1:Released', 'C2:Established']);
  const [c2] = d.agent.calls();
  expect(c2).toMatchObject({ state: 'Established', callType: 'Internal' });
  expect(c2.parentCallUri).toBeUndefined();
  expect(c2.capabilities).toContain('Hold');
  expect(c2.capabilities).not.toContain('CompleteTransfer');
  expect(d.events()).toEqual(['transferAnswer(L2)', 'disconnect(L1, hangup)']);
  expect(d.ended).toMatchObject([{ transferCause: TransferCause.HANGUP, targetCause: null }]);
  // The agent finishes the call: the consult leg still ends with its transferDisconnect.
  expect(await d.op(c2.id, { operationName: 'Hangup' })).toEqual(ok);
  expect(d.events().at(-1)).toBe('transferDisconnect(L2, hangup)');
  await d.h.assertClean();
});

test('agent cancels: Hangup C2 then Retrieve C1 → C2 Released, C1 Established; FAIL, cancel callbacks', async () => {
  const d = await consult({ outcome: 'answer', ringFor: 2 });
  await d.h.advance(2);
  expect(await d.op(d.c2, { operationName: 'Hangup' })).toEqual(ok);
  expect(d.events()).toEqual(['transferAnswer(L2)', 'transferDisconnect(L2, cancel)', 'transferComplete(L1, cancel)']);
  expect(d.ended).toMatchObject([{ transferCause: TransferCause.FAIL, targetCause: 'cancel' }]);
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
  await d.h.assertClean();
});

test('agent cancels while the consult call is still Dialing: FAIL, transferDisconnect(L2, cancel)', async () => {
  const d = await consult({ outcome: 'noAnswer' });
  expect(await d.op(d.c2, { operationName: 'Hangup' })).toEqual(ok);
  expect(d.notes).toEqual(['C1:Held', 'C2:Dialing', 'C2:Released']);
  expect(d.events()).toEqual(['transferDisconnect(L2, cancel)', 'transferComplete(L1, cancel)']);
  expect(d.ended[0].transferCause).toBe(TransferCause.FAIL);
  await d.h.assertClean();
});

test('SwapCalls there and back: C2 Held + C1 Established, then C1 Held + C2 Established; then complete', async () => {
  const d = await consult({ outcome: 'answer', ringFor: 1 });
  await d.h.advance(1);
  expect(
    await d.op(d.c2, { operationName: 'SwapCalls', otherCallUri: `https://sb.example/api/v2/me/calls/${d.c1}` }),
  ).toEqual(ok);
  expect(d.notes.slice(4)).toEqual(['C2:Held', 'C1:Established']);
  const c1 = d.agent.calls().find((c) => c.id === d.c1);
  expect(c1?.capabilities).toEqual([
    'UpdateUserData',
    'DeleteUserData',
    'Hangup',
    'SwapCalls',
    'CompleteTransfer',
    'SendDtmf',
    'AttachUserData',
    'DeleteUserDataPair',
  ]);
  const held = [
    'UpdateUserData',
    'DeleteUserData',
    'Hangup',
    'SwapCalls',
    'CompleteTransfer',
    'Retrieve',
    'AttachUserData',
    'DeleteUserDataPair',
  ];
  expect(d.agent.calls().find((c) => c.id === d.c2)?.capabilities).toEqual(held);
  expect(await d.op(d.c1, { operationName: 'SwapCalls' })).toEqual(ok);
  // The held caller once the target has answered: the Held list, with SwapCalls and CompleteTransfer.
  expect(d.agent.calls().find((c) => c.id === d.c1)?.capabilities).toEqual([
    'UpdateUserData',
    'SingleStepConference',
    ...held.slice(1, 7),
    'SingleStepTransfer',
    'InitiateConference',
    'DeleteUserDataPair',
    'InitiateTransfer',
  ]);
  expect(d.notes.slice(6)).toEqual(['C1:Held', 'C2:Established']);
  expect(d.ended).toEqual([]);
  expect(d.events()).toEqual(['transferAnswer(L2)']);
  expect(await d.op(d.c2, { operationName: 'CompleteTransfer' })).toEqual(ok);
  expect(d.notes.slice(8)).toEqual(['C1:Released', 'C2:Released']);
  await d.h.assertClean();
});

test('SwapCalls while C2 still rings: C1 Established (C2 keeps ringing), and back; an answer then waits on hold', async () => {
  const d = await consult({ outcome: 'answer', ringFor: 5 });
  const uri = (id: string) => `https://sb.example/api/v2/me/calls/${id}`;
  expect(await d.op(d.c2, { operationName: 'SwapCalls', otherCallUri: uri(d.c1) })).toEqual(ok);
  // C2's capabilities are the same either way: only C1 is notified.
  expect(d.notes).toEqual(['C1:Held', 'C2:Dialing', 'C1:Established']);
  const view = (id: string) => d.agent.calls().find((c) => c.id === id);
  expect(view(d.c1)?.capabilities).toEqual([
    'UpdateUserData',
    'DeleteUserData',
    'Hangup',
    'SwapCalls',
    'SendDtmf',
    'AttachUserData',
    'DeleteUserDataPair',
  ]);
  expect(view(d.c2)?.capabilities).toEqual([
    'UpdateUserData',
    'DeleteUserData',
    'Hangup',
    'SwapCalls',
    'CompleteTransfer',
    'SendDtmf',
    'AttachUserData',
    'DeleteUserDataPair',
  ]);
  // Back to the ringing consult: the caller is held again.
  expect(await d.op(d.c1, { operationName: 'SwapCalls', otherCallUri: uri(d.c2) })).toEqual(ok);
  await flush();
  expect(d.notes.slice(3)).toEqual(['C1:Held']);
  // And to the caller once more; the target answers while the agent talks to the caller: it waits on hold.
  expect(await d.op(d.c2, { operationName: 'SwapCalls' })).toEqual(ok);
  await d.h.advance(5);
  expect(d.notes.slice(4)).toEqual(['C1:Established', 'C2:Established', 'C1:Established', 'C2:Held']);
  expect(view(d.c1)?.capabilities).toContain('CompleteTransfer');
  expect(d.events()).toEqual(['transferAnswer(L2)']);
  expect(d.ended).toEqual([]);
  // Completed from C1 (the agent is with the caller): both calls are Released, the legs stay connected.
  expect(await d.op(d.c1, { operationName: 'CompleteTransfer' })).toEqual(ok);
  expect(d.notes.slice(-2)).toEqual(['C1:Released', 'C2:Released']);
  expect(d.h.sb.channel(d.l1)?.state).toBe('ANSWERED'); // the caller, retrieved, now talks to the target
  expect(d.events()).toEqual(['transferAnswer(L2)']);
  await d.h.assertClean();
});

test('SwapCalls while C2 rings, then CompleteTransfer on C2: the caller (already retrieved) is connected when the target answers', async () => {
  const d = await consult({ outcome: 'answer', ringFor: 5, hangUpAfter: 10 });
  expect(await d.op(d.c2, { operationName: 'SwapCalls' })).toEqual(ok);
  expect(await d.op(d.c2, { operationName: 'CompleteTransfer' })).toEqual(ok);
  expect(d.notes.slice(-2)).toEqual(['C1:Released', 'C2:Released']);
  await d.h.advance(15);
  expect(d.events()).toEqual([
    'transferAnswer(L2)',
    'transferDisconnect(L2, hangup)',
    'transferComplete(L1, hangup)',
    'disconnect(L1, hangup)',
  ]);
  expect(d.ended).toMatchObject([{ transferCause: TransferCause.NORMAL }]);
  await d.h.assertClean();
});

test('CompleteTransfer on the held C1 is refused (and not listed) while C2 still dials', async () => {
  const d = await consult({ outcome: 'noAnswer' });
  const notes = d.notes.length;
  const c1 = d.agent.calls().find((c) => c.id === d.c1);
  expect(c1?.capabilities).not.toContain('CompleteTransfer');
  expect(await d.op(d.c1, { operationName: 'CompleteTransfer' })).toEqual({
    statusCode: 2,
    statusMessage:
      'CompleteTransfer is not valid for a call in state Held (capabilities: UpdateUserData, SingleStepConference, ' +
      'DeleteUserData, Hangup, Retrieve, AttachUserData, SingleStepTransfer, InitiateConference, DeleteUserDataPair, ' +
      'InitiateTransfer)',
  });
  expect(d.notes.length).toBe(notes);
  expect(d.events()).toEqual([]);
  await d.h.assertClean();
});

test('SingleStepTransfer of the held C1 while a consult runs: the consult is cancelled (FAIL), then the caller is blind-transferred', async () => {
  const d = await consult({ outcome: 'answer', ringFor: 1 });
  d.h.sb.network.addEndpoint('5002', { outcome: 'answer', ringFor: 2, hangUpAfter: 10 });
  await d.h.advance(1);
  expect(await d.op(d.c1, { operationName: 'SingleStepTransfer', destination: { phoneNumber: '5002' } })).toEqual(ok);
  // C1 is, for an instant, an ordinary held call again (its consult gone), then the single-step releases it.
  expect(d.notes.slice(2)).toEqual(['C2:Established', 'C1:Held', 'C2:Released', 'C1:Held', 'C1:Released']);
  expect(d.agent.calls()).toEqual([]);
  await d.h.advance(15);
  expect(d.events()).toEqual([
    'transferAnswer(L2)',
    'transferDisconnect(L2, cancel)',
    'transferComplete(L1, cancel)',
    'transferAnswer(L3)',
    'transferDisconnect(L3, hangup)',
    'transferComplete(L1, hangup)',
    'disconnect(L1, hangup)',
  ]);
  expect(d.ended).toMatchObject([
    { kind: 'consult', transferCause: TransferCause.FAIL, targetCause: 'cancel' },
    { kind: 'blind', transferCause: TransferCause.NORMAL },
  ]);
  await d.h.assertClean();
});

test('a second InitiateTransfer on the held C1 replaces the consult: the first is cancelled (FAIL), a new consult starts', async () => {
  const d = await consult({ outcome: 'noAnswer' });
  d.h.sb.network.addEndpoint('5002', { outcome: 'answer', ringFor: 2 });
  expect(await d.op(d.c1, { operationName: 'InitiateTransfer', destination: { phoneNumber: '5002' } })).toEqual(ok);
  expect(d.notes.slice(2)).toEqual(['C2:Released', 'C3:Dialing']);
  const c3 = d.agent.calls().find((c) => c.callType === 'Consult');
  expect(c3?.parentCallUri).toBe(`https://sb.example/api/v2/me/calls/${d.c1}`);
  expect(d.agent.calls().map((c) => `${c.callType}:${c.state}`)).toEqual(['Internal:Held', 'Consult:Dialing']);
  expect(d.ended).toMatchObject([{ kind: 'consult', transferCause: TransferCause.FAIL, targetCause: 'cancel' }]);
  await d.h.advance(2);
  expect(await d.op(c3?.id as string, { operationName: 'CompleteTransfer' })).toEqual(ok);
  expect(d.events()).toEqual(['transferDisconnect(L2, cancel)', 'transferComplete(L1, cancel)', 'transferAnswer(L3)']);
  expect(d.agent.calls()).toEqual([]);
  expect(d.ended.map((e) => e.transferCause)).toEqual([TransferCause.FAIL]);
  await d.h.assertClean();
});

describe('single-step (blind) transfer', () => {
  async function blind(target: Behaviour) {
    const h = makeHarness();
    const agent = h.sb.agent({ phoneNumber: '5005' });
    h.sb.network.addEndpoint('+15557770000', target);
    const ended: TransferEndedInfo[] = [];
    h.sb.on('transferEnded', (e) => ended.push(e));
    const { channel } = h.sb.network.placeCall({ from: '+15550001111', to: '5005' });
    const c1 = agent.calls()[0];
    expect(c1.callType).toBe('Inbound');
    await agent.operation(c1.id, { operationName: 'Answer' });
    const states: string[] = [];
    agent.on('notification', (m) => states.push(m.data.call.state));
    const before = h.callbacks.length;
    expect(
      await agent.operation(c1.id, {
        operationName: 'SingleStepTransfer',
        destination: { phoneNumber: '+15557770000' },
      }),
    ).toEqual(ok);
    return { h, agent, states, ended, l1: channel.callId as string, since: () => h.summary().slice(before) };
  }

  test('the agent leaves at once; the caller is connected when the target answers; NORMAL', async () => {
    const b = await blind({ outcome: 'answer', ringFor: 2, hangUpAfter: 30 });
    expect(b.states).toEqual(['Released']);
    expect(b.agent.calls()).toEqual([]);
    await b.h.advance(32);
    expect(b.since().map(([type, id, cause]) => `${type}:${id === b.l1 ? 'L1' : 'L2'}:${cause ?? ''}`)).toEqual([
      'transferAnswer:L2:',
      'transferDisconnect:L2:hangup',
      'transferComplete:L1:hangup',
      'disconnect:L1:hangup',
    ]);
    expect(b.h.callbacks.find((c) => c.eventType === 'transferAnswer')).toMatchObject({
      transferCallerId: '+15550001111',
      parentCallId: b.l1,
    });
    expect(b.ended).toMatchObject([{ kind: 'blind', transferCause: TransferCause.NORMAL }]);
    await b.h.assertClean();
  });

  test('target busy: TARGETREJECT, the caller is cleared', async () => {
    const b = await blind({ outcome: 'busy' });
    expect(b.since().map(([type, , cause]) => `${type}:${cause ?? ''}`)).toEqual([
      'transferDisconnect:busy',
      'transferComplete:busy',
      'disconnect:hangup',
    ]);
    expect(b.ended).toMatchObject([{ kind: 'blind', transferCause: TransferCause.TARGETREJECT }]);
    await b.h.assertClean();
  });

  test('the caller hangs up while the target rings: HANGUP, transferDisconnect(cancel) before disconnect', async () => {
    const b = await blind({ outcome: 'noAnswer' });
    b.h.sb.network.farEnd(b.l1).hangUp();
    await flush();
    expect(b.since().map(([type, , cause]) => `${type}:${cause ?? ''}`)).toEqual([
      'transferDisconnect:cancel',
      'disconnect:hangup',
    ]);
    expect(b.ended).toMatchObject([{ kind: 'blind', transferCause: TransferCause.HANGUP }]);
    await b.h.assertClean();
  });
});

test('target answers and hangs up in the same instant: C2 Established, then Released, C1 Held; TARGETHANGUP', async () => {
  const d = await consult({ outcome: 'answer', ringFor: 0, hangUpAfter: 0 });
  await flush();
  expect(d.notes).toEqual(['C1:Held', 'C2:Dialing', 'C2:Established', 'C2:Released']);
  expect(d.events()).toEqual(['transferAnswer(L2)', 'transferDisconnect(L2, hangup)', 'transferComplete(L1, hangup)']);
  expect(d.ended).toMatchObject([{ transferCause: TransferCause.TARGETHANGUP, targetCause: 'normal' }]);
  expect(d.agent.calls().map((c) => c.state)).toEqual(['Held']);
  await d.h.assertClean();
});
