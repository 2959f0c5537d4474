// Bad and hostile input through the whole engine (createSipNetwork + createSwitchboard with an application that
// answers every call), from raw UDP and TCP sockets: malformed messages, requests in unknown dialogs, oversized
// messages, INVITE floods from one address, retransmissions, the RFC 4475 messages, random byte mutations. After
// each: no uncaught exception or unhandled rejection, one terminal callback per leg, sb.stats() back to zero.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  Cause,
  createSipNetwork,
  createSwitchboard,
  State,
  type BandwidthCallback,
  type Channel,
  type SipNetwork,
  type Switchboard,
} from '../../src';
import type { SipLimits } from '../../src/sip/limits';
import { inDialog, inviteText, optionsText, rawPeer, type RawMessage, type RawPeer } from '../support/rawSip';

type Transport = 'udp' | 'tcp';

interface Run {
  sb: Switchboard<SipNetwork>;
  network: SipNetwork;
  target: { host: string; port: number };
  callbacks: BandwidthCallback[];
  channels: Channel[];
  peers: RawPeer[];
}

const open: Run[] = [];
const problems: unknown[] = [];
const record = (e: unknown) => problems.push(e);

beforeAll(() => {
  process.on('unhandledRejection', record);
  process.on('uncaughtException', record);
});
afterAll(() => {
  process.off('unhandledRejection', record);
  process.off('uncaughtException', record);
});
afterEach(async () => {
  for (const r of open.splice(0)) {
    for (const p of r.peers) await p.close();
    await r.sb.close();
  }
});

/** A SIP network on a free port of 127.0.0.1 whose application rings and answers (or rejects) every call. */
async function start(transport: Transport, o: { limits?: SipLimits; reject?: boolean } = {}): Promise<Run> {
  const network = createSipNetwork({ listen: [`${transport}:127.0.0.1:0`], limits: o.limits });
  const [bound] = await network.listening;
  const sb = createSwitchboard({ network });
  const r: Run = {
    sb,
    network,
    target: { host: '127.0.0.1', port: bound.port },
    callbacks: [],
    channels: [],
    peers: [],
  };
  sb.on('callback', (c) => r.callbacks.push(c));
  sb.on('incomingCall', (a) => {
    r.channels.push(a);
    if (o.reject) return void a.reject({ cause: Cause.BUSY });
    void a.ring();
    void a.answer();
  });
  open.push(r);
  return r;
}

async function peer(r: Run, transport: Transport, address?: string): Promise<RawPeer> {
  const p = await rawPeer(transport, r.target, address);
  r.peers.push(p);
  return p;
}

const TERMINAL = new Set(['disconnect', 'transferDisconnect']);

/** Nothing crashed, every leg that was created ended with exactly one terminal callback, nothing is left. */
async function expectSettled(r: Run, legs: number): Promise<void> {
  for (const c of r.channels) await c.waitForIdle();
  const byLeg = new Map<string, string[]>();
  for (const c of r.callbacks) byLeg.set(c.callId, [...(byLeg.get(c.callId) ?? []), c.eventType]);
  expect(byLeg.size).toBe(legs);
  for (const events of byLeg.values()) expect(events.filter((e) => TERMINAL.has(e))).toHaveLength(1);
  expect(r.sb.stats()).toEqual({ legs: 0, agentCalls: 0, transfers: 0, timers: 0, terminalEvents: legs });
  expect(r.network.legCount).toBe(0);
  expect(r.network.dialogCount).toBe(0);
  expect(problems).toEqual([]);
}

const isFinal =
  (callId: string, method = 'INVITE') =>
  (m: RawMessage) =>
    m.callId === callId && m.cseqMethod === method && (m.status ?? 0) >= 200;

/** Everything sent before has been processed: an OPTIONS sent now is answered 200 (nothing else in between). */
async function probe(r: Run, p: RawPeer, callId: string): Promise<void> {
  p.send(optionsText(p, r.target, callId));
  expect((await p.next(isFinal(callId, 'OPTIONS'))).status).toBe(200);
}

