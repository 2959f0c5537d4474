/**
 * Microbenchmark of the SIP stack (npm `sip` 0.0.6 as patched by patches/sip+0.0.6.patch, and src/sip/sipJsStack.ts):
 *
 *   node -r esbuild-register bench/sipStack.ts [--codec N] [--calls N] [--concurrency N] [--dump]
 *
 * 1. codec: `sip.parse` and `sip.stringify` of a call's messages (INVITE and 200 with SDP, 100, 180, ACK, BYE, 200),
 *    N rounds; prints CPU µs per parse and per stringify (the best of 5 runs of N/5 rounds), and per validateMessage
 *    (src/sip/validate.ts, which SipJsStack runs on every message before `sip` parses it).
 * 2. calls: two SipJsStack instances on 127.0.0.1 and 127.0.0.2 (UDP loopback) with the dialog layer on each; the
 *    UAC places N calls (INVITE, 100, 180, 200, ACK, BYE, 200: 7 messages), `concurrency` at a time; prints the
 *    process CPU (user + system, both stacks) per message sent and calls per second. Validation (src/sip/validate.ts,
 *    the patch's `inspect` hook) is included, as in production.
 * --dump prints the messages of the first call as sent on the wire (for the codec set, and to compare runs).
 */
import * as dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import * as sip from 'sip';
import { DialogLayer } from '../src/sip/dialog';
import { SipJsStack } from '../src/sip/sipJsStack';
import { validateMessage } from '../src/sip/validate';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

const SDP_A = [
  'v=0',
  'o=switchboard 1733150000 1733150000 IN IP4 127.0.0.1',
  's=switchboard',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 20000 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join('\r\n');
const SDP_B = SDP_A.replace(/127\.0\.0\.1/g, '127.0.0.2').replace('20000', '30000');

function msg(lines: string[], body = ''): string {
  return [...lines, `Content-Length: ${body.length}`, '', body].join('\r\n');
}

const via = 'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK482731;rport';
const viaR = 'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK482731;rport=5060;received=127.0.0.1';
const from = 'From: <sip:switchboard@127.0.0.1:5060>;tag=1h5k2j9x0a7c3f';
const to = 'To: <sip:uas@127.0.0.2:5060>';
const toT = 'To: <sip:uas@127.0.0.2:5060>;tag=2kd93ls0q1b4e6';
const callId = 'Call-ID: 6f1c2b7e9a0d4c3b8e5f1a2d3c4b5a69';

/** A call's messages as the stack receives them. */
export const CODEC_SET: readonly string[] = [
  msg(
    [
      'INVITE sip:uas@127.0.0.2:5060 SIP/2.0',
      via,
      from,
      to,
      callId,
      'CSeq: 1 INVITE',
      'Contact: <sip:switchboard@127.0.0.1:5060>',
      'Max-Forwards: 70',
      'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS',
      'Content-Type: application/sdp',
    ],
    SDP_A,
  ),
  msg(['SIP/2.0 100 Trying', viaR, from, to, callId, 'CSeq: 1 INVITE']),
  msg(['SIP/2.0 180 Ringing', viaR, from, toT, callId, 'CSeq: 1 INVITE', 'Contact: <sip:uas@127.0.0.2:5060>']),
  msg(
    [
      'SIP/2.0 200 OK',
      viaR,
      'Record-Route: <sip:127.0.0.3:5060;lr>',
      from,
      toT,
      callId,
      'CSeq: 1 INVITE',
      'Contact: <sip:uas@127.0.0.2:5060>',
      'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS',
      'Content-Type: application/sdp',
    ],
    SDP_B,
  ),
  msg([
    'ACK sip:uas@127.0.0.2:5060 SIP/2.0',
    'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK771204;rport',
    'Route: <sip:127.0.0.3:5060;lr>',
    from,
    toT,
    callId,
    'CSeq: 1 ACK',
    'Max-Forwards: 70',
  ]),
  msg([
    'BYE sip:uas@127.0.0.2:5060 SIP/2.0',
    'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK113907;rport',
    'Route: <sip:127.0.0.3:5060;lr>',
    from,
    toT,
    callId,
    'CSeq: 2 BYE',
    'Max-Forwards: 70',
    'Reason: Q.850;cause=16;text="Normal call clearing"',
  ]),
  msg([
    'SIP/2.0 200 OK',
    'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK113907;rport=5060;received=127.0.0.1',
    from,
    toT,
    callId,
    'CSeq: 2 BYE',
  ]),
];

function codec(rounds: number): void {
  const parsed = CODEC_SET.map((s) => sip.parse(s)!);
  let sink = 0;
  // CPU time (not wall: the machine may be shared), the best of 5 runs of rounds/5.
  const time = (f: () => void): number => {
    for (let i = 0; i < Math.min(2000, rounds); i++) f(); // warm-up
    const per = Math.max(1, Math.floor(rounds / 5));
    let best = Infinity;
    for (let run = 0; run < 5; run++) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < per; i++) f();
      const c = process.cpuUsage(c0);
      best = Math.min(best, (c.user + c.system) / (per * CODEC_SET.length));
    }
    return best;
  };
  const parse = time(() => {
    for (const s of CODEC_SET) sink += sip.parse(s)!.headers.cseq ? 1 : 0;
  });
  const stringify = time(() => {
    for (const m of parsed) sink += sip.stringify(m).length;
  });
  const validate = time(() => {
    for (const s of CODEC_SET) sink += validateMessage(s).ok ? 1 : 0;
  });
  console.log(
    `codec: ${rounds} rounds of ${CODEC_SET.length} messages: parse ${parse.toFixed(2)} µs, ` +
      `stringify ${stringify.toFixed(2)} µs, both ${(parse + stringify).toFixed(2)} µs per message; ` +
      `validateMessage ${validate.toFixed(2)} µs (${sink > 0})`,
  );
}

