// SIP dialogs as data (src/sip/dialogRecords.ts) between two in-memory stacks: the record of each kind of leg, and
// what a restarted dialog layer on the same stack sends from it: BYE with Q.850 41 above the stored CSeq for a
// confirmed dialog, CANCEL with the INVITE's branch for our unanswered INVITE, nothing for an incoming one; the
// order and causes of the clears; which pairs go on; the OPTIONS probe of a continued dialog.
import { SimulatedClock } from 'xstate';
import { EngineClock } from '../../src/engine/clock';
import type { NetworkIndications, RestoredLeg } from '../../src/engine/network';
import { DialogLayer, type Dialog, type InboundCall } from '../../src/sip/dialog';
import {
  CSEQ_MARGIN,
  continuable,
  dialogRecord,
  endRestored,
  endRestoredLegs,
  isDialogRecord,
  probe,
  restoredDialog,
  restoredFacts,
  type SipDialogRecord,
} from '../../src/sip/dialogRecords';
import type { SipRequest } from '../../src/sip/message';
import { buildSdp, offerSdp } from '../../src/sip/sdp';
import { MemoryNet, type MemorySipStack } from '../support/memorySipStack';

const SDP_A = buildSdp(offerSdp({ address: '10.0.0.1', port: 20000 }));
const SDP_B = buildSdp(offerSdp({ address: '10.0.0.2', port: 30000 }));

let clock: EngineClock;
let net: MemoryNet;
let stackA: MemorySipStack;
let a: DialogLayer;
let b: DialogLayer;

beforeEach(() => {
  clock = new EngineClock(new SimulatedClock());
  net = new MemoryNet(() => clock.now());
  let stackB: MemorySipStack;
  [stackA, stackB] = net.pair();
  a = new DialogLayer({ stack: stackA, clock, random: () => 0.5, user: 'a' });
  b = new DialogLayer({ stack: stackB, clock, random: () => 0.5, user: 'b' });
});

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

/** A calls B; B rings, and answers when `answer`. */
async function call(answer: boolean) {
  let inbound: InboundCall | undefined;
  let answered: Promise<Dialog> | undefined;
  b.onInvite((c) => {
    inbound = c;
    c.progress(180);
    if (answer) answered = c.answer(SDP_B);
  });
  const outbound = a.invite({ uri: 'sip:b@10.0.0.2:5060', sdp: SDP_A });
  await flush();
  const outcome = answer ? await outbound.outcome : undefined;
  const da = outcome?.kind === 'answered' ? outcome.dialog : undefined;
  return { outbound, inbound: inbound!, da, db: answered && (await answered) };
}

/** The process restarts: a new dialog layer on A's stack (the old one's transactions and dialogs are gone). */
const restartA = () => new DialogLayer({ stack: stackA, clock, random: () => 0.5, user: 'a' });

const sent = (method: string) => net.wire.filter((w) => w.what === method).map((w) => w.message as SipRequest);

test('a confirmed dialog: its record (both sides), and the restarted side BYEs it with Q.850 41 above the stored CSeq', async () => {
  const { outbound, inbound, da, db } = await call(true);
  const ours = dialogRecord({ outbound, dialog: da, bridgedTo: null, bridged: false }, a)!;
  expect(ours).toMatchObject({
    v: 1,
    role: 'uac',
    answered: true,
    callId: da!.callId,
    localTag: da!.localTag,
    remoteTag: db!.localTag,
    localSeq: 1,
    transport: 'UDP',
    remoteAddress: '10.0.0.2:5060',
    localSdp: SDP_A,
    remoteSdp: SDP_B,
  });
  expect(ours.invite).toBeUndefined();
  const theirs = dialogRecord({ inbound, dialog: db, bridgedTo: 'L1', bridged: true }, b)!;
  expect(theirs).toMatchObject({
    role: 'uas',
    answered: true,
    remoteTag: da!.localTag,
    bridgedTo: 'L1',
    bridged: true,
  });
  expect(JSON.parse(JSON.stringify(ours))).toEqual(ours); // plain data

  const byes: unknown[] = [];
  db!.on('bye', (reason) => byes.push(reason));
  const ending = endRestored(restartA(), ours, { cause: 41, text: 'restarted' });
  expect(ending.sent).toBe('BYE');
  if (ending.sent === 'BYE') expect(await ending.done).toBe(200);
  expect(byes).toEqual([{ cause: 41, text: 'restarted' }]);
  expect(sent('BYE')[0].headers.cseq).toEqual({ seq: 1 + CSEQ_MARGIN + 1, method: 'BYE' });
});

