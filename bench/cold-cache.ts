/**
 * `npm run bench:cold-cache`: how much one agent operation costs when the CPU caches are cold, as they are
 * for each request of a loaded server whose two cores it shares with the load generator and the kernel.
 * In-process, no HTTP. Each step is timed alone, either back to back (hot) or after sweeping a buffer larger
 * than the caches (cold). Steps:
 * - operation: `AgentDevice.operation` AttachUserData on an answered call (what the HTTP figure measures);
 * - minimal XState send: one event to the smallest XState actor that keeps user data (one `assign`);
 * - JSON round trip: parse and stringify the request's body (a control: small code, small data);
 * - spin: a plain loop of about the same hot cost as the operation, with a tiny footprint (a control).
 * Options: `--mib N` (32), the size of the buffer swept between steps.
 */
import { minimalUserDataActor } from './scenarios';
import { wholeNumberOption } from './args';
import { agentServer, benchConfig } from './http';

type Step = () => unknown;

async function main(): Promise<void> {
  const mib = wholeNumberOption('--mib', 32);
  const agent = await agentServer(benchConfig());
  const op = { operationName: 'AttachUserData', userData: { account: '12345' } };
  const minimal = minimalUserDataActor();
  let sink = 0;
  const spin = () => {
    for (let i = 0; i < 1_000; i++) sink = (sink * 31 + i) | 0;
  };
  const buffer = new Float64Array((mib * 1024 * 1024) / 8);
  const sweep = () => {
    for (let i = 0; i < buffer.length; i += 8) buffer[i] += 1; // one write per 64-byte line
  };
  const steps: [string, Step][] = [
    ['operation', () => agent.device.operation(agent.callId, op)],
    ['minimal XState send', () => minimal.send({ type: 'AttachUserData', userData: { account: '12345' } })],
    ['JSON round trip (control)', () => JSON.stringify(JSON.parse(JSON.stringify(op)))],
    ['spin (control)', spin],
  ];

  const timeOne = async (step: Step, cold: boolean, n: number) => {
    let total = 0;
    for (let i = 0; i < n; i++) {
      if (cold) sweep();
      const start = performance.now();
      await step();
      total += performance.now() - start;
    }
    return (total * 1000) / n;
  };
  console.log(`each step timed alone, µs (median of 3 batches; cold = after sweeping ${mib} MiB):`);
  console.log('| step | hot | cold | cold / hot |\n|---|---|---|---|');
  for (const [name, step] of steps) {
    await timeOne(step, false, 5_000); // warm up the JIT
    const hot: number[] = [];
    const cold: number[] = [];
    for (let batch = 0; batch < 3; batch++) {
      hot.push(await timeOne(step, false, 5_000));
      cold.push(await timeOne(step, true, 300));
    }
    const h = hot.sort((a, b) => a - b)[1];
    const c = cold.sort((a, b) => a - b)[1];
    console.log(`| ${name} | ${h.toFixed(1)} | ${c.toFixed(1)} | ${(c / h).toFixed(1)}× |`);
  }
  await agent.close();
  if (sink === 0.5) console.log(sink); // keeps the control's work observable
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