async function calls(n: number, concurrency: number, dump: boolean): Promise<void> {
  const a = new SipJsStack({ host: '127.0.0.1', tcp: false });
  const b = new SipJsStack({ host: '127.0.0.2', tcp: false });
  const [, [bb]] = await Promise.all([a.listening, b.listening]);
  const uac = new DialogLayer({ stack: a });
  const uas = new DialogLayer({ stack: b });
  const sent: string[] = [];
  let messages = 0;
  const send = dgram.Socket.prototype.send;
  dgram.Socket.prototype.send = function (this: dgram.Socket, ...args: unknown[]) {
    messages++;
    if (dump && sent.length < 7) sent.push((args[0] as Buffer).toString('binary'));
    return (send as (...a: unknown[]) => void).apply(this, args);
  } as typeof send;
  uas.onInvite((call) => {
    call.progress(180);
    call.answer(SDP_B).then(
      (d) => d.on('bye', () => {}),
      () => {},
    );
  });
  const one = async (): Promise<void> => {
    const out = uac.invite({ uri: `sip:uas@127.0.0.2:${bb.port}`, sdp: SDP_A });
    const o = await out.outcome;
    if (o.kind !== 'answered') throw new Error(`call ${o.kind}`);
    await o.dialog.bye({ cause: 16 });
  };
  // Warm-up, then measure.
  const run = async (count: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < count) await one();
      }),
    );
  };
  if (dump) {
    await one();
    for (const s of sent) console.log(s.replace(/\r\n/g, '\n') + '-----');
  }
  await run(Math.min(1000, n));
  messages = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run(n);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuUs = cpu.user + cpu.system;
  console.log(
    `calls: ${n} calls (${messages} messages, ${concurrency} at a time) in ${ms.toFixed(0)} ms: ` +
      `${((n * 1000) / ms).toFixed(0)} calls/s, CPU ${(cpuUs / messages).toFixed(2)} µs per message ` +
      `(${(cpuUs / n).toFixed(0)} µs per call, both ends)`,
  );
  dgram.Socket.prototype.send = send;
  await uac.close();
  await uas.close();
  await a.close();
  await b.close();
}

async function main(): Promise<void> {
  const rounds = arg('codec', 20000);
  if (rounds > 0) codec(rounds);
  const n = arg('calls', 3000);
  if (n > 0) await calls(n, arg('concurrency', 20), process.argv.includes('--dump'));
  // The stacks' transaction timers (up to 32 s) would keep the process alive.
  process.exit(0);
}

if (require.main === module) void main();
