// The dialog layer against real SIPp peers (test/sip/scenarios), over UDP and TCP; SIPp's verdict is asserted.
import { DialogLayer, type InboundCall } from '../../src/sip/dialog';
import type { SipRequest } from '../../src/sip/message';
import { answerSdp, buildSdp, offerSdp, parseSdp, withDirection } from '../../src/sip/sdp';
import { SipJsStack } from '../../src/sip/sipJsStack';
import { startSipp } from '../support/sipp';

const OUR_SDP = buildSdp(offerSdp({ address: '127.0.0.1', port: 20000 }));
let stack: SipJsStack;
let layer: DialogLayer;
let sent200s = 0;
let errors: unknown[] = [];
let consoleLog: jest.SpyInstance;

beforeEach(() => {
  errors = [];
  consoleLog = jest.spyOn(console, 'log');
});

/** Our stack and layer; `beforeRequest` sees each incoming request before the layer does. */
async function open(t1 = 500, beforeRequest?: (rq: SipRequest) => void): Promise<void> {
  stack = new SipJsStack({ host: '127.0.0.1', onError: (e) => errors.push(e) });
  await stack.listening;
  if (beforeRequest) {
    const register = stack.onRequest.bind(stack);
    stack.onRequest = (handler) =>
      register((rq, remote) => {
        beforeRequest(rq);
        handler(rq, remote);
      });
  }
  const send = stack.sendResponse.bind(stack);
  sent200s = 0;
  stack.sendResponse = (rs) => {
    if (rs.status === 200 && rs.headers.cseq?.method === 'INVITE') sent200s++;
    send(rs);
  };
  layer = new DialogLayer({ stack, t1 });
}

afterEach(async () => {
  await layer.close();
  // `sip` used to print "remote peer disconnected" for every TCP close; it goes to the stack's logger now.
  expect(consoleLog).not.toHaveBeenCalled();
  consoleLog.mockRestore();
});

const answerWith = (call: InboundCall) =>
  buildSdp(answerSdp(parseSdp(call.offer!), { address: '127.0.0.1', port: 20002 }));