/** A whole call from the peer: INVITE, the application's 200, ACK, then BYE answered 200. */
async function call(r: Run, p: RawPeer, callId: string): Promise<void> {
  p.send(inviteText(p, r.target, { callId }));
  const ok = await p.next(isFinal(callId));
  expect(ok.status).toBe(200);
  p.send(inDialog(p, ok, 'ACK', { cseq: 1 }));
  p.send(inDialog(p, ok, 'BYE', { cseq: 2 }));
  expect((await p.next(isFinal(callId, 'BYE'))).status).toBe(200);
}

const statusOf = (m: RawMessage) => m.status;

describe.each(['udp', 'tcp'] as const)('hostile input over %s', (transport) => {
  test('malformed requests get 400/505/416 with a Warning and create no leg; then a call works', async () => {
    const r = await start(transport);
    const p = await peer(r, transport);
    const good = (callId: string) => inviteText(p, r.target, { callId });
    const cases: [string, string, number][] = [
      ['bad-cseq', good('bad-cseq').replace('CSeq: 1 INVITE', 'CSeq: one INVITE'), 400],
      ['bad-version', good('bad-version').replace(' SIP/2.0\r\n', ' SIP/3.0\r\n'), 505],
      ['bad-scheme', good('bad-scheme').replace('INVITE sip:', 'INVITE mailto:'), 416],
      ['no-contact', good('no-contact').replace(/Contact: [^\r]*\r\n/, ''), 400],
      ['no-from-tag', good('no-from-tag').replace(';tag=f-no-from-tag', ''), 400],
      ['cseq-method', good('cseq-method').replace('CSeq: 1 INVITE', 'CSeq: 1 BYE'), 400],
      ['two-call-ids', good('two-call-ids').replace('Call-ID: two-call-ids', 'Call-ID: two-call-ids\r\ni: x'), 400],
    ];
    for (const [callId, text, status] of cases) {
      p.send(text);
      const rs = await p.next((m) => m.raw.includes(`branch=z9hG4bK-${callId};`));
      expect([callId, rs.status]).toEqual([callId, status]);
      expect(rs.raw).toMatch(/\r\nWarning: 399 switchboard "[^"]+"\r\n/);
    }
    // No reply can be addressed without a Call-ID: dropped.
    p.send(good('no-call-id').replace(/Call-ID: [^\r]*\r\n/, ''));
    await probe(r, p, 'probe-1');
    await call(r, p, 'good-call');
    // Only the probe's and the good call's messages came back after the refusals: no 100 Trying for any of them.
    expect(p.received.filter((m) => m.status === 100).map((m) => m.callId)).toEqual(['good-call']);
    await expectSettled(r, 1);
  }, 20000);

  test('requests in no known dialog get 481 (BYE, re-INVITE, INFO, CANCEL); an ACK is dropped', async () => {
    const r = await start(transport);
    const p = await peer(r, transport);
    const fake = {
      raw: 'From: <sip:hostile@127.0.0.2>;tag=x\r\nTo: <sip:sut@127.0.0.1>;tag=nosuch\r\nCall-ID: ghost\r\n',
    };
    const contact = [{ uri: `sip:sut@127.0.0.1:${r.target.port}` }];
    const ghost: RawMessage = { ...fake, headers: { contact }, callId: 'ghost', cseqMethod: '' };
    for (const [method, cseq] of [
      ['BYE', 2],
      ['INVITE', 3],
      ['INFO', 4],
      ['ACK', 5],
    ] as const) {
      p.send(
        inDialog(p, ghost, method, { cseq }).replace(
          '\r\nContent-Length',
          method === 'INVITE' ? '\r\nContact: <sip:h@127.0.0.2>\r\nContent-Length' : '\r\nContent-Length',
        ),
      );
    }
    const cancel = inviteText(p, r.target, { callId: 'ghost-cancel' })
      .replace('INVITE sip:', 'CANCEL sip:')
      .replace('CSeq: 1 INVITE', 'CSeq: 1 CANCEL');
    p.send(cancel);
    await probe(r, p, 'probe-481');
    const replies = p.received.filter((m) => m.status !== undefined && m.cseqMethod !== 'OPTIONS');
    expect(replies.map((m) => [m.cseqMethod, m.status])).toEqual([
      ['BYE', 481],
      ['INVITE', 481],
      ['INFO', 481],
      ['CANCEL', 481],
    ]);
    // While a call is up, a BYE with its Call-ID but another tag is refused and the call goes on.
    p.send(inviteText(p, r.target, { callId: 'live' }));
    const ok = await p.next(isFinal('live'));
    p.send(inDialog(p, ok, 'ACK', { cseq: 1 }));
    p.send(inDialog(p, ok, 'BYE', { cseq: 2 }).replace(/(\r\nTo:[^\r]*;tag=)[^;\r]+/, '$1wrong'));
    expect(statusOf(await p.next(isFinal('live', 'BYE')))).toBe(481);
    expect(r.channels[0].state).toBe(State.ANSWERED);
    p.send(inDialog(p, ok, 'BYE', { cseq: 3 }));
    expect(statusOf(await p.next(isFinal('live', 'BYE')))).toBe(200);
    await expectSettled(r, 1);
  }, 20000);

  test('a message over limits.maxMessageBytes gets 513 Message Too Large and creates no leg', async () => {
    const r = await start(transport, { limits: { maxMessageBytes: 4096 } });
    const p = await peer(r, transport);
    p.send(inviteText(p, r.target, { callId: 'big', extra: `X-Pad: ${'x'.repeat(5000)}\r\n` }));
    const rs = await p.next((m) => m.callId === 'big');
    expect(rs.status).toBe(513);
    expect(rs.raw.split('\r\n')[0]).toBe('SIP/2.0 513 Message Too Large');
    // Over TCP the connection is closed after the 513 (its body is never read); a new one works.
    const next = transport === 'tcp' ? (await p.closed, await peer(r, transport)) : p;
    await probe(r, next, 'probe-big');
    await call(r, next, 'after-big');
    await expectSettled(r, 1);
  }, 20000);

  test('an INVITE flood from one address: 503 + Retry-After beyond the burst; other sources get in', async () => {
    const r = await start(transport, { limits: { invitesPerSecond: 0.01, inviteBurst: 3 } });
    const p = await peer(r, transport);
    const ids = Array.from({ length: 6 }, (_, i) => `flood-${i}`);
    for (const callId of ids) p.send(inviteText(p, r.target, { callId }));
    const finals = await Promise.all(ids.map((id) => p.next(isFinal(id))));
    expect(finals.map(statusOf)).toEqual([200, 200, 200, 503, 503, 503]);
    for (const rs of finals.slice(3)) {
      const retryAfter = Number(/\r\nRetry-After: *(\d+)\r\n/i.exec(rs.raw)?.[1]);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(100);
    }
    // Another source address is not limited by the first one's flood.
    const other = await peer(r, transport, '127.0.0.3');
    await call(r, other, 'other-source');
    for (const [i, rs] of finals.entries()) {
      if (rs.status === 200) {
        p.send(inDialog(p, rs, 'ACK', { cseq: 1 }));
        p.send(inDialog(p, rs, 'BYE', { cseq: 2 }));
        expect(statusOf(await p.next(isFinal(ids[i], 'BYE')))).toBe(200);
      } else {
        p.send(
          inDialog(p, rs, 'ACK', {
            cseq: 1,
            branch: `z9hG4bK-${ids[i]}`,
            remoteTarget: `sip:sut@127.0.0.1:${r.target.port}`,
          }),
        );
      }
    }
    await expectSettled(r, 4);
  }, 20000);

  test('the same INVITE on a second branch (a merged request) gets 482 Loop Detected: one leg', async () => {
    const r = await start(transport);
    const p = await peer(r, transport);
    p.send(inviteText(p, r.target, { callId: 'merged' }));
    await p.next((m) => m.callId === 'merged' && m.status === 100);
    p.send(inviteText(p, r.target, { callId: 'merged', branch: 'z9hG4bK-other-path' }));
    const loop = await p.next((m) => m.raw.includes('branch=z9hG4bK-other-path;') && (m.status ?? 0) >= 200);
    expect(loop.raw.split('\r\n')[0]).toBe('SIP/2.0 482 Loop Detected');
    const ok = await p.next(isFinal('merged'));
    expect(ok.status).toBe(200);
    p.send(inDialog(p, ok, 'ACK', { cseq: 1 }));
    p.send(inDialog(p, ok, 'BYE', { cseq: 2 }));
    expect(statusOf(await p.next(isFinal('merged', 'BYE')))).toBe(200);
    expect(r.channels).toHaveLength(1);
    await expectSettled(r, 1);
  }, 20000);

  test('the application rejects from inside incomingCall (before offer returns): 486, and no leg is left', async () => {
    const r = await start(transport, { reject: true });
    const p = await peer(r, transport);
    p.send(inviteText(p, r.target, { callId: 'busy' }));
    const rs = await p.next(isFinal('busy'));
    expect(rs.status).toBe(486);
    p.send(
      inDialog(p, rs, 'ACK', { cseq: 1, branch: 'z9hG4bK-busy', remoteTarget: `sip:sut@127.0.0.1:${r.target.port}` }),
    );
    await probe(r, p, 'probe-busy');
    expect(r.callbacks.map((c) => [c.eventType, 'cause' in c ? c.cause : undefined])).toEqual([
      ['initiate', undefined],
      ['disconnect', 'busy'],
    ]);
    await expectSettled(r, 1);
  }, 20000);

  test('retransmissions: the INVITE sent three times is one leg; the 200 is resent until the ACK comes', async () => {
    const r = await start(transport);
    const p = await peer(r, transport);
    const invite = inviteText(p, r.target, { callId: 'again' });
    p.send(invite);
    await p.next((m) => m.callId === 'again' && m.status === 100);
    p.send(invite);
    const ok = await p.next(isFinal('again'));
    p.send(invite); // after the 200: absorbed by the transaction
    if (transport === 'udp') {
      // The first 200 "lost": the network resends it (T1 = 500 ms) until the ACK arrives.
      expect(statusOf(await p.next(isFinal('again')))).toBe(200);
    }
    p.send(inDialog(p, ok, 'ACK', { cseq: 1 }));
    await probe(r, p, 'probe-again');
    expect(r.channels).toHaveLength(1);
    expect(r.channels[0].state).toBe(State.ANSWERED);
    p.send(inDialog(p, ok, 'BYE', { cseq: 2 }));
    expect(statusOf(await p.next(isFinal('again', 'BYE')))).toBe(200);
    expect(r.callbacks.filter((c) => c.eventType === 'initiate')).toHaveLength(1);
    await expectSettled(r, 1);
  }, 20000);
});

