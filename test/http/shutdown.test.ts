/**
 * `switchboard serve` as a real child process (dist/, so run `npm run build` first) with CometD clients
 * connected over long-polling and WebSocket: SIGTERM or SIGINT stops it within the drain bound, exit code 0,
 * and each client was told to handshake again (elsewhere) before its connection closed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CometD, Message } from 'cometd';
import { connect, subscribe, until } from './cometdClient';

const DRAIN_BOUND_MS = 10_000;

async function startChild(): Promise<{ child: ChildProcess; base: string; exited: Promise<number | null> }> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-shutdown-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ users: [{ username: 'ann', password: 'pw', deviceDn: '5005' }] }));
  const child = spawn(process.execPath, ['dist/src/cli/main.js', 'serve', '--config', file, '--port', '0'], {
    env: { ...process.env, SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_USERS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await until(() => /listening on (http:\/\/\S+)/.test(out), 'the server to listen');
  return { child, base: (/listening on (http:\/\/\S+)/.exec(out) as RegExpExecArray)[1], exited };
}

describe.each(['SIGTERM', 'SIGINT'] as const)('%s with CometD clients connected', (signal) => {
  test('the process exits with 0 within the drain bound; long-polling and WebSocket clients are told to handshake again', async () => {
    const { child, base, exited } = await startChild();
    const clients: CometD[] = [];
    try {
      const told: Record<string, Message[]> = { 'long-polling': [], websocket: [] };
      let signalled = false;
      for (const transport of ['long-polling', 'websocket'] as const) {
        const cometd = await connect(base, transport, { ext: { user: 'ann', password: 'pw' } });
        clients.push(cometd);
        expect(await subscribe(cometd, '/v2/me/calls', [])).toMatchObject({ successful: true });
        cometd.addListener('/meta/connect', (m: Message) => {
          if (!signalled) return;
          told[transport].push(m);
          cometd.disconnect(); // the test's client does not go on to another server
        });
      }
      // Both clients now hold a pending /meta/connect (the server answers it only on news or after 25 s).
      await new Promise((r) => setTimeout(r, 300));

      const started = Date.now();
      signalled = true;
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'still running'>(
        (r) => (timer = setTimeout(() => r('still running'), DRAIN_BOUND_MS + 2000)),
      );
      const code = await Promise.race([exited, late]);
      clearTimeout(timer);
      const elapsed = Date.now() - started;
      expect(code).toBe(0);
      expect(elapsed).toBeLessThan(DRAIN_BOUND_MS);
      for (const transport of ['long-polling', 'websocket']) {
        // The held /meta/connect was answered with the advice to handshake again, not failed by a dropped socket.
        expect(told[transport][0]).toMatchObject({ successful: true, advice: { reconnect: 'handshake' } });
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
      for (const cometd of clients) cometd.disconnect();
      await until(() => clients.every((cometd) => cometd.isDisconnected()), 'the clients to stop');
    }
  }, 20_000);
});

test('SIGTERM with an inspector page open: its event stream is ended cleanly, and the process exits with 0', async () => {
  const { child, base, exited } = await startChild();
  try {
    const { ended } = await new Promise<{ ended: Promise<string> }>((resolve, reject) => {
      const request = get(
        `${base}/inspect/events`,
        { headers: { authorization: `Basic ${Buffer.from('ann:pw').toString('base64')}` } },
        (res) => {
          expect(res.statusCode).toBe(200);
          const ended = new Promise<string>((done) => {
            res.once('end', () => done('ended'));
            res.once('aborted', () => done('cut'));
            res.once('error', () => done('cut'));
          });
          res.resume();
          resolve({ ended });
        },
      );
      request.once('error', reject);
    });
    child.kill('SIGTERM');
    // Ended by the server as it closes, not cut at the shutdown bound (which would also end it, as an abort).
    expect(await ended).toBe('ended');
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  }
}, 20_000);
