/**
 * `npm run bench:allocation`: bytes allocated per unit of work, estimated by V8's sampling heap profiler
 * (one sample per 256 bytes allocated on average, objects the next GC frees included, so short-lived garbage
 * counts too; figures are estimates to a few percent):
 * - the row-1a transfer lifecycle through the full engine, against the same events replayed on the bare
 *   charts (what XState itself allocates);
 * - one agent operation (AttachUserData), against one event to a minimal XState actor.
 * Options: `--top N` also prints the N largest allocation sites of the full lifecycle.
 */
import { Session } from 'node:inspector';
import { SimulatedClock } from 'xstate';
import { wholeNumberOption } from './args';
import { agentServer, benchConfig } from './http';
import {
  chartsOnlyLifecycle,
  minimalUserDataActor,
  recordLifecycle,
  transferLifecycle,
  transferSwitchboard,
} from './scenarios';

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

function post<T>(session: Session, method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))),
  );
}

/** Bytes allocated per call of `work` over `n` calls (after `n` warm-up calls), and the sites by size. */
async function allocated(work: () => unknown, n: number): Promise<{ perCall: number; sites: Map<string, number> }> {
  for (let i = 0; i < n; i++) await work();
  const session = new Session();
  session.connect();
  await post(session, 'HeapProfiler.enable');
  await post(session, 'HeapProfiler.startSampling', {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  for (let i = 0; i < n; i++) await work();
  const { profile } = await post<{ profile: { head: ProfileNode } }>(session, 'HeapProfiler.stopSampling');
  session.disconnect();
  const sites = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode, caller: string) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const here = `${functionName || '(anonymous)'} ${url.replace(/.*\/node_modules\//, '').replace(/.*\/(src|machines|bench)\//, '$1/') || '(native)'}:${lineNumber + 1}`;
    if (node.selfSize) {
      total += node.selfSize;
      const site = url ? here : `${here} < ${caller}`; // native allocations (Set, Map…) are named by their caller
      sites.set(site, (sites.get(site) ?? 0) + node.selfSize / n);
    }
    for (const child of node.children) walk(child, here);
  };
  walk(profile.head, '');
  return { perCall: total / n, sites };
}

async function main(): Promise<void> {
  const top = wholeNumberOption('--top', 0);
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

  const { sb } = transferSwitchboard();
  const recorded = await recordLifecycle('transfer');
  const clock = new SimulatedClock();
  const engine = await allocated(() => transferLifecycle(sb), 3_000);
  const charts = await allocated(() => chartsOnlyLifecycle(recorded, clock), 3_000);
  const events = recorded.reduce((sum, actor) => sum + actor.events.length, 0);
  console.log(`row-1a lifecycle, full engine:          ${kb(engine.perCall)}`);
  console.log(
    `the same events on the bare charts:     ${kb(charts.perCall)} (${events} events: ${kb(charts.perCall / events)} per event)`,
  );

  const agent = await agentServer(benchConfig());
  const op = { operationName: 'AttachUserData', userData: { account: '12345' } };
  const operation = await allocated(() => agent.device.operation(agent.callId, op), 20_000);
  const minimal = minimalUserDataActor();
  const step = await allocated(() => minimal.send({ type: 'AttachUserData', userData: { account: '12345' } }), 20_000);
  await agent.close();
  console.log(`one agent operation (AttachUserData):   ${kb(operation.perCall)}`);
  console.log(`one event to a minimal XState actor:    ${kb(step.perCall)}`);

  if (top > 0) {
    console.log(`\nthe ${top} largest allocation sites of the full lifecycle (bytes per lifecycle):`);
    for (const [site, bytes] of [...engine.sites].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`${bytes.toFixed(0).padStart(8)}  ${site}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
