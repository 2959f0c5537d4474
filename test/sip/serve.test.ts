/**
 * `switchboard serve` on SIP, as a user runs it (the built command in a child process, free ports): `--sip`,
 * SWITCHBOARD_SIP_LISTEN and the config file's "sip" object; the banner lists the SIP addresses; no simulator
 * API; a SIPp call to an agent's DN rings the desk and is answered over HTTP; a call to any other number gets
 * 404; SIGTERM BYEs the live call; bad values and a port in use get one clear line and a non-zero exit.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/sip/sipJsStack';
import { assertBuilt, CLI, run, start } from '../support/builtCli';
import { startSipp } from '../support/sipp';

const USERS = { SWITCHBOARD_USERS: 'ann:pw:5005', SWITCHBOARD_SIP_LISTEN: undefined, SWITCHBOARD_LOG_LEVEL: 'warn' };
const auth = { authorization: `Basic ${Buffer.from('ann:pw').toString('base64')}` };

beforeAll(() => assertBuilt());

/** Starts the server with `args`/`env` and waits for its banner; returns it with its HTTP base URL. */
async function serve(args: string[], env: Record<string, string | undefined> = {}) {
  const server = start(CLI, ['serve', '--port', '0', ...args], { ...USERS, ...env });
  await server.until(/try: curl/);
  const base = /listening on (http:\/\/\S+)/.exec(server.stdout())?.[1] as string;
  // Serving (a signal sent at the very instant the banner ends may find no handler yet: a separate problem).
  expect((await fetch(`${base}/healthz`)).status).toBe(200);
  return { server, base };
}

async function waitForCall(base: string, state: string): Promise<string> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
    const body = (await (await fetch(`${base}/api/v2/me/calls`, { headers: auth })).json()) as {
      calls: Array<{ id: string; state: string }>;
    };
    const call = body.calls.find((c) => c.state === state);
    if (call) return call.id;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no ${state} call on the desk within 10 s`);
}

test.each(['udp', 'tcp'] as const)(
  '--sip %s:HOST:PORT: banner, no simulator API; a call to the agent DN is answered over HTTP, BYEd on SIGTERM',
  async (transport) => {
    const sipPort = await freePort('127.0.0.1');
    const { server, base } = await serve(['--sip', `${transport}:127.0.0.1:${sipPort}`]);
    expect(server.stdout()).toContain(`  sip           ${transport}:127.0.0.1:${sipPort}\n`);
    expect(server.stdout()).not.toContain('simulator API');
    expect((await fetch(`${base}/api/v2/simulator/calls`, { method: 'POST', headers: auth })).status).toBe(404);

    // A call for the agent's DN rings the desk; the agent answers: 200 to SIPp. SIGTERM then BYEs it (Q.850 16).
    const caller = await startSipp('uac-bye-from-sut.xml', {
      target: `127.0.0.1:${sipPort}`,
      transport,
      extra: ['-s', '5005'],
    });
    const id = await waitForCall(base, 'Ringing');
    const answer = await fetch(`${base}/api/v2/me/calls/${id}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ operationName: 'Answer' }),
    });
    expect(await answer.json()).toEqual({ statusCode: 0 });
    await waitForCall(base, 'Established');
    // `switchboard calls` shows the SIP leg: its Call-ID (SIPp's: N-PID@127.0.0.2), far end and transport.
    const listed = await run(CLI, ['calls', '--url', base, '--user', 'ann:pw']);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    const sipPortOf = caller.port;
    expect(listed.stdout).toMatch(
      new RegExp(
        `^c-\\S+  inbound  ANSWERED  sipp → 5005  SIP \\d+-\\d+@127\\.0\\.0\\.2 with sip:sipp@127\\.0\\.0\\.2:${sipPortOf}\\S* \\(${transport.toUpperCase()} 127\\.0\\.0\\.2:${sipPortOf}\\)\\n$`,
      ),
    );
    expect(await run(CLI, ['calls', '--url', base, '--user', 'ann:wrong'])).toMatchObject({
      code: 1,
      stderr: `switchboard calls: ${new URL(base).origin} refused the user (401): check --user\n`,
    });
    server.child.kill('SIGTERM');
    expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(await server.exited).toMatchObject({ code: 0, stderr: '' });
  },
  30_000,
);

test('SWITCHBOARD_SIP_LISTEN (comma separated) and a call to a number that is no agent: 404', async () => {
  const sipPort = await freePort('127.0.0.1');
  const { server } = await serve([], { SWITCHBOARD_SIP_LISTEN: `udp:127.0.0.1:${sipPort}, tcp:127.0.0.1:${sipPort}` });
  expect(server.stdout()).toContain(`  sip           udp:127.0.0.1:${sipPort}, tcp:127.0.0.1:${sipPort}\n`);
  const caller = await startSipp('uac-unobtainable.xml', { target: `127.0.0.1:${sipPort}`, transport: 'tcp' });
  expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
  server.child.kill('SIGTERM');
  expect(await server.exited).toMatchObject({ code: 0 });
}, 30_000);

