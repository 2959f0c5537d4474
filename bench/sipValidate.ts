// Microbenchmark of src/sip/validate.ts on the messages Switchboard receives in one benchmark call (shapes from
// bench/sip/uac-b2bua.xml and uas.xml as SIPp sends them): µs of CPU and bytes allocated per validated message.
// Run: node -r esbuild-register bench/sipValidate.ts [rounds]   (re-runs itself with --expose-gc and a 64 MB
// young generation, so that no scavenge falls inside a measured batch; batches that saw a GC are not counted.)
import { spawnSync } from 'node:child_process';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { validateMessage } from '../src/sip/validate';

const FLAGS = ['--expose-gc', '--max-semi-space-size=64', '--min-semi-space-size=64'];
if (typeof global.gc !== 'function') {
  const r = spawnSync(process.execPath, [...FLAGS, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}

const SDP = (version: number, ip: string, port: number) =>
  [
    'v=0',
    `o=user1 53655765 ${version} IN IP4 ${ip}`,
    's=-',
    `c=IN IP4 ${ip}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    '',
  ].join('\r\n');

function message(lines: string[], body = '', type = true): string {
  const extra = body === '' || !type ? [] : ['Content-Type: application/sdp'];
  return [...lines, ...extra, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
}

const CALLER = 'From: sipp <sip:sipp@127.0.0.2:5070>;tag=12345SIPpTag001';
const CALLEE = 'To: sut <sip:service@127.0.0.1:5060>;tag=Kx3bQ9wZr1';
const CALL_ID = 'Call-ID: 1-12345@127.0.0.2';
const OUT_FROM = 'From: <sip:sipp@127.0.0.1:5060>;tag=Vb2xT8mL0q';
const OUT_TO = 'To: <sip:service@127.0.0.3:5080>;tag=67890SIPpTag011';
const OUT_VIA = 'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK7f3a91c2d0;rport';
const OUT_CALL_ID = 'Call-ID: 4fJ9sQ2kLmN8pR5tVx1Y@127.0.0.1';

/** name, message */
const MESSAGES: [string, string][] = [
  [
    'INVITE+SDP',
    message(
      [
        'INVITE sip:service@127.0.0.1:5060 SIP/2.0',
        'Via: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK-12345-1-0',
        CALLER,
        'To: sut <sip:service@127.0.0.1:5060>',
        CALL_ID,
        'Contact: <sip:sipp@127.0.0.2:5070;transport=UDP>',
        'Max-Forwards: 70',
        'CSeq: 1 INVITE',
      ],
      SDP(2353687637, '127.0.0.2', 6000),
    ),
  ],
  [
    '180',
    message([
      'SIP/2.0 180 Ringing',
      OUT_VIA,
      OUT_FROM,
      OUT_TO,
      OUT_CALL_ID,
      'CSeq: 1 INVITE',
      'Contact: <sip:sipp@127.0.0.3:5080;transport=UDP>',
    ]),
  ],
  [
    '200+SDP',
    message(
      [
        'SIP/2.0 200 OK',
        OUT_VIA,
        OUT_FROM,
        OUT_TO,
        OUT_CALL_ID,
        'CSeq: 1 INVITE',
        'Contact: <sip:sipp@127.0.0.3:5080;transport=UDP>',
      ],
      SDP(2353687637, '127.0.0.3', 6002),
    ),
  ],
  [
    'ACK',
    message([
      'ACK sip:switchboard@127.0.0.1:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK-12345-1-5',
      CALLER,
      CALLEE,
      CALL_ID,
      'Contact: <sip:sipp@127.0.0.2:5070;transport=UDP>',
      'Max-Forwards: 70',
      'CSeq: 1 ACK',
    ]),
  ],
  [
    'BYE',
    message([
      'BYE sip:switchboard@127.0.0.1:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK-12345-1-9',
      CALLER,
      CALLEE,
      CALL_ID,
      'Contact: <sip:sipp@127.0.0.2:5070;transport=UDP>',
      'Max-Forwards: 70',
      'CSeq: 2 BYE',
    ]),
  ],
  ['200 BYE', message(['SIP/2.0 200 OK', OUT_VIA, OUT_FROM, OUT_TO, OUT_CALL_ID, 'CSeq: 2 BYE'])],
];

for (const [name, m] of MESSAGES) {
  const v = validateMessage(m);
  if (!v.ok) throw new Error(`${name} refused: ${v.reason}`);
}

let gcs: number[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push(e.startTime);
}).observe({ entryTypes: ['gc'] });

const BATCH = 500;

/** One batch of every message BATCH times: [CPU µs, bytes allocated, performance window]. */
function batch(): [number, number, number, number] {
  global.gc?.();
  const start = performance.now();
  const heap = process.memoryUsage().heapUsed;
  const cpu = process.cpuUsage();
  for (let i = 0; i < BATCH; i++) for (const [, m] of MESSAGES) validateMessage(m);
  const used = process.cpuUsage(cpu);
  const bytes = process.memoryUsage().heapUsed - heap;
  return [used.user + used.system, bytes, start, performance.now()];
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 40);
  for (let i = 0; i < 10; i++) batch(); // warm-up (JIT)
  const cpu: number[] = [];
  const bytes: number[] = [];
  let dropped = 0;
  for (let r = 0; r < rounds; r++) {
    gcs = [];
    const [us, b, from, to] = batch();
    await new Promise((resolve) => setImmediate(resolve));
    // The explicit gc() happens before `from`; any collection inside the window spoils the allocation figure.
    if (gcs.some((t) => t >= from && t <= to)) dropped++;
    else bytes.push(b);
    cpu.push(us);
  }
  const n = BATCH * MESSAGES.length;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const min = (xs: number[]) => Math.min(...xs);
  console.log(`${MESSAGES.length} messages (${MESSAGES.map(([name]) => name).join(', ')}), ${rounds} rounds of ${n}`);
  console.log(`CPU per message:   median ${(median(cpu) / n).toFixed(2)} µs, best ${(min(cpu) / n).toFixed(2)} µs`);
  if (bytes.length === 0) console.log(`bytes per message: every round saw a GC (${dropped})`);
  else console.log(`bytes per message: median ${Math.round(median(bytes) / n)} (${dropped} rounds with a GC left out)`);
}

void main();
