/**
 * CometD leaves nothing behind: a device is listened to only while it has subscribers, and 10,000 clients
 * that connect, subscribe and disconnect leave the listener counts and the module's records exactly where
 * they started, and the heap flat (measured with global.gc in a child process, node --expose-gc).
 */
import { execFileSync } from 'node:child_process';
import { cycles, post, records } from './cometdCycles';
import { startServer } from './support';

// agent5005's one listener is the test server's own (it records every notification, see support.ts).
const EMPTY = { listeners: { agent5005: 1, agent5006: 0 }, clients: 0, channels: 0, devices: 0, webSockets: 0 };

test('a device listener exists only while the device has subscribers, and closing removes it', async () => {
  const s = await startServer();
  expect(records(s)).toEqual(EMPTY);
  const seen: object[] = [];
  await cycles(s, 4, () => seen.push(records(s)));
  // While subscribed (to both channels): one listener on that agent's device, none on the other's.
  expect(seen).toEqual([
    { ...EMPTY, listeners: { agent5005: 2, agent5006: 0 }, clients: 1, channels: 2, devices: 1 },
    { ...EMPTY, listeners: { agent5005: 1, agent5006: 1 }, clients: 1, channels: 2, devices: 1 },
    { ...EMPTY, listeners: { agent5005: 2, agent5006: 0 }, clients: 1, channels: 2, devices: 1 },
    { ...EMPTY, listeners: { agent5005: 1, agent5006: 1 }, clients: 1, channels: 2, devices: 1 },
  ]);
  expect(records(s)).toEqual(EMPTY);
  // A client still subscribed when the server closes: its device listener goes too.
  const [hs] = await post(s, [
    {
      channel: '/meta/handshake',
      version: '1.0',
      supportedConnectionTypes: ['long-polling'],
      ext: { authentication: { user: 'agent5005', password: 'pw-5005' } },
    },
  ]);
  await post(s, [{ channel: '/meta/subscribe', clientId: hs.clientId, subscription: '/v2/me/calls' }]);
  expect(records(s).listeners.agent5005).toBe(2);
  await s.close();
  expect(records(s)).toEqual(EMPTY);
});

test('10,000 connect/subscribe/disconnect cycles leave listener counts and records exact, and the heap flat', () => {
  const out = execFileSync(process.execPath, ['--expose-gc', '-r', 'esbuild-register', 'test/http/cometdCycles.ts'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  const result = JSON.parse(out) as {
    before: object;
    after: object;
    heapBefore: number;
    heapAfter: number;
    ms: number;
  };
  expect(result.before).toEqual(EMPTY);
  expect(result.after).toEqual(EMPTY);
  // Under 1 MiB for 10,000 cycles: a leak of a single 100-byte record per cycle would show.
  expect(result.heapAfter - result.heapBefore).toBeLessThan(1024 * 1024);
}, 30_000);
