/**
 * Randomized simulation with crash points: random calls over the simulator API of a real `switchboard serve
 * --redis` child process (placed, answered or refused, retrievably transferred to far ends that answer, hang up,
 * are busy, reject, never answer, are unobtainable or clear; retrieved; either side hanging up), while the node is
 * SIGKILLed and started again (same node id, same redis-server) at random moments. Requests in flight at a kill
 * fail and are not retried (their outcome is whatever the restarted node has). At the end every live call is
 * hung up and the node must settle. Then, after de-duplication by X-Switchboard-Delivery id (two copies of one id
 * must be equal): every leg has exactly one terminal callback and nothing after it, every transfer leg's parent
 * heard how the transfer ended (transferComplete, or its own disconnect), every transfer the node still lists has
 * a TransferCause other than NONE, the node's stats are zero and Redis holds no call record and no delivery.
 * The seed fixes the scripts and the crash times; the real clock decides the exact interleaving.
 */
import type { Redis } from 'ioredis';
import type { RunningRedis } from '../support/redis';
import { nodeConfig, startNode, until, webhookReceiver, type Arrival, type ServeNode } from '../support/serveNode';

export interface CrashSimulationResult {
  seed: number;
  calls: number;
  crashes: number;
  /** Legs the API named, and requests that failed because the node was killed under them. */
  legs: number;
  failed: number;
  callbacks: number;
  violations: string[];
}

