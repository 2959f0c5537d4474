/**
 * A node process for the outbox crash tests, run as `node -r esbuild-register test/support/outboxNode.ts`.
 * Environment: REDIS_URL, NODE_ID, RECEIVER (base URL), LEASE_MS, SCENARIO=1 to also run calls. It takes the
 * node's lease, re-delivers what the outbox holds, and (with SCENARIO) runs calls on a simulated clock whose
 * callbacks go to RECEIVER. Prints one JSON line per event: `{"recovered":n}`, `{"appended":entry}` for each
 * callback once it is in the outbox, `{"appendedAll":n}` when every callback of the calls is, `{"idle":true}`
 * once nothing is pending. SIGTERM stops it gracefully.
 */
import { createRedisStore } from '../../src';
import { WebhookDeliverer } from '../../src/webhooks/deliverer';
import type { Outbox } from '../../src/webhooks/outbox';
import { threeFamilies, urls } from './webhookCalls';

const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
const quiet = {
  info: () => undefined,
  warn: () => undefined,
  error: (o: object, m?: string) => say({ error: m, ...o }),
};

async function main(): Promise<void> {
  const env = process.env;
  const store = createRedisStore({
    url: env.REDIS_URL as string,
    nodeId: env.NODE_ID,
    leaseMs: Number(env.LEASE_MS ?? 1000),
  });
  await store.start();
  const inner = store.outbox();
  let appended = 0;
  const outbox: Outbox = {
    durable: inner.durable,
    append: async (entry) => {
      const ref = await inner.append(entry);
      appended++;
      say({ appended: entry });
      return ref;
    },
    ack: (ref) => inner.ack(ref),
    pending: () => inner.pending(),
  };
  const deliverer = new WebhookDeliverer(
    { ...urls(env.RECEIVER as string), callbackTimeout: 60, retryDelaysMs: [50, 100, 200] },
    quiet,
    outbox,
  );
  say({ recovered: await deliverer.recover() });
  if (env.SCENARIO === '1') {
    const emitted = (await threeFamilies(deliverer)).length;
    while (appended < emitted) await new Promise((r) => setTimeout(r, 5));
    say({ appendedAll: emitted });
  }
  while (deliverer.stats().pending > 0) await new Promise((r) => setTimeout(r, 10));
  say({ idle: true });
  process.once('SIGTERM', () => {
    void deliverer
      .drain(1000)
      .then(() => store.close())
      .then(() => process.exit(0));
  });
  setInterval(() => undefined, 1 << 30);
}

main().catch((error: unknown) => {
  say({ fatal: String(error) });
  process.exit(1);
});