test('the config file\'s "sip" object: listen, agents, gateway and services in the banner; --sip wins', async () => {
  const [filePort, cliPort] = [await freePort('127.0.0.1'), await freePort('127.0.0.1')];
  const file = join(mkdtempSync(join(tmpdir(), 'sb-sip-')), 'config.json');
  writeFileSync(
    file,
    JSON.stringify({
      sip: {
        listen: [`udp:127.0.0.1:${filePort}`],
        agents: { '5005': 'sip:ann@127.0.0.2:5072' },
        gateway: 'sip:127.0.0.2:5080',
        services: { voicemail: 'sip:vm@127.0.0.2:5070' },
        media: { host: '127.0.0.1', ports: [30000, 30099] },
        ringbackTone: 'RINGBACK_UK',
      },
    }),
  );
  const first = await serve(['--config', file]);
  expect(first.server.stdout()).toContain(
    [
      `  sip           udp:127.0.0.1:${filePort}`,
      "                agents' phones: 5005 → sip:ann@127.0.0.2:5072",
      '                numbers go to sip:127.0.0.2:5080',
      '                services: voicemail → sip:vm@127.0.0.2:5070',
      "                transfers' ringback: RINGBACK_UK",
    ].join('\n'),
  );
  first.server.child.kill('SIGTERM');
  expect(await first.server.exited).toMatchObject({ code: 0 });
  const second = await serve(['--config', file, '--sip', `tcp:127.0.0.1:${cliPort}`]);
  expect(second.server.stdout()).toContain(`  sip           tcp:127.0.0.1:${cliPort}\n`);
  second.server.child.kill('SIGTERM');
  expect(await second.server.exited).toMatchObject({ code: 0 });
}, 30_000);

test('a SIP port in use: one line saying so, exit code 1', async () => {
  const sipPort = await freePort('127.0.0.1');
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(sipPort, '127.0.0.1', () => r()));
  try {
    const { code, stdout, stderr } = await run(
      CLI,
      ['serve', '--port', '0', '--sip', `udp:127.0.0.1:${sipPort}`],
      USERS,
    );
    expect({ code, stdout, stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(
        new RegExp(`^switchboard serve: cannot listen for SIP on udp:127\\.0\\.0\\.1:${sipPort}: .*EADDRINUSE.*\\n$`),
      ),
    });
  } finally {
    socket.close();
  }
}, 20_000);

test.each([
  [['--sip', 'udp:127.0.0.1'], {}, '--sip must be udp:HOST:PORT or tcp:HOST:PORT (port 0-65535), got "udp:127.0.0.1"'],
  [['--sip', 'sctp:127.0.0.1:5060'], {}, '--sip must be udp:HOST:PORT or tcp:HOST:PORT'],
  [
    ['--sip', 'udp:127.0.0.1:5060', '--sip', 'tcp:127.0.0.1:5062'],
    {},
    '--sip: every address must have the same host and port',
  ],
  [[], { SWITCHBOARD_SIP_LISTEN: 'udp:127.0.0.1:99999' }, 'SWITCHBOARD_SIP_LISTEN must be udp:HOST:PORT'],
])('a bad SIP address %j %j: one line naming the option, exit code 2', async (args, env, message) => {
  const { code, stdout, stderr } = await run(CLI, ['serve', '--port', '0', ...args], { ...USERS, ...env });
  expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
  expect(stderr).toBe(`switchboard serve: ${stderr.slice('switchboard serve: '.length).split('\n')[0]}\n`);
  expect(stderr).toContain(message);
});

test("the config file's sip.ringbackTone that is no tone: one line naming it, exit code 2", async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sb-sip-')), 'config.json');
  writeFileSync(file, JSON.stringify({ sip: { listen: ['udp:127.0.0.1:0'], ringbackTone: 'uk' } }));
  const { code, stdout, stderr } = await run(CLI, ['serve', '--port', '0', '--config', file], USERS);
  expect({ code, stdout, stderr }).toEqual({
    code: 2,
    stdout: '',
    stderr:
      'switchboard serve: sip: ringbackTone must be one of RINGBACK, RINGBACK_US, RINGBACK_UK, RINGBACK_EU, DIAL, ' +
      'got "uk"\n',
  });
}, 20_000);

test('--sip needs a value', async () => {
  expect(await run(CLI, ['serve', '--sip'], USERS)).toMatchObject({
    code: 2,
    stderr: "switchboard serve: option --sip needs a value\nTry 'switchboard serve --help'.\n",
  });
});
