// The dialog layer (src/sip/dialog.ts) between two in-memory stacks on a simulated clock: the exact messages on the
// wire and their times, 2xx retransmission and its give-up, CANCEL and the CANCEL/200 race, re-INVITE with 491
// glare, BYE with a Q.850 Reason, and 481/405/500 for requests that fit no dialog or transaction.
import { SimulatedClock } from 'xstate';
import { EngineClock } from '../../src/engine/clock';
import {
  DialogLayer,
  formatReason,
  parseReason,
  type Dialog,
  type InboundCall,
  type UacOutcome,
} from '../../src/sip/dialog';
import { makeResponse, type SipRequest, type SipResponse } from '../../src/sip/message';
import { buildSdp, offerSdp } from '../../src/sip/sdp';
import { MemoryNet, type MemorySipStack } from '../support/memorySipStack';

const SDP_A = buildSdp(offerSdp({ address: '10.0.0.1', port: 20000 }));
const SDP_B = buildSdp(offerSdp({ address: '10.0.0.2', port: 30000 }));
const HOLD_A = buildSdp(offerSdp({ address: '10.0.0.1', port: 20000, direction: 'sendonly' }));

let sim: SimulatedClock;
let clock: EngineClock;
let net: MemoryNet;
let stackA: MemorySipStack;
let stackB: MemorySipStack;
let a: DialogLayer;
let b: DialogLayer;

beforeEach(() => {
  sim = new SimulatedClock();
  clock = new EngineClock(sim);
  net = new MemoryNet(() => clock.now());
  [stackA, stackB] = net.pair();
  a = new DialogLayer({ stack: stackA, clock, random: () => 0.5, user: 'a' });
  b = new DialogLayer({ stack: stackB, clock, random: () => 0.5, user: 'b' });
});

/** Lets every message in flight arrive (each delivery is a later turn; an exchange takes a few). */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

async function advance(ms: number): Promise<void> {
  await flush();
  sim.increment(ms);
  await flush();
}

/** A calls B, B rings and answers; both dialogs confirmed. */
async function connect(): Promise<{ da: Dialog; db: Dialog }> {
  let answered: Promise<Dialog> | undefined;
  b.onInvite((call) => {
    call.progress(180);
    answered = call.answer(SDP_B);
  });
  const outcome = await a.invite({ uri: 'sip:b@10.0.0.2:5060', sdp: SDP_A }).outcome;
  if (outcome.kind !== 'answered') throw new Error(outcome.kind);
  return { da: outcome.dialog, db: await answered! };
}

test('a basic call: INVITE, 100, 180, 200, ACK; dialogs mirror each other; BYE with Reason', async () => {
  const provisional: number[] = [];
  let answered: Promise<Dialog> | undefined;
  b.onInvite((call) => {
    expect(call.offer).toBe(SDP_A);
    call.progress(180);
    answered = call.answer(SDP_B);
  });
  const outcome = await a.invite({ uri: 'sip:b@10.0.0.2:5060', sdp: SDP_A, onProvisional: (s) => provisional.push(s) })
    .outcome;
  if (outcome.kind !== 'answered') throw new Error(outcome.kind);
  const da = outcome.dialog;
  const db = await answered!;
  expect(provisional).toEqual([180]);
  expect(net.lines()).toEqual(['A→B INVITE', 'B→A 100 INVITE', 'B→A 180 INVITE', 'B→A 200 INVITE', 'A→B ACK']);
  expect([da.callId, da.localTag, da.remoteTag]).toEqual([db.callId, db.remoteTag, db.localTag]);
  expect(da.remoteSdp).toBe(SDP_B);
  expect(db.remoteSdp).toBe(SDP_A);
  expect(da.remoteTarget).toBe('sip:b@10.0.0.2:5060');
  expect(db.remoteTarget).toBe('sip:a@10.0.0.1:5060');
  expect([a.dialogCount, b.dialogCount, b.pendingInvites]).toEqual([1, 1, 0]);

  const byes: unknown[] = [];
  db.on('bye', (r) => byes.push(r));
  expect(await da.bye({ cause: 16, text: 'Normal call clearing' })).toBe(200);
  expect(byes).toEqual([{ cause: 16, text: 'Normal call clearing' }]);
  const bye = net.wire.find((w) => w.what === 'BYE')!.message as SipRequest;
  expect(bye.headers.reason).toBe('Q.850;cause=16;text="Normal call clearing"');
  expect(bye.headers.cseq).toEqual({ seq: 2, method: 'BYE' });
  expect(net.lines().slice(5)).toEqual(['A→B BYE', 'B→A 200 BYE']);
  expect([a.dialogCount, b.dialogCount, da.state, db.state]).toEqual([0, 0, 'terminated', 'terminated']);
  expect(await da.bye()).toBe(0); // already ended: nothing sent
  expect(net.wire).toHaveLength(7);
});

