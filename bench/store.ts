/**
 * The Redis store's figures (`npm run bench -- --only store`), against a redis-server of its own started the way
 * the tests start one (test/support/redis.ts: free loopback port, no persistence):
 *
 * - `store.ratio_vs_memory`: row-1a lifecycles/s with the Redis store (every turn's records written in one MULTI,
 *   and each measured batch waits until Redis has answered all of them) against the same switchboard in memory,
 *   same run: 9 rounds, each of batches of 100 lifecycles taken in turn in memory and with Redis until each side
 *   has run 1 s, one ratio per round (of the sides' median batches); the median over the rounds, with the range
 *   as `store.ratio_min` and `store.ratio_max`; target ≥ 0.5.
 * - `store.redis_ops_per_call`: commands Redis executed per lifecycle (INFO commandstats before and after,
 *   MULTI and EXEC included).
 * - `store.recovery_ms_10k`: `switchboard serve --redis` (dist/) in a child process with 10,000 live calls (9,800
 *   answered and in a transfer whose timeout is pending, 200 ringing with their callbacks undelivered), SIGKILLed; the time from the kill until a restarted node (same node
 *   id, a 1 s lease) answers for all 10,000 again. `store.restore_ms_10k` is the part from the restart's spawn.
 * - `store.lost_after_crash`: calls not served again + transfer timeouts that never fired + callbacks that never
 *   arrived (after de-duplication by X-Switchboard-Delivery id); must be 0.
 */
import { createSwitchboard, SimulatedClock, type Switchboard } from '../src';
import { createRedisStore, type RedisStore } from '../src/store';
import { assertBuilt } from '../test/support/builtCli';
import { startRedis, type RunningRedis } from '../test/support/redis';
import { nodeConfig, startNode, until, webhookReceiver, type ServeNode } from '../test/support/serveNode';
import { transferLifecycle, transferSwitchboard } from './scenarios';
import { median } from './stats';

type Log = (line: string) => void;

const TARGET = '+15557770000';
/** Calls of the recovery run left ringing (their initiate callbacks held), and the transfers' timeout. */
const HELD = 200;
const TIMEOUT_S = 60;
/** Throughput rounds, and how long each side of a round runs. */
const ROUNDS = 9;
const ROUND_MS = 1000;

/** Seconds one batch of 100 lifecycles takes (the batch waits for `settle`). */
async function batch(fn: () => Promise<void>, settle: () => Promise<void>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < 100; i++) await fn();
  await settle();
  return (performance.now() - start) / 1000;
}

/**
 * One round: batches of 100 lifecycles in memory and with Redis taken in turn (which goes first alternates),
 * until each side has run about `ms`; each side's lifecycles per second from its median batch. A burst of load
 * from elsewhere lands on both sides alike, and a batch stalled by it does not move the median.
 */
async function round(
  memory: () => Promise<void>,
  redis: () => Promise<void>,
  settle: () => Promise<void>,
  ms: number,
): Promise<{ mem: number; red: number }> {
  const none = () => Promise.resolve();
  const memS: number[] = [];
  const redS: number[] = [];
  const total = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0);
  while (Math.min(total(memS), total(redS)) * 1000 < ms) {
    const memoryFirst = memS.length % 2 === 0;
    if (memoryFirst) memS.push(await batch(memory, none));
    redS.push(await batch(redis, settle));
    if (!memoryFirst) memS.push(await batch(memory, none));
  }
  return { mem: 100 / median(memS), red: 100 / median(redS) };
}

async function redisSwitchboard(url: string): Promise<{ sb: Switchboard; store: RedisStore }> {
  const store = createRedisStore({ url, nodeId: 'bench-throughput', prefix: 'bench:' });
  await store.start();
  const sb = createSwitchboard({ clock: new SimulatedClock(), store });
  sb.network.addEndpoint(TARGET, { outcome: 'answer', ringFor: 0 });
  return { sb, store };
}

/** Commands executed so far, by command (INFO commandstats). */
async function commandStats(redis: RunningRedis): Promise<Map<string, number>> {
  const client = redis.client();
  const info = await client.info('commandstats');
  await client.quit();
  const counts = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) counts.set(match[1], Number(match[2]));
  return counts;
}