describe.each(['udp', 'tcp'] as const)('SIPp over %s', (transport) => {
  const target = () => `127.0.0.1:${stack.port}`;

  test('SIPp calls, we ring and answer, SIPp hangs up with a Q.850 Reason', async () => {
    await open();
    const byes: unknown[] = [];
    layer.onInvite((call) => {
      call.progress(180);
      void call.answer(answerWith(call)).then((d) => d.on('bye', (r) => byes.push(r)));
    });
    const r = await (await startSipp('uac-basic.xml', { target: target(), transport })).done;
    expect(r).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(byes).toEqual([{ cause: 16 }]);
    expect(layer.dialogCount).toBe(0);
  });

  test('SIPp calls, we answer and hang up; the scenario checks our Reason header', async () => {
    await open();
    layer.onInvite((call) => {
      void call.answer(answerWith(call)).then((d) => d.bye({ cause: 16, text: 'Normal call clearing' }));
    });
    const r = await (await startSipp('uac-bye-from-sut.xml', { target: target(), transport })).done;
    expect(r).toMatchObject({ code: 0, successful: 1 });
  });

  test('SIPp CANCELs before answer: 200 for the CANCEL, 487 for the INVITE', async () => {
    await open();
    const cancelled: string[] = [];
    layer.onInvite((call) => {
      call.progress(180);
      call.onCancel = () => cancelled.push(call.callId);
    });
    const r = await (await startSipp('uac-cancel.xml', { target: target(), transport })).done;
    expect(r).toMatchObject({ code: 0, successful: 1 });
    expect(cancelled).toHaveLength(1);
    expect(layer.pendingInvites).toBe(0);
  });

  test('we call SIPp: 180, 200 with SDP, our ACK, our BYE', async () => {
    await open();
    const sipp = await startSipp('uas-basic.xml', { transport });
    const provisional: number[] = [];
    const call = layer.invite({
      uri: `sip:service@127.0.0.2:${sipp.port}${transport === 'tcp' ? ';transport=tcp' : ''}`,
      sdp: OUR_SDP,
      onProvisional: (s) => provisional.push(s),
    });
    const outcome = await call.outcome;
    expect(outcome.kind).toBe('answered');
    if (outcome.kind !== 'answered') return;
    expect(provisional).toEqual([180]);
    expect(parseSdp(outcome.dialog.remoteSdp!).payloads).toEqual([0]);
    expect(await outcome.dialog.bye({ cause: 16 })).toBe(200);
    expect(await sipp.done).toMatchObject({ code: 0, successful: 1 });
  });

  test('SIPp UAS busy: 486 reported as the outcome, ACKed by the stack', async () => {
    await open();
    const sipp = await startSipp('uas-busy.xml', { transport });
    const outcome = await layer.invite({ uri: uriOf(sipp.port, transport), sdp: OUR_SDP }).outcome;
    expect(outcome).toMatchObject({ kind: 'failed', status: 486 });
    expect(await sipp.done).toMatchObject({ code: 0, successful: 1 });
  });

  test('we CANCEL after 180: SIPp answers 200 + 487; reported as cancelled once', async () => {
    await open();
    const sipp = await startSipp('uas-cancel.xml', { transport });
    const call = layer.invite({ uri: uriOf(sipp.port, transport), sdp: OUR_SDP, onProvisional: () => call.cancel() });
    expect(await call.outcome).toEqual({ kind: 'cancelled', crossed: false });
    expect(await sipp.done).toMatchObject({ code: 0, successful: 1 });
  });

  test('SIPp holds us (re-INVITE a=sendonly): by default we answer a=recvonly; then SIPp hangs up', async () => {
    await open();
    const modified: string[] = [];
    const byes: unknown[] = [];
    layer.onInvite((call) => {
      call.progress(180);
      void call
        .answer(answerWith(call))
        .then((d) => d.on('modified', (sdp) => modified.push(parseSdp(sdp!).direction)).on('bye', (r) => byes.push(r)));
    });
    const r = await (await startSipp('uac-hold.xml', { target: target(), transport })).done;
    expect(r).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(modified).toEqual(['sendonly']);
    expect(byes).toEqual([{ cause: 16 }]);
  });

  test('we hold SIPp (re-INVITE a=sendonly), SIPp answers a=recvonly; our BYE', async () => {
    await open();
    const sipp = await startSipp('uas-hold.xml', { transport });
    const outcome = await layer.invite({ uri: uriOf(sipp.port, transport), sdp: OUR_SDP }).outcome;
    if (outcome.kind !== 'answered') throw new Error(outcome.kind);
    const held = await outcome.dialog.reinvite(withDirection(OUR_SDP, 'sendonly'));
    expect(held.status).toBe(200);
    expect(parseSdp(held.sdp!).direction).toBe('recvonly');
    expect(await outcome.dialog.bye({ cause: 16 })).toBe(200);
    expect(await sipp.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
  });

  test.each(['uas-cancel-race.xml', 'uas-cancel-race-481.xml'])(
    "CANCEL/200 race (%s): we CANCEL on 180, SIPp's 200 crosses it; we ACK and BYE it, one outcome",
    async (sc) => {
      await open();
      const sipp = await startSipp(sc, { transport });
      const outcomes: unknown[] = [];
      const call = layer.invite({
        uri: uriOf(sipp.port, transport),
        sdp: OUR_SDP,
        onProvisional: (s) => s === 180 && call.cancel(),
      });
      void call.outcome.then((o) => outcomes.push(o));
      expect(await sipp.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
      expect(outcomes).toEqual([{ kind: 'cancelled', crossed: true }]);
      expect(layer.dialogCount).toBe(0);
    },
  );

  test('CANCEL/200 race, SIPp calling: its CANCEL crosses our 200; the CANCEL gets 200, the call goes on', async () => {
    let pending: InboundCall | undefined;
    const events: unknown[] = [];
    // We answer as the CANCEL arrives, before the layer sees it: our 200 has left when the CANCEL is handled.
    await open(500, (rq) => {
      if (rq.method !== 'CANCEL' || !pending) return;
      void pending.answer(answerWith(pending)).then((d) => d.on('bye', (r) => events.push(r)));
    });
    layer.onInvite((call) => {
      call.onCancel = () => events.push('cancel');
      pending = call;
    });
    const r = await (await startSipp('uac-cancel-race.xml', { target: target(), transport })).done;
    expect(r).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(events).toEqual([{ cause: 16 }]);
    expect([layer.dialogCount, layer.pendingInvites]).toEqual([0, 0]);
  });

  test('a BYE in no known dialog gets 481', async () => {
    await open();
    const r = await (await startSipp('uac-481.xml', { target: target(), transport })).done;
    expect(r).toMatchObject({ code: 0, successful: 1 });
  });
});

function uriOf(port: number, transport: 'udp' | 'tcp'): string {
  return `sip:service@127.0.0.2:${port}${transport === 'tcp' ? ';transport=tcp' : ''}`;
}

test('our 200 is retransmitted (T1 doubling) until SIPp sends its withheld ACK', async () => {
  await open(100);
  let confirmed = false;
  layer.onInvite((call) => {
    call.progress(180);
    void call.answer(answerWith(call)).then(() => (confirmed = true));
  });
  const r = await (await startSipp('uac-late-ack.xml', { target: `127.0.0.1:${stack.port}` })).done;
  expect(r).toMatchObject({ code: 0, successful: 1 });
  expect(confirmed).toBe(true);
  // Sent at 0, then 100, 300, 700 ms: the ACK comes after the 700 ms pause.
  expect(sent200s).toBeGreaterThanOrEqual(3);
});

test('five calls under SIPp -lost 10 (UDP): retransmissions on both sides absorb the loss', async () => {
  await open();
  // SIPp drops 10% of what it sends and receives; it retransmits its 200 until our ACK, we retransmit INVITE/BYE.
  const sipp = await startSipp('uas-lossy.xml', { extra: ['-lost', '10'], calls: 5, timeoutSeconds: 50 });
  for (let i = 0; i < 5; i++) {
    const outcome = await layer.invite({ uri: uriOf(sipp.port, 'udp'), sdp: OUR_SDP }).outcome;
    if (outcome.kind !== 'answered') throw new Error(`call ${i}: ${outcome.kind}`);
    expect(await outcome.dialog.bye({ cause: 16 })).toBe(200);
  }
  expect(await sipp.done).toMatchObject({ code: 0, successful: 5, failed: 0 });
  expect(layer.dialogCount).toBe(0);
}, 60_000);