test('the callee hangs up: BYE from B with its cause reaches A', async () => {
  const { da, db } = await connect();
  const byes: unknown[] = [];
  da.on('bye', (r) => byes.push(r));
  expect(await db.bye({ cause: 17 })).toBe(200);
  expect(byes).toEqual([{ cause: 17 }]);
  expect((net.wire.find((w) => w.what === 'BYE')!.message as SipRequest).headers.reason).toBe('Q.850;cause=17');
  expect([a.dialogCount, b.dialogCount]).toEqual([0, 0]);
});

test('our 200 is retransmitted at T1, 2T1, 4T1 … until the ACK; then never again', async () => {
  net.drop = (m) => 'method' in m && m.method === 'ACK' && clock.now() < 3500;
  let confirmed = false;
  b.onInvite((call) => void call.answer(SDP_B).then(() => (confirmed = true)));
  const outcome = await a.invite({ uri: 'sip:b@10.0.0.2:5060', sdp: SDP_A }).outcome;
  expect(outcome.kind).toBe('answered');
  for (let t = 0; t < 40_000; t += 100) await advance(100);
  expect(confirmed).toBe(true);
  // A ACKs every copy of the 200 it receives; the ACKs before 3.5 s are lost.
  expect(net.lines(true).filter((l) => !l.includes('100 INVITE'))).toEqual([
    '0 A→B INVITE',
    '0 B→A 200 INVITE',
    '0 A→B ACK (lost)',
    '500 B→A 200 INVITE',
    '500 A→B ACK (lost)',
    '1500 B→A 200 INVITE',
    '1500 A→B ACK (lost)',
    '3500 B→A 200 INVITE',
    '3500 A→B ACK',
  ]);
  expect(clock.pendingTimers).toBe(0);
});

test('no ACK within 64*T1: the 200 is sent 11 times (T2 caps the interval), then BYE with cause 41', async () => {
  net.drop = (m) => 'method' in m && m.method === 'ACK';
  let failure: unknown;
  b.onInvite((call) => void call.answer(SDP_B).catch((e: Error) => (failure = e.message)));
  const outcome = await a.invite({ uri: 'sip:b@10.0.0.2:5060', sdp: SDP_A }).outcome;
  if (outcome.kind !== 'answered') throw new Error(outcome.kind);
  const byes: unknown[] = [];
  outcome.dialog.on('bye', (r) => byes.push(r));
  for (let t = 0; t < 40_000; t += 100) await advance(100);
  const sent = net.wire.filter((w) => w.what === '200 INVITE').map((w) => w.at);
  expect(sent).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  expect(failure).toBe('no ACK for 200 after 64*T1');
  expect(net.lines(true).slice(-2)).toEqual(['32000 B→A BYE', '32000 A→B 200 BYE']);
  expect(byes).toEqual([{ cause: 41, text: 'no ACK' }]);
  expect([a.dialogCount, b.dialogCount, clock.pendingTimers]).toEqual([0, 0, 0]);
});