describe('hostile input over tcp only', () => {
  test('a head announcing a body over the limit: 513 at once, the connection closed, the body never read', async () => {
    const r = await start('tcp');
    const p = await peer(r, 'tcp');
    p.send(inviteText(p, r.target, { callId: 'huge' }).replace('Content-Length: 0', 'Content-Length: 100000000'));
    const rs = await p.next((m) => m.callId === 'huge');
    expect(rs.raw.split('\r\n')[0]).toBe('SIP/2.0 513 Message Too Large');
    await p.closed;
    await call(r, await peer(r, 'tcp'), 'after-huge');
    await expectSettled(r, 1);
  }, 20000);

  test('a head that never ends (64 KiB without a blank line) closes the connection, and nothing else', async () => {
    const r = await start('tcp');
    const p = await peer(r, 'tcp');
    const log = jest.spyOn(console, 'log');
    p.send(inviteText(p, r.target, { callId: 'endless' }).replace(/\r\n\r\n$/, '\r\n') + 'X-Pad: y\r\n'.repeat(6554));
    await p.closed;
    expect(p.received).toEqual([]);
    expect(log).not.toHaveBeenCalled();
    await call(r, await peer(r, 'tcp'), 'after-endless');
    await expectSettled(r, 1);
  }, 20000);
});