export async function throughput(redis: RunningRedis, log: Log): Promise<Record<string, number>> {
  const memory = transferSwitchboard().sb;
  const { sb, store } = await redisSwitchboard(redis.url);
  const settled = () => store.settled();
  const inMemory = () => transferLifecycle(memory);
  const withStore = () => transferLifecycle(sb);
  await round(inMemory, withStore, settled, 500); // warm-up
  // One ratio per round, reported as the median and the range over the rounds.
  const rounds: Array<{ mem: number; red: number }> = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await round(inMemory, withStore, settled, ROUND_MS));
  const ratios = rounds.map(({ mem, red }) => red / mem);
  // Commands per lifecycle, counted by Redis itself (the INFO calls themselves excluded).
  const before = await commandStats(redis);
  const lifecycles = 1000;
  for (let i = 0; i < lifecycles; i++) await transferLifecycle(sb);
  await store.settled();
  const after = await commandStats(redis);
  const perCommand = [...after]
    .map(([name, n]) => [name, n - (before.get(name) ?? 0) - (name === 'info' ? 1 : 0)] as const)
    .filter(([, n]) => n > 0);
  const shown = perCommand.filter(([, n]) => n / lifecycles >= 0.05);
  const ops = perCommand.reduce((sum, [, n]) => sum + n, 0) / lifecycles;
  const batches = store.sent.batches;
  const keys = await redis.client().hkeys('bench:node:bench-throughput:state');
  const left = keys.filter((key) => key !== 'network').length; // the far ends' scripts stay
  for (const s of [sb.stats(), memory.stats()])
    if (s.legs || s.transfers || s.timers) throw new Error(`leftovers: ${JSON.stringify(s)}`);
  if (left !== 0) throw new Error(`${left} records left in Redis after the lifecycles`);
  await sb.close();
  await store.close();
  const mem = median(rounds.map((r) => r.mem));
  const red = median(rounds.map((r) => r.red));
  const ratio = median(ratios);
  const [low, high] = [Math.min(...ratios), Math.max(...ratios)];
  log(`store: row 1a with the Redis store ${red.toFixed(0)} lifecycles/s vs in memory ${mem.toFixed(0)} lifecycles/s`);
  log(
    `  ratio: median ${ratio.toFixed(2)} over ${ROUNDS} rounds of ${ROUND_MS / 1000} s a side, batches of 100 interleaved (range ${low.toFixed(2)}–${high.toFixed(2)}; target >= 0.5)`,
  );
  log(
    `  Redis commands per lifecycle: ${ops.toFixed(1)} (${shown.map(([name, n]) => `${name} ${(n / lifecycles).toFixed(1)}`).join(', ')}); ${batches} MULTI batches in all`,
  );
  return {
    'store.lifecycles_per_s': Math.round(red),
    'store.memory_lifecycles_per_s': Math.round(mem),
    'store.ratio_vs_memory': Number(ratio.toFixed(3)),
    'store.ratio_min': Number(low.toFixed(3)),
    'store.ratio_max': Number(high.toFixed(3)),
    'store.redis_ops_per_call': Number(ops.toFixed(2)),
  };
}

/** Run `fn` over `items` with `concurrency` at a time. */
async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * A request that must succeed. A connection reset (a keep-alive socket the server closed as it was reused, on a
 * loaded machine) is tried again; a 409 then means the first attempt was taken.
 */
async function ok(node: ServeNode, method: string, path: string, body?: unknown) {
  for (let attempt = 1; ; attempt++) {
    try {
      const answer = await node.api(method, path, body);
      if (answer.status === 409 && attempt > 1) return answer.body;
      if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body;
    } catch (error) {
      if (attempt >= 3 || !(error instanceof TypeError)) throw error; // fetch failed: not an HTTP answer
    }
  }
}