test('a retransmitted 200 is ACKed again and the call is answered once', async () => {
  net.drop = (m) => 'method' in m && m.method === 'ACK' && clock.now() === 0;
  b.onInvite((call) => void call.answer(SDP_B));
  const outcomes: string[] = [];
  const call = a.invite({ uri: 'sip:b@10.0.0.2:5060', sdp: SDP_A });
  void call.outcome.then((o) => outcomes.push(o.kind));
  await advance(500);
  await advance(2000);
  expect(outcomes).toEqual(['answered']);
  expect(net.lines(true).filter((l) => /200 INVITE|ACK/.test(l))).toEqual([
    '0 B→A 200 INVITE',
    '0 A→B ACK (lost)',
    '500 B→A 200 INVITE',
    '500 A→B ACK',
  ]);
  const acks = net.wire.filter((w) => w.what === 'ACK').map((w) => (w.message as SipRequest).headers.cseq);
  expect(acks).toEqual([
    { seq: 1, method: 'ACK' },
    { seq: 1, method: 'ACK' },
  ]);
  // The very same ACK (RFC 3261 13.2.2.4): a peer takes it for a retransmission, not a new request.
  expect(new Set(net.wire.filter((w) => w.what === 'ACK').map((w) => topBranch(w.message))).size).toBe(1);
});

const topBranch = (m: SipRequest | SipResponse) => m.headers.via?.[0]?.params.branch;

test('a retransmitted 200 to our re-INVITE gets the very same ACK again (same Via branch)', async () => {
  const { da } = await connect();
  net.drop = (m) => 'method' in m && m.method === 'ACK' && clock.now() === 0;
  const result = da.reinvite(HOLD_A);
  await advance(500);
  expect((await result).status).toBe(200);
  const wire = net.wire.slice(5);
  expect(wire.map((w) => `${w.at} ${w.from}→${w.to} ${w.what}${w.lost ? ' (lost)' : ''}`)).toEqual([
    '0 A→B INVITE',
    '0 B→A 200 INVITE',
    '0 A→B ACK (lost)',
    '500 B→A 200 INVITE',
    '500 A→B ACK',
  ]);
  const acks = wire.filter((w) => w.what === 'ACK').map((w) => w.message as SipRequest);
  expect(acks.map((m) => m.headers.cseq)).toEqual([
    { seq: 2, method: 'ACK' },
    { seq: 2, method: 'ACK' },
  ]);
  expect(topBranch(acks[1])).toBe(topBranch(acks[0]));
  expect(topBranch(acks[0])).not.toBe(topBranch(wire[0].message)); // its own branch, not the INVITE's
});

test('a BYE while our re-INVITE is pending waits for its final response: INVITE, 200, ACK, then BYE', async () => {
  const { da, db } = await connect();
  const byes: unknown[] = [];
  db.on('bye', (r) => byes.push(r));
  const reinvited = da.reinvite(SDP_A);
  const bye = da.bye({ cause: 16 });
  expect(da.state).toBe('terminated'); // ended at once: nothing more is accepted in it
  expect(await reinvited).toEqual({ status: 200, sdp: SDP_B });
  expect(await bye).toBe(200);
  expect(net.lines().slice(5)).toEqual(['A→B INVITE', 'B→A 200 INVITE', 'A→B ACK', 'A→B BYE', 'B→A 200 BYE']);
  expect(byes).toEqual([{ cause: 16 }]);
  await advance(40_000);
  expect(net.wire).toHaveLength(10); // B got its ACK: no retransmission of its 200
  expect([a.dialogCount, b.dialogCount, clock.pendingTimers]).toEqual([0, 0, 0]);
});

