// Every message of RFC 4475 (SIP torture tests), byte-exact from the RFC's archive (test/fixtures/rfc4475/*.dat),
// through the whole engine (createSipNetwork + createSwitchboard, the application rejecting every offered call with
// BUSY) from a raw UDP socket and a raw TCP connection. Each row is the RFC's expected handling: a valid request is
// processed (an INVITE is offered to the application, OPTIONS answered 200, an unknown method 501, a method we do not
// take 405), an invalid one gets the refusal the RFC names (400 with the reason in a Warning, 415, 416, 420, 505) or
// is dropped when no reply can be addressed. After each: an OPTIONS probe still gets 200, no crash, no leg left,
// sb.stats() back to zero, exactly one terminal callback per offered leg. docs/sip.md lists the same table.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cause, createSipNetwork, createSwitchboard, type BandwidthCallback, type Channel } from '../../src';
import { optionsText, rawPeer, type RawMessage, type RawPeer } from '../support/rawSip';

type Transport = 'udp' | 'tcp';

/** [file, RFC 4475 section, replies expected (status codes, 100 Trying left out), Warning reason ('' if none)] */
type Row = [string, string, number[], string];

const OFFERED = 486; // the application rejects every offered call with BUSY: 486 Busy Here

const ROWS: Row[] = [
  // 3.1.1 Valid messages
  ['wsinv', '3.1.1.1', [481], ''], // has a To tag: a request in no dialog we know (RFC 3261 12.2.2)
  ['intmeth', '3.1.1.2', [501], ''],
  ['esc01', '3.1.1.3', [OFFERED], ''],
  ['escnull', '3.1.1.4', [405], ''],
  ['esc02', '3.1.1.5', [405], ''], // the stack unescapes the method to REGISTER (the RFC: an unknown method, 501)
  ['lwsdisp', '3.1.1.6', [200], ''],
  ['longreq', '3.1.1.7', [400], 'via without branch'], // an RFC 2543 top Via (no branch) is not taken (the RFC: valid)
  ['dblreq', '3.1.1.8', [405], ''], // over UDP the bytes after Content-Length are discarded
  ['semiuri', '3.1.1.9', [200], ''],
  ['transports', '3.1.1.10', [200], ''],
  ['mpart01', '3.1.1.11', [405], ''],
  ['unreason', '3.1.1.12', [], ''], // a response in no transaction: dropped
  ['noreason', '3.1.1.13', [], ''],
  // 3.1.2 Invalid messages
  ['badinv01', '3.1.2.1', [400], 'malformed via header'],
  ['clerr', '3.1.2.2', [400], 'content-length larger than the body'],
  ['ncl', '3.1.2.3', [400], 'bad content-length'],
  ['scalar02', '3.1.2.4', [400], 'bad cseq'],
  ['scalarlg', '3.1.2.5', [], ''], // a response: dropped
  ['quotbal', '3.1.2.6', [400], 'To: malformed name-addr'],
  ['ltgtruri', '3.1.2.7', [400], 'Request-URI: not a URI'],
  ['lwsruri', '3.1.2.8', [400], 'malformed request line'],
  ['lwsstart', '3.1.2.9', [400], 'malformed request line'],
  ['trws', '3.1.2.10', [400], 'malformed request line'],
  ['escruri', '3.1.2.11', [OFFERED], ''], // the RFC allows ignoring the escaped headers
  ['baddate', '3.1.2.12', [OFFERED], ''], // the RFC allows ignoring a Date we do not use
  ['regbadct', '3.1.2.13', [405], ''],
  ['badaspec', '3.1.2.14', [200], ''], // the RFC allows ignoring the spaces
  ['baddn', '3.1.2.15', [], ''], // the archive's copy has no blank line after its head: dropped (the RFC: 400)
  ['badvers', '3.1.2.16', [505], 'version not supported'],
  ['mismatch01', '3.1.2.17', [400], 'cseq method does not match the request'],
  ['mismatch02', '3.1.2.18', [400], 'cseq method does not match the request'],
  ['bigcode', '3.1.2.19', [], ''], // a response with a 4-digit code: dropped
  // 3.2 Transaction layer
  ['badbranch', '3.2.1', [200], ''],
  // 3.3 Application layer
  ['insuf', '3.3.1', [], ''], // no From, To, Call-ID: nothing to address a reply with (the RFC: 400)
  ['unkscm', '3.3.2', [416], 'unsupported URI scheme'],
  ['novelsc', '3.3.3', [416], 'unsupported URI scheme'],
  ['unksm2', '3.3.4', [400], 'From: unsupported URI scheme'],
  ['bext01', '3.3.5', [420], 'unsupported extension'],
  ['invut', '3.3.6', [415], 'unsupported content-type'],
  ['regaut01', '3.3.7', [405], ''],
  ['multi01', '3.3.8', [400], 'more than one from header'],
  ['mcl01', '3.3.9', [400], 'more than one content-length header'],
  ['bcast', '3.3.10', [], ''], // a response: dropped
  ['zeromf', '3.3.11', [200], ''], // Max-Forwards 0 at a UAS: processed as usual (483 is for proxies)
  ['cparam01', '3.3.12', [405], ''],
  ['cparam02', '3.3.13', [405], ''],
  ['regescrt', '3.3.14', [405], ''],
  ['sdp01', '3.3.15', [406], 'accept excludes application/sdp'],
  // 3.4 Backward compatibility
  ['inv2543', '3.4.1', [400], 'via without branch'], // RFC 2543 syntax is not taken (the RFC: accept, for backward compatibility)
];