test('our unanswered INVITE: CANCEL with its branch and CSeq (200, then 487); a record with no Via sends nothing', async () => {
  const { outbound, inbound } = await call(false);
  const record = dialogRecord({ outbound, bridgedTo: null, bridged: false }, a)!;
  expect(record).toMatchObject({ role: 'uac', answered: false, remoteTag: '' });
  expect(record.invite).toMatchObject({ uri: 'sip:b@10.0.0.2:5060', seq: 1, provisional: true });
  const cancelled: unknown[] = [];
  inbound.onCancel = (reason) => cancelled.push(reason);
  const ending = endRestored(restartA(), record, { cause: 41 });
  expect(ending.sent).toBe('CANCEL');
  if (ending.sent === 'CANCEL') expect(await ending.done).toBe(200);
  await flush();
  expect(cancelled).toEqual([{ cause: 41 }]);
  expect(sent('CANCEL')[0].headers.via?.[0].params.branch).toBe(sent('INVITE')[0].headers.via?.[0].params.branch);
  expect(net.lines().slice(-3)).toEqual(['A→B CANCEL', 'B→A 200 CANCEL', 'B→A 487 INVITE']);

  const unsent = { ...record, invite: { ...record.invite!, via: undefined } };
  expect(endRestored(restartA(), unsent, { cause: 41 })).toEqual({ sent: 'nothing' });
});

test('an incoming INVITE we had not answered: recorded, and nothing is sent for it (its transaction died)', async () => {
  const { inbound } = await call(false);
  const record = dialogRecord({ inbound, bridgedTo: null, bridged: false }, b)!;
  expect(record).toMatchObject({ role: 'uas', answered: false, remoteSeq: 1, remoteAddress: '10.0.0.1:5060' });
  const before = net.wire.length;
  expect(endRestored(b, record, { cause: 41 })).toEqual({ sent: 'nothing' });
  await flush();
  expect(net.wire).toHaveLength(before);
  expect(dialogRecord({ bridgedTo: null, bridged: false }, b)).toBeUndefined();
  expect(restoredFacts(record)).toEqual({
    callId: record.callId,
    remoteUri: record.remoteUri.uri,
    remoteAddress: '10.0.0.1:5060',
    transport: 'UDP',
  });
});

test('endRestoredLegs: callers first, each cleared with temporaryFailure and what was sent; legs with no record too', async () => {
  const { outbound } = await call(false);
  const target = dialogRecord({ outbound, bridgedTo: null, bridged: false }, a)!;
  const cleared: Array<[string, string, string | undefined]> = [];
  const clear: NetworkIndications['cleared'] = (id, cause, message) => void cleared.push([id, cause, message]);
  const engine = { cleared: clear } as unknown as NetworkIndications;
  const endings: Array<Promise<unknown>> = [];
  const legs: RestoredLeg[] = [
    { callId: 'L2', state: 'RING_OUTGOING', parent: 'L1', data: target },
    { callId: 'L1', state: 'TRANSFERRING', parent: null, data: { v: 99, callId: 'x' } },
  ];
  endRestoredLegs(legs, 'takeover', { layer: restartA(), engine, ending: (p) => endings.push(p) });
  expect(cleared).toEqual([
    [
      'L1',
      'temporaryFailure',
      "The SIP dialog could not be continued (another node took this node's calls over; nothing could be sent)",
    ],
    [
      'L2',
      'temporaryFailure',
      "The SIP dialog could not be continued (another node took this node's calls over; CANCEL sent)",
    ],
  ]);
  expect(await Promise.all(endings)).toEqual([200]);
  expect(sent('CANCEL')[0].headers.reason).toBe('Q.850;cause=41;text="taken over"');
  expect(isDialogRecord(legs[1].data)).toBe(false);
});

test('continuable: only after a restart, only confirmed pairs bridged to each other with their SDP', () => {
  const base = { v: 1, answered: true, bridged: true, localSdp: SDP_A } as SipDialogRecord;
  const a1 = { ...base, callId: 'sip-a', bridgedTo: 'L2' };
  const b1 = { ...base, callId: 'sip-b', bridgedTo: 'L1' };
  const legs = (x: SipDialogRecord, y: SipDialogRecord): RestoredLeg[] => [
    { callId: 'L1', state: 'TRANSFERRING', parent: null, data: x },
    { callId: 'L2', state: 'ANSWERED', parent: 'L1', data: y },
  ];
  expect(continuable(legs(a1, b1), 'restart')).toEqual([[a1, b1]]);
  expect(continuable(legs(a1, b1), 'takeover')).toEqual([]);
  expect(continuable(legs(a1, { ...b1, bridged: false }), 'restart')).toEqual([]);
  expect(continuable(legs(a1, { ...b1, answered: false }), 'restart')).toEqual([]);
  expect(continuable(legs({ ...a1, bridgedTo: null }, b1), 'restart')).toEqual([]);
});

test('probe: a far end still there answers the OPTIONS; one that forgot the dialog answers 481 and it ends', async () => {
  const { outbound, da, db } = await call(true);
  const record = dialogRecord({ outbound, dialog: da, bridgedTo: null, bridged: false }, a)!;
  const layer = restartA();
  const restored = restoredDialog(layer, record);
  layer.remember(restored);
  expect(await probe(layer, restored)).toBe(true);
  expect(restored.state).toBe('confirmed');
  // A continued leg's record keeps the restored facts and follows its dialog's CSeq.
  const again = dialogRecord({ dialog: restored, bridgedTo: null, bridged: false, restored: record }, layer)!;
  expect(again).toMatchObject({ callId: record.callId, role: 'uac', localSeq: 1 + CSEQ_MARGIN + 1 });
  db!.end(); // B forgets the dialog (it hung up while we were down)
  expect(await probe(layer, restored)).toBe(false);
  expect(restored.state).toBe('terminated');
  expect(layer.dialogCount).toBe(0);
});