test('a BYE while our re-INVITE waits to retry after a 491 goes at once; the retry is not sent', async () => {
  const { da, db } = await connect();
  void db.reinvite(SDP_B.replace('a=sendrecv', 'a=sendonly')); // glare: each gets 491
  const reinvited = da.reinvite(HOLD_A);
  await flush();
  expect(await da.bye()).toBe(200);
  for (let t = 0; t < 5000; t += 500) await advance(500);
  expect(await reinvited).toEqual({ status: 481 });
  expect(
    net
      .lines()
      .slice(5)
      .filter((l) => !l.includes('491')),
  ).toEqual(['B→A INVITE', 'A→B INVITE', 'A→B BYE', 'B→A 200 BYE']);
});

test('the caller CANCELs before the answer: 200 for the CANCEL, 487 for the INVITE, with its Reason', async () => {
  const cancels: unknown[] = [];
  let inbound: InboundCall | undefined;
  b.onInvite((call) => {
    inbound = call;
    call.progress(180);
    call.onCancel = (r) => cancels.push(r);
  });
  const call = a.invite({ uri: 'sip:b@10.0.0.2:5060', sdp: SDP_A, onProvisional: () => call.cancel({ cause: 16 }) });
  expect(await call.outcome).toEqual({ kind: 'cancelled', crossed: false });
  await flush();
  expect(net.lines()).toEqual([
    'A→B INVITE',
    'B→A 100 INVITE',
    'B→A 180 INVITE',
    'A→B CANCEL',
    'B→A 200 CANCEL',
    'B→A 487 INVITE',
  ]);
  expect(cancels).toEqual([{ cause: 16 }]);
  // The CANCEL's 200 carries the To tag of our responses to the INVITE (RFC 3261 9.2).
  const tags = net.wire.filter((w) => w.from === 'B').map((w) => w.message.headers.to?.params.tag);
  expect(tags).toEqual([undefined, inbound!.localTag, inbound!.localTag, inbound!.localTag]);
  expect(b.pendingInvites).toBe(0);
  expect(() => inbound!.progress(180)).toThrow('final response already sent');
  await expect(inbound!.answer(SDP_B)).rejects.toThrow('final response already sent');
});

test('cancel() before any provisional response waits for the 100 (RFC 3261 9.1)', async () => {
  b.onInvite(() => {});
  const call = a.invite({ uri: 'sip:b@10.0.0.2:5060' });
  call.cancel();
  call.cancel(); // once
  expect(await call.outcome).toEqual({ kind: 'cancelled', crossed: false });
  expect(net.lines()).toEqual(['A→B INVITE', 'B→A 100 INVITE', 'A→B CANCEL', 'B→A 200 CANCEL', 'B→A 487 INVITE']);
  expect((net.wire[2].message as SipRequest).headers.reason).toBeUndefined();
});

test('CANCEL/200 race: the 200 that crossed our CANCEL is ACKed and BYEd, reported once as crossed', async () => {
  let inbound: InboundCall | undefined;
  b.onInvite((call) => {
    inbound = call;
    call.progress(180);
  });
  const outcomes: UacOutcome[] = [];
  let answered: Promise<Dialog> | undefined;
  const byes: unknown[] = [];
  const call = a.invite({
    uri: 'sip:b@10.0.0.2:5060',
    sdp: SDP_A,
    onProvisional: () => {
      // B's 200 and A's CANCEL are in flight at once.
      answered = inbound!.answer(SDP_B).then((d) => d.on('bye', (r) => byes.push(r)));
      call.cancel();
    },
  });
  void call.outcome.then((o) => outcomes.push(o));
  await advance(0);
  await answered;
  await advance(32_000);
  expect(outcomes).toEqual([{ kind: 'cancelled', crossed: true }]);
  // B's INVITE transaction is answered but kept 64*T1: the CANCEL gets 200 and changes nothing (RFC 3261 9.2).
  expect(net.lines()).toEqual([
    'A→B INVITE',
    'B→A 100 INVITE',
    'B→A 180 INVITE',
    'B→A 200 INVITE',
    'A→B CANCEL',
    'A→B ACK',
    'A→B BYE',
    'B→A 200 CANCEL',
    'B→A 200 BYE',
  ]);
  expect(byes).toEqual([{ cause: 16, text: 'cancelled' }]);
  expect([a.dialogCount, b.dialogCount, clock.pendingTimers]).toEqual([0, 0, 0]);
});