/** Over TCP the RFC's datagram-only cases frame differently (RFC 3261 18.3). */
const OVER_TCP: Record<string, Row> = {
  clerr: ['clerr', '3.1.2.2', [], ''], // the rest of the announced body is waited for: nothing is answered
  dblreq: ['dblreq', '3.1.1.8', [405, 400], 'INVITE without contact'], // the second request is framed too
  inv2543: ['inv2543', '3.4.1', [400], 'missing content-length header'],
};

const dat = (name: string) => readFileSync(join(__dirname, '../fixtures/rfc4475', `${name}.dat`));
const callIdOf = (raw: Buffer) => /^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)/im.exec(raw.toString('binary'))?.[1];
const TERMINAL = new Set(['disconnect', 'transferDisconnect']);

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

test('the fixtures are the 49 messages of RFC 4475 section 3, one row each', () => {
  expect(ROWS).toHaveLength(49);
  expect(new Set(ROWS.map((r) => r[0])).size).toBe(49);
  for (const [name] of ROWS) expect(dat(name).length).toBeGreaterThan(0);
});

describe.each(['udp', 'tcp'] as const)('RFC 4475 messages through the engine over %s', (transport: Transport) => {
  const rows = ROWS.map((r) => (transport === 'tcp' ? (OVER_TCP[r[0]] ?? r) : r));
  test.each(rows)('%s (RFC 4475 %s) is answered %j', async (name, _section, statuses, reason) => {
    const network = createSipNetwork({ listen: [`${transport}:127.0.0.1:0`] });
    const [bound] = await network.listening;
    const sb = createSwitchboard({ network });
    const target = { host: '127.0.0.1', port: bound.port };
    const callbacks: BandwidthCallback[] = [];
    const offered: Channel[] = [];
    sb.on('callback', (c) => callbacks.push(c));
    sb.on('incomingCall', (a) => {
      offered.push(a);
      void a.reject({ cause: Cause.BUSY });
    });
    const peers: RawPeer[] = [];
    try {
      const p = await rawPeer(transport, target);
      peers.push(p);
      const raw = dat(name);
      p.send(raw);
      const replies = (m: RawMessage) => m.status !== undefined && m.status >= 200 && m.callId !== 'probe';
      if (statuses.includes(OFFERED)) await p.next(replies);
      // Everything before has been processed once an OPTIONS sent after it is answered 200; over TCP a message that
      // cannot be framed closes its connection, so the probe goes on a new one.
      const q = transport === 'tcp' ? await rawPeer(transport, target) : p;
      if (q !== p) peers.push(q);
      q.send(optionsText(q, target, 'probe'));
      expect((await q.next((m) => m.callId === 'probe')).status).toBe(200);
      const got = p.received.filter(replies);
      expect(got.map((m) => m.status)).toEqual(statuses);
      if (got.length > 0) expect(got[0].callId.split(',')[0]).toBe(callIdOf(raw));
      if (reason !== '') expect(got.at(-1)?.raw).toContain(`\r\nWarning: 399 switchboard "${reason}"\r\n`);
      // Offered legs end with exactly one terminal callback; nothing is left.
      const legs = statuses.includes(OFFERED) ? 1 : 0;
      expect(offered).toHaveLength(legs);
      for (const c of offered) await c.waitForIdle();
      const byLeg = new Map<string, string[]>();
      for (const c of callbacks) byLeg.set(c.callId, [...(byLeg.get(c.callId) ?? []), c.eventType]);
      expect(byLeg.size).toBe(legs);
      for (const events of byLeg.values()) expect(events.filter((e) => TERMINAL.has(e))).toHaveLength(1);
      expect(sb.stats()).toEqual({ legs: 0, agentCalls: 0, transfers: 0, timers: 0, terminalEvents: legs });
      expect(network.legCount).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      for (const p of peers) await p.close();
      await sb.close();
    }
  });
});