export async function recovery(redis: RunningRedis, log: Log, calls = 10_000): Promise<Record<string, number>> {
  assertBuilt();
  const receiver = await webhookReceiver();
  const config = nodeConfig(receiver.base, 1000);
  const nodeId = 'bench-recovery';
  let first: ServeNode | undefined = await startNode(config, redis.url, nodeId);
  let second: ServeNode | undefined;
  try {
    await ok(first, 'PUT', '/simulator/endpoints/+1999', { outcome: 'noAnswer' });
    const started = Date.now();
    const node = first;
    const place = async (from: number, to: number) => {
      const placed: string[] = [];
      await pool(
        Array.from({ length: to - from }, (_, i) => from + i),
        32,
        async (i) => {
          const body = { from: `+1444${String(i).padStart(6, '0')}`, to: '+1600' };
          placed.push((await ok(node, 'POST', '/simulator/calls', body)).callId as string);
        },
      );
      return placed;
    };
    // All but the last 200 calls: placed, answered, and transferred to a far end that never answers, each
    // transfer timing out at one common deadline after the restart.
    const transferred = await place(0, calls - HELD);
    const answering = Date.now();
    await pool(transferred, 32, async (id) => void (await ok(node, 'POST', `/simulator/calls/${id}/answer`)));
    // The transfers take about as long as the answers did (one request a call): the deadline is well after both.
    const deadline = Date.now() + 2 * (Date.now() - answering) + TIMEOUT_S * 1000;
    await pool(transferred, 32, async (id) => {
      const secondsTimeout = Math.max(1, Math.round((deadline - Date.now()) / 1000));
      const t = await ok(node, 'POST', `/simulator/calls/${id}/transfer`, { to: '+1999', secondsTimeout });
      if (t.statusCode === 0 && t.state !== 'TRANSFERRING') throw new Error(`transfer of ${id}: ${JSON.stringify(t)}`);
    });
    // The last 200 ring while the receiver holds their initiate callbacks: in the outbox at the crash.
    receiver.state.answering = false;
    const ringing = await place(calls - HELD, calls);
    const ids = [...transferred, ...ringing];
    const populated = Date.now() - started;
    const client = redis.client();
    const stateKey = `switchboard:node:${nodeId}:state`;
    await until(async () => (await client.hlen(stateKey)) >= 2 * calls - HELD, 'every record stored', 60_000);
    const pendingAtCrash = await client.xlen(`switchboard:node:${nodeId}:outbox`);

    const killedAt = Date.now();
    await first.kill();
    first = undefined;
    receiver.state.answering = true;
    const spawnedAt = Date.now();
    second = await startNode(config, redis.url, nodeId);
    // Served again: the node lists every call live, and answers for the last one placed.
    const listed = await ok(second, 'GET', '/simulator/calls');
    const placed = new Set(ids);
    const live = (listed.calls as Array<{ callId: string; state: string }>).filter(
      (c) => c.state !== 'IDLE' && placed.has(c.callId),
    ).length;
    await ok(second, 'GET', `/simulator/calls/${ids[ids.length - 1]}`);
    const servedAt = Date.now();
    await second.process.until(/call state in Redis/);
    const restoredLine = /call state in Redis: (\d+) legs, (\d+) transfers, \d+ agent calls and (\d+) timers/.exec(
      second.process.stdout(),
    );

    // Every transfer's timeout fires at its original deadline; every callback arrives.
    let lastCount = 0;
    let lastMove = Date.now();
    const timedOut = () =>
      new Set(
        receiver.arrivals
          .filter((a) => a.body.eventType === 'transferComplete' && 'cause' in a.body && a.body.cause === 'timeout')
          .map((a) => a.body.callId),
      );
    // Until every timeout has fired and been delivered, or nothing has arrived for a minute past the deadline.
    await until(
      async () => {
        const fired = timedOut().size;
        if (fired >= transferred.length) return true;
        if (Date.now() < deadline || fired > lastCount) lastMove = Date.now();
        lastCount = fired;
        return Date.now() - lastMove > 60_000;
      },
      'every transfer timed out',
      60 * 60_000,
    );
    const byId = new Map(receiver.arrivals.map((a) => [a.deliveryId, a]));
    const seen = new Set([...byId.values()].map((a) => `${a.body.eventType} ${a.body.callId}`));
    const fired = timedOut();
    let lostCallbacks = 0;
    for (const id of ids) if (!seen.has(`initiate ${id}`)) lostCallbacks++;
    for (const id of transferred) if (!fired.has(id)) lostCallbacks++; // its transferComplete
    const disconnects = [...byId.values()].filter((a) => a.body.eventType === 'transferDisconnect').length;
    lostCallbacks += Math.max(0, transferred.length - disconnects);
    const lostCalls = calls - live;
    const lostTimers = transferred.length - fired.size;
    const duplicates = receiver.arrivals.length - byId.size;
    const lost = lostCalls + lostTimers + lostCallbacks;
    const recoveryMs = servedAt - killedAt;
    const restoreMs = servedAt - spawnedAt;
    log(
      `store: ${calls} live calls (${transferred.length} answered and in transfers with a pending timeout, ${HELD} ringing; placed over HTTP in ${(populated / 1000).toFixed(0)} s), ${pendingAtCrash} callbacks in the outbox, SIGKILL`,
    );
    log(
      `  restarted node (lease 1 s) serves them again ${recoveryMs} ms after the kill (${restoreMs} ms after its spawn; ${restoredLine ? `${restoredLine[1]} legs, ${restoredLine[2]} transfers, ${restoredLine[3]} timers restored` : 'no restore line'})`,
    );
    log(
      `  lost after the crash: ${lost} (calls ${lostCalls}, timers ${lostTimers}, callbacks ${lostCallbacks}); ${duplicates} duplicate deliveries dropped by id`,
    );
    await client.quit();
    if (lost) log(`  the restarted node's standard error:\n${second.process.stderr().slice(-2000)}`);
    return {
      'store.recovery_ms_10k': recoveryMs,
      'store.restore_ms_10k': restoreMs,
      'store.outbox_pending_at_crash': pendingAtCrash,
      'store.lost_after_crash': lost,
      'store.lost_calls': lostCalls,
      'store.lost_timers': lostTimers,
      'store.lost_callbacks': lostCallbacks,
    };
  } finally {
    await first?.kill();
    await second?.kill();
    await receiver.close();
  }
}

export async function storeBench(log: Log): Promise<Record<string, number>> {
  const redis = await startRedis();
  try {
    return { ...(await throughput(redis, log)), ...(await recovery(redis, log)) };
  } finally {
    await redis.stop();
  }
}