test('re-INVITE from A (hold): B answers through onReinvite, emits modified; CSeq and SDPs move on', async () => {
  const { da, db } = await connect();
  const offers: (string | undefined)[] = [];
  db.onReinvite = (offer) => {
    offers.push(offer);
    return SDP_B.replace('a=sendrecv', 'a=recvonly');
  };
  const modified: unknown[] = [];
  db.on('modified', (sdp) => modified.push(sdp));
  const r = await da.reinvite(HOLD_A);
  expect(r).toEqual({ status: 200, sdp: SDP_B.replace('a=sendrecv', 'a=recvonly') });
  await flush();
  expect(offers).toEqual([HOLD_A]);
  expect(modified).toEqual([HOLD_A]);
  expect(net.lines().slice(5)).toEqual(['A→B INVITE', 'B→A 200 INVITE', 'A→B ACK']);
  const [inv, , ack] = net.wire.slice(5).map((w) => w.message as SipRequest);
  expect([inv.headers.cseq, ack.headers.cseq]).toEqual([
    { seq: 2, method: 'INVITE' },
    { seq: 2, method: 'ACK' },
  ]);
  expect([da.localSdp, db.remoteSdp]).toEqual([HOLD_A, HOLD_A]);
  await advance(40_000);
  expect(net.wire).toHaveLength(8); // the ACK stopped B's retransmissions
});

test('re-INVITE from B: by default A answers with its SDP in the direction the offer asks (RFC 3264)', async () => {
  const { da, db } = await connect();
  const r = await db.reinvite(SDP_B.replace('a=sendrecv', 'a=sendonly'));
  expect(r).toEqual({ status: 200, sdp: SDP_A.replace('a=sendrecv', 'a=recvonly') });
  expect(net.lines().slice(5)).toEqual(['B→A INVITE', 'A→B 200 INVITE', 'B→A ACK']);
  expect(da.remoteSdp).toContain('a=sendonly');
  expect(await db.reinvite(SDP_B)).toEqual({ status: 200, sdp: SDP_A });
  // An offer that does not parse:
  expect(await db.reinvite('v=0\r\nbogus\r\n')).toEqual({ status: 488, reason: 'Not Acceptable Here' });
  expect(da.state).toBe('confirmed');
});

test('491 glare: both re-INVITE at once; B (not the Call-ID owner) retries after 1 s, A after 3.05 s', async () => {
  const { da, db } = await connect();
  const results: string[] = [];
  void da.reinvite(HOLD_A).then((r) => results.push(`A ${r.status} ${clock.now()}`));
  void db.reinvite(SDP_B).then((r) => results.push(`B ${r.status} ${clock.now()}`));
  await expect(da.reinvite(SDP_A)).rejects.toThrow('a re-INVITE is already in progress');
  for (let t = 0; t < 5000; t += 50) await advance(50);
  // The delays are RFC 3261 14.1's with random() = 0.5: 0-2 s for B, 2.1-4 s for A.
  expect(net.lines(true).slice(5)).toEqual([
    '0 A→B INVITE',
    '0 B→A INVITE',
    '0 B→A 491 INVITE',
    '0 A→B 491 INVITE',
    '1000 B→A INVITE',
    '1000 A→B 200 INVITE',
    '1000 B→A ACK',
    '3050 A→B INVITE',
    '3050 B→A 200 INVITE',
    '3050 A→B ACK',
  ]);
  expect(results).toEqual(['B 200 1000', 'A 200 3050']);
  expect(da.localSdp).toBe(HOLD_A);
  await advance(40_000);
  expect(clock.pendingTimers).toBe(0);
});