/** mulberry32, as in simulation.ts. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ENDPOINTS: Record<string, object> = {
  '+1701': { outcome: 'answer', ringFor: 0.3 },
  '+1702': { outcome: 'answer', ringFor: 0.5, hangUpAfter: 1 },
  '+1703': { outcome: 'busy' },
  '+1704': { outcome: 'reject', ringFor: 0.4 },
  '+1705': { outcome: 'noAnswer' },
  '+1707': { outcome: 'clearBeforeAnswer', ringFor: 0.3 },
};
const TARGETS = [...Object.keys(ENDPOINTS), '+1706' /* unregistered: unobtainable */];
const TERMINAL = new Set(['disconnect', 'transferDisconnect']);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function simulateCrashes(options: {
  seed: number;
  calls: number;
  crashes: number;
  redis: RunningRedis;
}): Promise<CrashSimulationResult> {
  const { seed, calls, crashes, redis } = options;
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const ms = (max: number) => Math.round(random() * max);
  const violations: string[] = [];
  const violate = (text: string) => {
    if (violations.length < 50) violations.push(`seed ${seed}: ${text}`);
  };
  const nodeId = `crash-sim-${seed}`;
  const receiver = await webhookReceiver();
  const config = nodeConfig(receiver.base);
  let node: ServeNode | null = await startNode(config, redis.url, nodeId);
  let ready: Promise<void> = Promise.resolve();
  const client: Redis = redis.client();
  /** Every leg the API named (a call placed, a transfer's target leg). */
  const known = new Set<string>();
  let failed = 0;

  /** A request to whichever process is the node now; undefined when it failed (the node was killed). */
  const api = async (method: string, path: string, body?: unknown) => {
    await ready;
    const current = node as ServeNode;
    try {
      const answer = await current.api(method, path, body);
      if (answer.status >= 500) violate(`${method} ${path} answered ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer;
    } catch {
      failed++;
      return undefined; // killed under the request
    }
  };

  try {
    for (const [address, script] of Object.entries(ENDPOINTS)) {
      await api('PUT', `/simulator/endpoints/${address}`, script);
    }

    // The scripts: each call's steps at its own moments (ms from the start).
    const window = Math.max(4000, calls * 300);
    const scripts = Array.from({ length: calls }, (_, i) => async () => {
      await sleep(ms(window));
      const placed = await api('POST', '/simulator/calls', { from: `+1555${String(i).padStart(4, '0')}`, to: '+1600' });
      const a = placed?.body.callId as string | undefined;
      if (!a) return;
      known.add(a);
      await sleep(ms(400));
      if (random() < 0.1) return void (await api('POST', `/simulator/calls/${a}/hangup`));
      await api('POST', `/simulator/calls/${a}/answer`);
      await sleep(ms(400));
      const timeout = pick([0.5, 1, 2, null]);
      const transfer = await api('POST', `/simulator/calls/${a}/transfer`, {
        to: pick(TARGETS),
        secondsTimeout: timeout,
      });
      const b = transfer?.body.transferCallId as string | undefined;
      if (b) known.add(b);
      for (let k = 0, steps = ms(3); k < steps; k++) {
        await sleep(ms(1500));
        const step = pick(['retrieve', 'hangupA', 'hangupB', 'transfer'] as const);
        if (step === 'retrieve') await api('POST', `/simulator/calls/${a}/retrieve`);
        if (step === 'hangupA') await api('POST', `/simulator/calls/${a}/hangup`);
        if (step === 'hangupB' && b) await api('POST', `/simulator/calls/${b}/hangup`);
        if (step === 'transfer') await api('POST', `/simulator/calls/${a}/transfer`, { to: pick(TARGETS) });
      }
    });
    const crashAt = Array.from({ length: crashes }, () => ms(window + 2000)).sort((x, y) => x - y);
    const crasher = async () => {
      let now = 0;
      for (const at of crashAt) {
        await sleep(at - now);
        now = at;
        let restarted!: () => void;
        ready = new Promise<void>((resolve) => (restarted = resolve));
        await (node as ServeNode).kill();
        node = null;
        node = await startNode(config, redis.url, nodeId);
        restarted();
      }
    };
    await Promise.all([...scripts.map((script) => script()), crasher()]);

    // The end: every live call's far end hangs up, until the node has nothing left.
    const stats = async () =>
      (await fetch(`${(node as ServeNode).base}/healthz`)).json() as Promise<Record<string, number>>;
    const empty = (s: Record<string, number>) => !s.legs && !s.transfers && !s.agentCalls && !s.timers;
    await until(
      async () => {
        const listed = await api('GET', '/simulator/calls');
        const live = ((listed?.body.calls ?? []) as Array<{ callId: string; state: string }>).filter(
          (c) => c.state !== 'IDLE',
        );
        for (const call of live) await api('POST', `/simulator/calls/${call.callId}/hangup`);
        return empty(await stats());
      },
      'the node to have no call left',
      20_000,
    ).catch(async () => violate(`left running at the end: ${JSON.stringify(await stats())}`));
    const outbox = `switchboard:node:${nodeId}:outbox`;
    await until(async () => (await client.xlen(outbox)) === 0, 'the outbox to drain', 20_000).catch(async () =>
      violate(`${await client.xlen(outbox)} deliveries left in the Redis outbox`),
    );

    // ---- invariants ----
    const byId = new Map<string, Arrival>();
    for (const a of receiver.arrivals) {
      const seen = byId.get(a.deliveryId);
      if (!seen) byId.set(a.deliveryId, a);
      else if (JSON.stringify(seen.body) !== JSON.stringify(a.body))
        violate(`two copies of delivery ${a.deliveryId} differ`);
    }
    const families = new Map<string, Arrival[]>();
    for (const a of byId.values()) {
      const list = families.get(a.body.callId) ?? [];
      list.push(a);
      families.set(a.body.callId, list);
    }
    for (const [leg, list] of families) {
      const terminals = list.filter((a) => TERMINAL.has(a.body.eventType));
      if (terminals.length !== 1)
        violate(
          `leg ${leg} has ${terminals.length} terminal callbacks (${list.map((a) => a.body.eventType).join(', ')})`,
        );
      const last = list[list.length - 1];
      if (terminals.length === 1 && last !== terminals[0])
        violate(`leg ${leg}: ${last.body.eventType} after its terminal ${terminals[0].body.eventType}`);
      if (list.some((a) => a.body.eventType === 'disconnect' && 'parentCallId' in a.body))
        violate(`disconnect on transfer leg ${leg}`);
    }
    for (const leg of known) if (!families.has(leg)) violate(`leg ${leg} never had a callback`);
    for (const a of byId.values()) {
      if (a.body.eventType !== 'transferDisconnect' || !('parentCallId' in a.body)) continue;
      const parent = families.get(a.body.parentCallId) ?? [];
      if (!parent.some((p) => p.body.eventType === 'transferComplete' || p.body.eventType === 'disconnect'))
        violate(`transfer leg ${a.body.callId} ended, but its parent ${a.body.parentCallId} never heard of it`);
    }
    const listed = await api('GET', '/simulator/calls');
    for (const call of (listed?.body.calls ?? []) as Array<{
      callId: string;
      transfer: unknown;
      transferOf: unknown;
      transferCause: string;
    }>) {
      if (call.transfer && !call.transferOf && call.transferCause === 'NONE')
        violate(`call ${call.callId} had a transfer and ended with TransferCause NONE`);
    }
    const records = (await client.hkeys(`switchboard:node:${nodeId}:state`)).filter(
      (k) => k !== 'network' && !k.startsWith('device:'),
    );
    if (records.length) violate(`records left in Redis: ${records.join(', ')}`);
    return { seed, calls, crashes, legs: known.size, failed, callbacks: byId.size, violations };
  } finally {
    await node?.kill();
    await receiver.close();
    await client.quit();
  }
}
