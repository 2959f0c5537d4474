/**
 * The system under test of the SIP benchmark, in a process of its own (bench/sip/run.ts starts it):
 * `node -r esbuild-register bench/sip/sut.ts MODE FAR_END_PORT`, MODE one of
 * - `switchboard`: createSipNetwork + createSwitchboard and a tiny application: ring and answer each incoming
 *   call, then transferToInboundService to the far end (a SIPp UAS on 127.0.0.2). When the far end answers, the
 *   caller is re-INVITEd with its SDP (bridged); the caller's BYE ends both (row 1c of docs/behaviour.md §3).
 * - `transfer`: the same, then row 1a: the far end hangs up, the caller is retrieved (re-INVITEd back), and the
 *   application hangs up.
 * - `bare`: bench/sipBareB2bua.ts, the same SIP messages with no engine.
 * Prints `{"port":N}` once listening; each `stats` line on stdin gets one JSON line (after a GC: RSS, heap, live
 * CPU µs so far,
 * legs and dialogs, errors, callbacks). End of stdin closes everything and exits.
 */
import { createInterface } from 'node:readline';
import { createSipNetwork, createSwitchboard, State, type Channel } from '../../src';
import { startBareB2bua } from '../sipBareB2bua';

const HOST = '127.0.0.1';

interface Sut {
  port: number;
  counts(): { legs: number; dialogs: number; errors: number; callbacks: number };
  close(): Promise<void>;
}

async function switchboard(farEnd: string, row1a: boolean): Promise<Sut> {
  const network = createSipNetwork({
    listen: [`udp:${HOST}:0`],
    services: { far: farEnd },
    // One SIPp caller is one source address: the per-source INVITE limit (100/s) would refuse the load with 503.
    limits: { invitesPerSecond: 0 },
    // Two RTP ports a leg, two legs a call: the default 20000-20999 holds 250 calls, not 10,000.
    media: { host: HOST, ports: [10000, 59999] },
  });
  const [bound] = await network.listening;
  const sb = createSwitchboard({ network });
  let callbacks = 0;
  let errors = 0;
  sb.on('callback', () => callbacks++);
  const call = async (a: Channel): Promise<void> => {
    await a.ring();
    if ((await a.answer()) !== State.ANSWERED) return;
    a.createTonePlayer();
    const transferred = await a.transferToInboundService(sb.createChannel(), 'far');
    if (transferred !== State.TRANSFERRED) {
      if (a.state !== State.IDLE) errors++;
      return;
    }
    if (!row1a) return; // the caller's BYE ends A, and the transfer ends B
    if ((await a.waitForTransferredCallRetrieval()) !== State.ANSWERED) errors++;
    else await a.hangUp();
  };
  sb.on('incomingCall', (a) => {
    call(a).catch(() => errors++);
  });
  return {
    port: bound.port,
    counts: () => ({ legs: sb.stats().legs, dialogs: network.dialogCount, errors, callbacks }),
    close: () => sb.close(),
  };
}

async function bare(farEnd: string): Promise<Sut> {
  const b2bua = await startBareB2bua(HOST, farEnd);
  return {
    port: b2bua.port,
    counts: () => ({ legs: 0, dialogs: b2bua.dialogs, errors: b2bua.errors, callbacks: 0 }),
    close: () => b2bua.close(),
  };
}

async function main(): Promise<void> {
  const [mode, farEndPort] = process.argv.slice(2);
  const farEnd = `sip:far@127.0.0.2:${Number(farEndPort)}`;
  const sut =
    mode === 'bare'
      ? await bare(farEnd)
      : mode === 'switchboard' || mode === 'transfer'
        ? await switchboard(farEnd, mode === 'transfer')
        : undefined;
  if (!sut) throw new Error(`unknown mode ${mode}: switchboard, transfer or bare`);
  const gc = (globalThis as { gc?: () => void }).gc;
  console.log(JSON.stringify({ port: sut.port }));
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const command = line.trim();
    if (command !== 'stats' && command !== 'count') return;
    if (command === 'stats') gc?.();
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    const stats = { rss: memory.rss, heap: memory.heapUsed, cpuUs: cpu.user + cpu.system, ...sut.counts() };
    console.log(JSON.stringify(stats));
  });
  lines.on('close', () => {
    void sut.close().then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
