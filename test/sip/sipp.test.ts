// The dialog layer against real SIPp peers (test/sip/scenarios), over UDP and TCP; SIPp's verdict is asserted.
import { DialogLayer, type InboundCall } from '../../src/sip/dialog';
import { buildSdp, offerSdp, parseSdp, answerSdp } from '../../src/sip/sdp';
import { SipJsStack } from '../../src/sip/sipJsStack';
import { startSipp } from '../support/sipp';

const OUR_SDP = buildSdp(offerSdp({ address: '127.0.0.1', port: 20000 }));
let stack: SipJsStack;
let layer: DialogLayer;
let sent200s = 0;

async function open(t1 = 500): Promise<void> {
  stack = new SipJsStack({ host: '127.0.0.1' });
  await stack.listening;
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
});

const answerWith = (call: InboundCall) => buildSdp(answerSdp(parseSdp(call.offer!), { address: '127.0.0.1', port: 20002 }));

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
    const call = layer.invite({ uri: `sip:service@127.0.0.2:${sipp.port}${transport === 'tcp' ? ';transport=tcp' : ''}`,
      sdp: OUR_SDP, onProvisional: (s) => provisional.push(s) });
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

test('a call under SIPp -lost 10 (UDP) completes', async () => {
  await open();
  const sipp = await startSipp('uas-basic.xml', { extra: ['-lost', '10'] });
  const outcome = await layer.invite({ uri: uriOf(sipp.port, 'udp'), sdp: OUR_SDP }).outcome;
  if (outcome.kind !== 'answered') throw new Error(outcome.kind);
  await outcome.dialog.bye({ cause: 16 });
  expect(await sipp.done).toMatchObject({ code: 0, successful: 1 });
});