describe('random byte mutations of a valid INVITE (fast-check)', () => {
  test('never crash the network, and every call they make still ends with one terminal callback', async () => {
    const r = await start('udp', { reject: true, limits: { invitesPerSecond: 0 } });
    const p = await peer(r, 'udp');
    const base = Buffer.from(
      inviteText(p, r.target, {
        callId: 'mutant',
        body: 'v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n',
      }),
      'binary',
    );
    const mutation = fc.record({
      bytes: fc.array(fc.record({ at: fc.nat({ max: base.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }), {
        minLength: 1,
        maxLength: 6,
      }),
      cut: fc.option(fc.nat({ max: base.length }), { nil: undefined }),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(mutation, async ({ bytes, cut }) => {
        const m = Buffer.from(base);
        for (const { at, value } of bytes) m[at] = value;
        // A fresh Call-ID and branch each run (where the mutation left them), so runs do not see each other.
        const id = `mutant${run++}x`;
        const text = m
          .subarray(0, cut ?? m.length)
          .toString('binary')
          .replace(/mutant/g, id);
        p.send(Buffer.from(text, 'binary'));
        await probe(r, p, `probe-${id}`);
      }),
      { numRuns: 150 },
    );
    for (const rs of p.received.filter((m) => m.cseqMethod === 'INVITE' && (m.status ?? 0) >= 300)) {
      // ACK every final refusal, so that no retransmission outlives the test.
      try {
        p.send(
          inDialog(p, rs, 'ACK', {
            cseq: (rs.headers.cseq as { seq: number }).seq,
            branch: (rs.headers.via as { params: { branch: string } }[])[0].params.branch,
            remoteTarget: `sip:sut@127.0.0.1:${r.target.port}`,
          }),
        );
      } catch {
        // a mutated response the peer cannot build an ACK from: the network's retransmissions stop at close
      }
    }
    await expectSettled(r, r.channels.length);
  }, 60000);
});

function fixture(name: string): string {
  return readFileSync(join(__dirname, '../fixtures/rfc4475', `${name}.sip`), 'utf8').replace(/\r?\n/g, '\r\n');
}

/**
 * Over a stream, a body shorter than its Content-Length is waited for (RFC 3261 18.3), so the retyped ltgtruri body
 * (shorter than the RFC's) is padded to its Content-Length; clerr is the RFC's short body and is run over UDP only.
 */
function completeBody(text: string): string {
  const end = text.indexOf('\r\n\r\n') + 4;
  const cl = /^(?:content-length|l)[ \t]*:[ \t]*(\d+)/im.exec(text.slice(0, end));
  const missing = cl ? Number(cl[1]) - Buffer.byteLength(text.slice(end), 'binary') : 0;
  return missing > 0 ? text + ' '.repeat(missing) : text;
}

describe.each(['udp', 'tcp'] as const)('RFC 4475 messages through the engine over %s', (transport) => {
  const cases: [string, number][] = [
    // Valid: the compact-form INVITE has a To tag in no known dialog (481); the unknown method is not implemented.
    ['valid-compact', 481],
    ['valid-intmeth', 501],
    ['badvers', 505],
    ['ncl', 400],
    ['mcl01', 400],
    ['ltgtruri', 400],
    ['unksm2', 400],
    ['scalar02', 400],
    ['mismatch01', 400],
    ...(transport === 'udp' ? [['clerr', 400] as [string, number]] : []),
  ];
  test.each(cases)(
    '%s is answered %i and creates no leg',
    async (name, status) => {
      const r = await start(transport);
      const p = await peer(r, transport);
      p.send(transport === 'tcp' ? completeBody(fixture(name)) : fixture(name));
      const rs = await p.next();
      expect(rs.status).toBe(status);
      expect(rs.callId).toBe(/^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)/im.exec(fixture(name))?.[1]);
      // Over TCP a message that cannot be framed (ncl, mcl01) also closes the connection: probe on a new one.
      await probe(r, transport === 'tcp' ? await peer(r, transport) : p, `probe-${name}`);
      await expectSettled(r, 0);
    },
    20000,
  );

  test('insuf (no From, To, Call-ID) is dropped: nothing comes back, nothing changes', async () => {
    const r = await start(transport);
    const p = await peer(r, transport);
    p.send(fixture('insuf'));
    await probe(r, p, 'probe-insuf');
    expect(p.received.map((m) => m.callId)).toEqual(['probe-insuf']);
    await expectSettled(r, 0);
  }, 20000);

  test('the compact-form INVITE without its To tag is a call: answered, ACKed, BYEd', async () => {
    const r = await start(transport);
    const p = await peer(r, transport);
    const invite = fixture('valid-compact').replace(/;\s*tag\s*=\s*1918181833n/, '');
    p.send(invite);
    const ok = await p.next((m) => (m.status ?? 0) >= 200);
    expect(ok.status).toBe(200);
    expect(r.callbacks[0]).toMatchObject({ eventType: 'initiate', from: 'jdrosen', to: 'vivekg' });
    p.send(inDialog(p, ok, 'ACK', { cseq: 9 }));
    p.send(inDialog(p, ok, 'BYE', { cseq: 10 }));
    expect(statusOf(await p.next((m) => m.cseqMethod === 'BYE'))).toBe(200);
    await expectSettled(r, 1);
  }, 20000);
});