test('a dialog that ends while its re-INVITE waits to retry after a 491: 481 at once, no timer left', async () => {
  const { da, db } = await connect();
  const outcome: unknown[] = [];
  void da.reinvite(HOLD_A).then((r) => outcome.push(r));
  void db.reinvite(SDP_B);
  await advance(0); // both re-INVITEs crossed: 491 to each, both waiting to retry
  expect(net.lines().slice(5, 9)).toEqual(['A→B INVITE', 'B→A INVITE', 'B→A 491 INVITE', 'A→B 491 INVITE']);
  const pending = clock.pendingTimers;
  da.end();
  await flush();
  expect(outcome).toEqual([{ status: 481 }]);
  expect(clock.pendingTimers).toBe(pending - 1); // the retry timer is gone
});

test('a re-INVITE answered 488 leaves the dialog up; 481 ends it', async () => {
  const { da, db } = await connect();
  db.onReinvite = () => {
    throw new Error('no codec');
  };
  expect(await da.reinvite(HOLD_A)).toEqual({ status: 488, reason: 'Not Acceptable Here' });
  expect(da.state).toBe('confirmed');
  const ended: unknown[] = [];
  da.on('bye', (r) => ended.push(r));
  db.end(); // B forgets the dialog without a BYE
  expect(await da.reinvite(HOLD_A)).toEqual({ status: 481, reason: 'Call/Transaction Does Not Exist' });
  expect([da.state, ended]).toEqual(['terminated', [undefined]]);
  await expect(da.reinvite(HOLD_A)).rejects.toThrow('dialog terminated');
});

test('a re-INVITE whose 200 is never ACKed: BYE with cause 41 after 64*T1', async () => {
  const { da, db } = await connect();
  net.drop = (m) => 'method' in m && m.method === 'ACK';
  const byes: unknown[] = [];
  db.on('bye', (r) => byes.push(`B ${JSON.stringify(r)}`));
  da.on('bye', (r) => byes.push(`A ${JSON.stringify(r)}`));
  void da.reinvite(HOLD_A);
  for (let t = 0; t < 33_000; t += 500) await advance(500);
  expect(byes).toEqual(['B undefined', 'A {"cause":41,"text":"no ACK"}']);
  expect([a.dialogCount, b.dialogCount]).toEqual([0, 0]);
});

test('in-dialog OPTIONS/INFO get 200, other methods 405, an old CSeq 500', async () => {
  const { da } = await connect();
  const statuses: string[] = [];
  const send = (rq: SipRequest) => stackA.sendRequest(rq, (rs) => statuses.push(`${rq.method} ${rs.status}`));
  send(da.request('INFO'));
  await flush();
  send(da.request('MESSAGE'));
  await flush();
  send(da.request('OPTIONS', { seq: 1 }));
  await flush();
  expect(statuses).toEqual(['INFO 200', 'MESSAGE 405', 'OPTIONS 500']);
});

test('requests in no dialog: 481 for BYE, CANCEL and a To-tagged request; 480 with no handler; 405 otherwise', async () => {
  const statuses: string[] = [];
  const rq = (method: string, toTag?: string): SipRequest => ({
    method,
    uri: 'sip:b@10.0.0.2:5060',
    content: '',
    headers: {
      to: { uri: 'sip:b@10.0.0.2', params: toTag ? { tag: toTag } : {} },
      from: { uri: 'sip:a@10.0.0.1', params: { tag: 'x' } },
      'call-id': 'nodialog',
      cseq: { seq: 1, method },
      contact: [{ uri: 'sip:a@10.0.0.1:5060', params: {} }],
    },
  });
  for (const [method, tag] of [
    ['BYE', 'gone'],
    ['BYE'],
    ['INFO', 'gone'],
    ['CANCEL'],
    ['INVITE'],
    ['OPTIONS'],
    ['MESSAGE'],
  ] as [string, string?][]) {
    stackA.sendRequest(rq(method, tag), (rs) => statuses.push(`${method} ${rs.status}`));
    await flush();
  }
  stackA.sendRequest(rq('ACK', 'gone')); // an ACK in no dialog is absorbed
  await flush();
  expect(statuses).toEqual([
    'BYE 481',
    'BYE 481',
    'INFO 481',
    'CANCEL 481',
    'INVITE 480',
    'OPTIONS 200',
    'MESSAGE 405',
  ]);
  expect(net.wire.filter((w) => w.from === 'B')).toHaveLength(7);
});

