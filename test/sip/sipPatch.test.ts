// The two upstream defects of `sip` 0.0.6 fixed by patches/sip+0.0.6.patch, each against a raw UDP peer:
// kirm/sip.js#150 (a request to the stack's own host answered 404 locally) and #155/#156 (an INVITE client
// transaction CANCELled without a final response never ends). Both tests fail on the unpatched package.
import * as dgram from 'node:dgram';
import * as sip from 'sip';
import { DialogLayer, type UacOutcome } from '../../src/sip/dialog';
import type { SipResponse } from '../../src/sip/message';
import { SipJsStack } from '../../src/sip/sipJsStack';

/** A raw UDP peer on `host`: records the requests it receives, answers as `respond` says. */
async function rawPeer(host: string, respond: (rq: sip.SipJsMessage) => number | undefined) {
  const socket = dgram.createSocket('udp4');
  const received: string[] = [];
  socket.on('message', (data, rinfo) => {
    const rq = sip.parse(data.toString('binary'));
    if (!rq?.method) return;
    received.push(rq.method);
    const status = respond(rq);
    if (status === undefined) return;
    const h = rq.headers;
    const to =
      status > 100 ? { ...(h.to as object), params: { ...(h.to as { params: object }).params, tag: 'peer' } } : h.to;
    const rs = sip.stringify({
      status,
      reason: String(status),
      headers: {
        via: h.via,
        from: h.from,
        to,
        'call-id': h['call-id'],
        cseq: h.cseq,
        'content-length': 0,
      },
    });
    socket.send(Buffer.from(rs, 'binary'), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, host, () => r()));
  return { port: socket.address().port, received, close: () => new Promise<void>((r) => socket.close(() => r())) };
}

/** Waits (on real I/O turns, never on timers) until `cond` holds. */
async function until(cond: () => boolean, turns = 2000): Promise<void> {
  for (let i = 0; i < turns && !cond(); i++) await new Promise((r) => setImmediate(r));
  if (!cond()) throw new Error('condition not reached');
}

let stack: SipJsStack;
let peer: Awaited<ReturnType<typeof rawPeer>>;

afterEach(async () => {
  jest.useRealTimers();
  await stack.close();
  await peer.close();
});

test("#150: a request to a peer on the stack's own IP reaches it (unpatched: a local 404)", async () => {
  stack = new SipJsStack({ host: '127.0.0.1', tcp: false });
  await stack.listening;
  peer = await rawPeer('127.0.0.1', () => 200); // the stack's own host
  const responses: number[] = [];
  stack.sendRequest(
    {
      method: 'OPTIONS',
      uri: `sip:peer@127.0.0.1:${peer.port}`,
      headers: {
        to: { uri: `sip:peer@127.0.0.1:${peer.port}`, params: {} },
        from: { uri: 'sip:us@127.0.0.1', params: { tag: 'us' } },
        'call-id': 'own-host-150',
        cseq: { seq: 1, method: 'OPTIONS' },
        'max-forwards': 70,
      },
      content: '',
    },
    (rs: SipResponse) => responses.push(rs.status),
  );
  await until(() => responses.length > 0);
  expect(responses).toEqual([200]);
  expect(peer.received).toEqual(['OPTIONS']);
});

test.each(['before', 'after'])(
  '#155: an INVITE CANCELled (%s its 100) whose UAS never sends a final response ' + 'ends after 64*T1 with 408',
  async (when) => {
    // The stack's timers are fake (T1 = 500 ms is fixed in `sip`); the sockets are real.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    stack = new SipJsStack({ host: '127.0.0.1', tcp: false, port: 0 });
    await stack.listening;
    // The UAS sends 100 to the INVITE and 200 to the CANCEL, and never a final response to the INVITE.
    peer = await rawPeer('127.0.0.2', (rq) =>
      rq.method === 'INVITE' ? 100 : rq.method === 'CANCEL' ? 200 : undefined,
    );
    const layer = new DialogLayer({ stack });
    const responses: string[] = [];
    const send = stack.sendRequest.bind(stack);
    stack.sendRequest = (rq, onResponse) =>
      send(
        rq,
        onResponse &&
          ((rs) => {
            responses.push(`${rs.status} ${rs.headers.cseq?.method}`);
            onResponse(rs);
          }),
      );
    const call = layer.invite({ uri: `sip:uas@127.0.0.2:${peer.port}` });
    let outcome: UacOutcome | undefined;
    void call.outcome.then((o) => (outcome = o));
    // Before: the layer sends the CANCEL from inside the 100's callback (the transaction is still "calling").
    if (when === 'before') call.cancel();
    await until(() => responses.length > 0);
    call.cancel();
    await until(() => responses.includes('200 CANCEL'));
    jest.advanceTimersByTime(31_000);
    await until(() => true, 50);
    expect(outcome).toBeUndefined();
    jest.advanceTimersByTime(1_500);
    await until(() => outcome !== undefined, 200);
    expect(outcome).toEqual({ kind: 'cancelled', crossed: false });
    expect(responses).toEqual(['100 INVITE', '200 CANCEL', '408 INVITE']);
    jest.advanceTimersByTime(64_000); // the CANCEL's own transaction (Timer K) ends too
    expect(stack.transactionCount).toBe(0);
    expect(peer.received).toEqual(['INVITE', 'CANCEL']);
  },
);