test('reject() sends one final response and checks its status', async () => {
  let inbound: InboundCall | undefined;
  b.onInvite((call) => {
    inbound = call;
  });
  const call = a.invite({ uri: 'sip:b@10.0.0.2:5060' });
  await flush();
  expect(() => inbound!.reject(200)).toThrow('not a rejection status: 200');
  inbound!.reject(486, 'Busy Here', { 'retry-after': '60' });
  expect(() => inbound!.reject(486)).toThrow('final response already sent');
  const outcome = await call.outcome;
  expect(outcome).toMatchObject({ kind: 'failed', status: 486, reason: 'Busy Here' });
  expect(net.lines()).toEqual(['A→B INVITE', 'B→A 100 INVITE', 'B→A 486 INVITE']);
  expect(b.pendingInvites).toBe(0);
  call.cancel(); // after the outcome: nothing sent
  await flush();
  expect(net.wire).toHaveLength(3);
});

test('183 with SDP reaches onProvisional as early media', async () => {
  b.onInvite((call) => {
    call.progress(183, SDP_B);
    call.reject(480, 'Temporarily Unavailable');
  });
  const early: unknown[] = [];
  const outcome = await a.invite({ uri: 'sip:b@10.0.0.2:5060', onProvisional: (s, sdp) => early.push([s, sdp]) })
    .outcome;
  expect(early).toEqual([[183, SDP_B]]);
  expect(outcome).toMatchObject({ kind: 'failed', status: 480 });
});

test('Record-Route becomes the route set (reversed at the UAC) and Route on in-dialog requests', async () => {
  const rr = [
    { uri: 'sip:p1.example;lr', params: {} },
    { uri: 'sip:p2.example;lr', params: {} },
  ];
  const relay = stackB.sendResponse.bind(stackB);
  stackB.sendResponse = (rs) =>
    relay(
      rs.status === 200 && rs.headers.cseq?.method === 'INVITE'
        ? { ...rs, headers: { ...rs.headers, 'record-route': rr } }
        : rs,
    );
  const { da } = await connect();
  expect(da.routeSet.map((r) => r.uri)).toEqual(['sip:p2.example;lr', 'sip:p1.example;lr']);
  expect(da.request('BYE').headers.route?.map((r) => r.uri)).toEqual(['sip:p2.example;lr', 'sip:p1.example;lr']);
});

test('close() forgets every dialog and pending INVITE without sending anything', async () => {
  await connect();
  const n = net.wire.length;
  await a.close();
  await b.close();
  expect([a.dialogCount, b.dialogCount, net.wire.length]).toEqual([0, 0, n]);
});

test('Reason headers: parsed with and without text, formatted with quotes escaped', () => {
  expect(parseReason('Q.850;cause=16;text="Normal call clearing"')).toEqual({
    cause: 16,
    text: 'Normal call clearing',
  });
  expect(parseReason('Q.850 ; cause = 41')).toEqual({ cause: 41 });
  expect(parseReason('SIP;cause=200')).toBeUndefined();
  expect(parseReason(undefined)).toBeUndefined();
  expect(formatReason({ cause: 21, text: 'say "no"' })).toBe('Q.850;cause=21;text="say \'no\'"');
  expect(makeResponse({ method: 'BYE', uri: 'sip:x', headers: {} }, 200, 'OK').content).toBe('');
});
