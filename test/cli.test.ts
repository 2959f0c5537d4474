/**
 * The `switchboard` command: help, version, causes, and clear errors for what it does not know; then the built
 * command (dist/) as a user runs it: help for every command, one-line errors and exit codes, the demo, the
 * server's logging, and the CometD subscription example (`npm run subscribe`).
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main';
import { resolveLogging } from '../src/cli/logging';
import { defaultUrl } from '../examples/cometd-subscribe';
import { assertBuilt, CLI, ROOT, run as runNode, start, switchboard } from './support/builtCli';
import { startServer } from './http/support';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('help lists the commands', async () => {
  const { code, out } = await run('--help');
  expect(code).toBe(0);
  expect(out).toMatch(/Usage: switchboard <command>/);
  expect(out.match(/^ {2}[a-z]+/gm)).toEqual(['  serve', '  demo', '  diagram', '  calls', '  causes', '  help']);
  expect((await run('help', 'demo')).out).toMatch(/^Usage: switchboard demo \[ivr\|agent\] \[--json\]\n/);
});

test('--version prints the package version', async () => {
  const { code, out } = await run('--version');
  expect(code).toBe(0);
  expect(out).toBe(JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')).version);
});

test('causes prints the whole table', async () => {
  const { code, out } = await run('causes');
  expect(code).toBe(0);
  const lines = out.split('\n');
  expect(lines[0]).toMatch(/^engine\s+Aculab\s+Bandwidth\s+Catapult v1\s+Q\.850\s+SIP\s+Twilio$/);
  expect(lines).toHaveLength(21);
  expect(out).toMatch(/busy\s+BUSY\s+busy\s+USER_BUSY\s+17\s+486\s+busy/);
});

test('unknown commands and options are refused with exit code 2, what was wrong and a hint', async () => {
  expect(await run('serve-me')).toEqual({
    code: 2,
    out: '',
    err: "switchboard: unknown command 'serve-me'\nTry 'switchboard --help'.",
  });
  expect(await run('demo', '--fast')).toEqual({
    code: 2,
    out: '',
    err: "switchboard demo: unknown option '--fast'\nTry 'switchboard demo --help'.",
  });
  expect(await run('demo', 'agent', 'extra')).toMatchObject({
    code: 2,
    err: expect.stringMatching(/^switchboard demo: unexpected argument 'extra'\n/),
  });
  expect(await run('help', 'constructor')).toMatchObject({
    code: 2,
    err: expect.stringMatching(/^switchboard: unknown command 'constructor'\n/),
  });
  expect(await run('toString')).toMatchObject({
    code: 2,
    err: expect.stringMatching(/^switchboard: unknown command 'toString'\n/),
  });
  expect(await run('demo', 'fast')).toMatchObject({
    code: 2,
    err: expect.stringMatching(/^switchboard demo: unknown demo 'fast' \(demos: ivr, agent\)\n/),
  });
});

test('docs/causes.md holds the table `switchboard causes --markdown` prints', async () => {
  const { code, out } = await run('causes', '--markdown');
  expect(code).toBe(0);
  const doc = readFileSync(join(__dirname, '..', 'docs', 'causes.md'), 'utf8');
  expect(doc).toContain(out);
});

test('serve refuses to start without users, or with a bad config file, saying what to do', async () => {
  const saved = process.env.SWITCHBOARD_USERS;
  delete process.env.SWITCHBOARD_USERS;
  try {
    const none = await run('serve', '--port', '0');
    expect(none.code).toBe(2);
    expect(none.err).toMatch(
      /no users configured\. Give --config FILE \(see config\/demo\.json\) or set\n\s+SWITCHBOARD_USERS=username:password:deviceDn/,
    );
    expect(await run('serve', '--config', '/nonexistent.json')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/cannot read config file \/nonexistent\.json/),
    });
    expect(await run('serve', '--colour')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/unknown option '--colour'/),
    });
    expect(await run('serve', '--port', 'eighty')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^switchboard serve: --port must be a whole number from 0 to 65535; got 'eighty'\n/),
    });
  } finally {
    if (saved !== undefined) process.env.SWITCHBOARD_USERS = saved;
  }
});

test('the demo config says plainly that it is a demo', () => {
  const demo = JSON.parse(readFileSync(join(__dirname, '..', 'config', 'demo.json'), 'utf8'));
  expect(demo.notice).toMatch(/^DEMO CONFIGURATION/);
});

describe('diagram', () => {
  test('--list names every machine with what it is', async () => {
    const { code, out } = await run('diagram', '--list');
    expect(code).toBe(0);
    expect(out.split('\n').map((l) => l.split(/\s+/)[0])).toEqual([
      'channel',
      'retrievable-transfer',
      'agent-call',
      'consult-transfer',
      'conference',
    ]);
    expect(out).toMatch(/retrievable-transfer\s+a retrievable transfer/);
  });

  test('prints each format (Mermaid by default)', async () => {
    expect((await run('diagram', 'channel')).out).toMatch(/^---\ntitle: channel\n---\nstateDiagram-v2\n/);
    expect((await run('diagram', 'consult-transfer', '--format', 'dot')).out).toMatch(/^digraph "consultTransfer" \{/);
    expect((await run('diagram', 'agent-call', '--format', 'scxml')).out).toMatch(
      /<scxml xmlns="http:\/\/www\.w3\.org\/2005\/07\/scxml"/,
    );
    const svg = await run('diagram', 'retrievable-transfer', '--format', 'svg');
    expect(svg.code).toBe(0);
    expect(svg.out).toMatch(/<svg[\s\S]*id="state_retrievableTransfer\.transferred"[\s\S]*<\/svg>$/);
  });

  test('--out writes the file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sb-diagram-')), 'channel.dot');
    const { code, out } = await run('diagram', 'channel', '--format', 'dot', '--out', file);
    expect(code).toBe(0);
    expect(out).toBe(`wrote ${file}`);
    expect(readFileSync(file, 'utf8')).toMatch(/^digraph "channel"/);
  });

  test('bad input is refused with exit code 2, what was wrong and a hint', async () => {
    expect(await run('diagram')).toMatchObject({
      code: 2,
      err: "switchboard diagram: which machine? (switchboard diagram --list)\nTry 'switchboard diagram --help'.",
    });
    expect(await run('diagram', 'phone')).toMatchObject({
      code: 2,
      err: expect.stringMatching(
        /unknown machine 'phone' \(machines: channel, retrievable-transfer, agent-call, consult-transfer, conference\)/,
      ),
    });
    expect(await run('diagram', 'channel', '--format', 'png')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/unknown format 'png' \(formats: mermaid, dot, scxml, svg\)/),
    });
    expect(await run('diagram', 'channel', '--format')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/option --format needs a value/),
    });
    expect(await run('diagram', 'channel', '--colour', 'red')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/unknown option '--colour'/),
    });
    expect(await run('diagram', '--list', 'x')).toMatchObject({ code: 2 });
    expect(await run('diagram', '--docs')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/option --docs needs a value/),
    });
    expect(await run('diagram', 'channel', '--list')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/give one of: a machine, --list or --docs DIR/),
    });
  });

  test('docs/diagrams.md and docs/diagrams/*.svg are what `switchboard diagram --docs docs` writes (run `npm run docs:diagrams`)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-docs-'));
    expect((await run('diagram', '--docs', dir)).code).toBe(0);
    for (const name of [
      'diagrams.md',
      ...['channel', 'retrievable-transfer', 'agent-call', 'consult-transfer', 'conference'].map(
        (m) => `diagrams/${m}.svg`,
      ),
    ]) {
      expect([name, readFileSync(join(__dirname, '..', 'docs', name), 'utf8')]).toEqual([
        name,
        readFileSync(join(dir, name), 'utf8'),
      ]);
    }
  });
});

test('serve logs pretty lines on a terminal and JSON into a pipe or file, unless told (flag, then environment)', () => {
  expect(resolveLogging({ env: {}, isTTY: true })).toEqual({ level: 'info', format: 'pretty' });
  expect(resolveLogging({ env: {}, isTTY: false })).toEqual({ level: 'info', format: 'json' });
  const env = { SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_LOG_FORMAT: 'pretty' };
  expect(resolveLogging({ env, isTTY: false })).toEqual({ level: 'warn', format: 'pretty' });
  expect(resolveLogging({ level: 'debug', format: 'json', env, isTTY: true })).toEqual({
    level: 'debug',
    format: 'json',
  });
  expect(() => resolveLogging({ env: { SWITCHBOARD_LOG_LEVEL: 'loud' }, isTTY: true })).toThrow(
    "SWITCHBOARD_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got 'loud'",
  );
});

test('the subscription example connects to SWITCHBOARD_HOST:SWITCHBOARD_PORT by default', () => {
  expect(defaultUrl({})).toBe('http://127.0.0.1:8080');
  expect(defaultUrl({ SWITCHBOARD_PORT: '9000' })).toBe('http://127.0.0.1:9000');
  expect(defaultUrl({ SWITCHBOARD_HOST: '0.0.0.0', SWITCHBOARD_PORT: '9000' })).toBe('http://127.0.0.1:9000'); // a bind-all address
  expect(defaultUrl({ SWITCHBOARD_HOST: '::1' })).toBe('http://[::1]:8080');
});

test('the README runs the command as `npx switchboard …` (a bare `switchboard` is not on the PATH after npm install)', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const shell = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1].split('\n'));
  expect(shell.filter((line) => /^\s*(switchboard|node dist\/src\/cli\/main\.js) /.test(line))).toEqual([]);
  expect(shell.filter((line) => /^npx switchboard /.test(line)).length).toBeGreaterThan(3);
});

describe('the built command, as a user runs it (dist/src/cli/main.js)', () => {
  beforeAll(() => assertBuilt());

  test('every command takes -h and --help: exit code 0, its usage on stdout, nothing on stderr', async () => {
    const cases: Array<[string[], string]> = [
      [[], 'Usage: switchboard <command>'],
      [['--help'], 'Usage: switchboard <command>'],
      [['-h'], 'Usage: switchboard <command>'],
      [['help'], 'Usage: switchboard <command>'],
    ];
    for (const command of ['serve', 'demo', 'diagram', 'causes']) {
      for (const args of [
        [command, '--help'],
        [command, '-h'],
        ['help', command],
      ])
        cases.push([args, `Usage: switchboard ${command} `]);
    }
    cases.push([['diagram', 'channel', '--format', 'png', '-h'], 'Usage: switchboard diagram ']); // help wins over the rest
    const results = await Promise.all(cases.map(([args]) => switchboard(...args)));
    results.forEach((result, i) =>
      expect([cases[i][0], result.code, result.stdout.startsWith(cases[i][1]), result.stderr]).toEqual([
        cases[i][0],
        0,
        true,
        '',
      ]),
    );
    expect(results[4].stdout).toMatch(/--log-level LEVEL\s+fatal, error, warn, info, debug, trace, silent/);
  }, 30_000);

  test('a wrong command line: one line saying what is wrong, a hint to --help, exit code 2, nothing on stdout', async () => {
    const cases: Array<[string[], string, string]> = [
      [['nope'], "switchboard: unknown command 'nope'", 'switchboard --help'],
      [['--nope'], "switchboard: unknown option '--nope'", 'switchboard --help'],
      [['help', 'nope'], "switchboard: unknown command 'nope'", 'switchboard --help'],
      [['serve', '--colour'], "switchboard serve: unknown option '--colour'", 'switchboard serve --help'],
      [['serve', '--port'], 'switchboard serve: option --port needs a value', 'switchboard serve --help'],
      [['serve', '--port', '-1'], 'switchboard serve: option --port needs a value', 'switchboard serve --help'],
      [
        ['serve', '--port', '70000'],
        "switchboard serve: --port must be a whole number from 0 to 65535; got '70000'",
        'switchboard serve --help',
      ],
      [
        ['serve', '--log-level', 'loud'],
        "switchboard serve: --log-level must be one of fatal, error, warn, info, debug, trace, silent; got 'loud'",
        'switchboard serve --help',
      ],
      [
        ['serve', '--log-format', 'xml'],
        "switchboard serve: --log-format must be one of pretty, json; got 'xml'",
        'switchboard serve --help',
      ],
      [['serve', 'now'], "switchboard serve: unexpected argument 'now'", 'switchboard serve --help'],
      [['demo', 'fast'], "switchboard demo: unknown demo 'fast' (demos: ivr, agent)", 'switchboard demo --help'],
      [['demo', '--json=yes'], 'switchboard demo: option --json takes no value', 'switchboard demo --help'],
      [
        ['diagram', 'channel', '--format', 'png'],
        "switchboard diagram: unknown format 'png' (formats: mermaid, dot, scxml, svg)",
        'switchboard diagram --help',
      ],
      [['diagram', 'channel', '-x'], "switchboard diagram: unknown option '-x'", 'switchboard diagram --help'],
      [
        ['causes', '--markdown', 'extra'],
        "switchboard causes: unexpected argument 'extra'",
        'switchboard causes --help',
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => switchboard(...args)));
    results.forEach((result, i) => {
      const [args, line, hint] = cases[i];
      expect([args, result]).toEqual([args, { code: 2, stdout: '', stderr: `${line}\nTry '${hint}'.\n` }]);
    });
  }, 30_000);

  test('diagram --out into a directory that does not exist: one line, exit code 1, no stack trace', async () => {
    expect(await switchboard('diagram', 'channel', '--format', 'svg', '--out', '/no/such/dir/x.svg')).toEqual({
      code: 1,
      stdout: '',
      stderr:
        "switchboard diagram: cannot write /no/such/dir/x.svg: ENOENT: no such file or directory, open '/no/such/dir/x.svg'\n",
    });
  });

  test('demo runs the compiled example by path (the command imports nothing from examples/) and prints its timeline', async () => {
    for (const file of readdirSync(join(ROOT, 'dist', 'src', 'cli')).filter((f) => f.endsWith('.js'))) {
      expect([
        file,
        readFileSync(join(ROOT, 'dist', 'src', 'cli', file), 'utf8').match(/require\("[^"]*examples[^"]*"\)/g),
      ]).toEqual([file, null]);
    }
    const { code, stdout, stderr } = await switchboard('demo', 'ivr'); // the real clock: about four seconds
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout).toMatch(/ivr\s+transferToInboundService resolved TRANSFERRED, transferCause NORMAL/);
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(/done\s+legs=0 transfers=0 timers=0$/);
  }, 20_000);

  describe('serve: what it logs', () => {
    const USERS = {
      SWITCHBOARD_USERS: 'ann:pw:5005',
      SWITCHBOARD_LOG_LEVEL: undefined,
      SWITCHBOARD_LOG_FORMAT: undefined,
    };

    /** Start the server on a free port, make three requests, stop it with SIGTERM; its exit code and output. */
    async function session(args: string[], env: Record<string, string | undefined> = {}) {
      const server = start(CLI, ['serve', '--port', '0', ...args], { ...USERS, ...env });
      await server.until(/switchboard is listening on http:\/\/127\.0\.0\.1:\d+/);
      const base = /listening on (http:\/\/\S+)/.exec(server.stdout())?.[1] as string;
      const auth = { authorization: `Basic ${Buffer.from('ann:pw').toString('base64')}` };
      expect((await fetch(`${base}/api/v2/me`, { headers: auth })).status).toBe(200);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/api/v2/nowhere`, { headers: auth })).status).toBe(404);
      server.child.kill('SIGTERM');
      const { code, stdout, stderr } = await server.exited;
      return { code, stderr, logs: stdout.split('\n').filter((l) => !/^(\s|switchboard is listening|$)/.test(l)) };
    }
    const json = (logs: string[]) => logs.map((l) => JSON.parse(l) as Record<string, unknown>);

    test('into a pipe, by default: JSON lines at info, and not one line per request', async () => {
      const { code, stderr, logs } = await session([]);
      expect([code, stderr]).toEqual([0, '']);
      expect(json(logs).map((l) => [l.level, l.msg])).toEqual([
        [30, expect.stringMatching(/^Server listening at http:\/\/127\.0\.0\.1:\d+$/)],
        [30, 'shutting down'],
      ]);
    });

    test('--log-level debug (or SWITCHBOARD_LOG_LEVEL=debug): one line per request, at debug', async () => {
      for (const [args, env] of [
        [['--log-level', 'debug'], {}],
        [[], { SWITCHBOARD_LOG_LEVEL: 'debug' }],
      ] as const) {
        const { code, logs } = await session([...args], env);
        expect(code).toBe(0);
        const requests = json(logs).filter((l) => l.msg === 'request');
        expect(requests.map((l) => [l.level, l.method, l.url, l.statusCode])).toEqual([
          [20, 'GET', '/api/v2/me', 200],
          [20, 'GET', '/healthz', 200],
          [20, 'GET', '/api/v2/nowhere', 404],
        ]);
        expect(JSON.stringify(logs)).not.toContain('Basic '); // no credentials in the logs
      }
    });

    test('--log-format pretty: readable lines (no colour codes outside a terminal)', async () => {
      const { code, logs } = await session(['--log-format', 'pretty']);
      expect(code).toBe(0);
      expect(logs).toEqual([
        expect.stringMatching(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Server listening at http:\/\/127\.0\.0\.1:\d+$/),
        expect.stringMatching(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: shutting down \{"signal":"SIGTERM"\}$/),
      ]);
    });

    test('a SWITCHBOARD_LOG_LEVEL that is not a level: one line, exit code 2', async () => {
      expect(await runNode(CLI, ['serve', '--port', '0'], { ...USERS, SWITCHBOARD_LOG_LEVEL: 'loud' })).toEqual({
        code: 2,
        stdout: '',
        stderr:
          "switchboard serve: SWITCHBOARD_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got 'loud'\nTry 'switchboard serve --help'.\n",
      });
    });
  });

  describe('npm run subscribe (dist/examples/cometd-subscribe.js)', () => {
    const SUBSCRIBE = join(ROOT, 'dist', 'examples', 'cometd-subscribe.js');

    test('with no server there: says it cannot reach it, at the URL from SWITCHBOARD_PORT, exit code 1', async () => {
      const port = await new Promise<number>((resolve) => {
        const probe = createNetServer().listen(0, '127.0.0.1', () => {
          const { port: free } = probe.address() as { port: number };
          probe.close(() => resolve(free));
        });
      });
      const { code, stdout, stderr } = await runNode(SUBSCRIBE, ['agent5005', 'pw-5005'], {
        SWITCHBOARD_PORT: String(port),
        SWITCHBOARD_HOST: undefined,
      });
      expect([code, stdout]).toEqual([1, '']);
      expect(stderr.trimEnd().split('\n').at(-1)).toBe(
        `cannot reach the server at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port} (is it running? npm start)`,
      );
    });

    test('wrong credentials are said plainly (exit code 1); the right ones subscribe and print notifications', async () => {
      const s = await startServer();
      try {
        const port = new URL(s.base).port;
        const env = { SWITCHBOARD_PORT: port, SWITCHBOARD_HOST: '127.0.0.1' };
        expect(await runNode(SUBSCRIBE, ['agent5005', 'nope'], env)).toEqual({
          code: 1,
          stdout: '',
          stderr: `handshake refused at http://127.0.0.1:${port}: wrong username or password (401::Authentication failed)\n`,
        });
        const client = start(SUBSCRIBE, ['agent5005', 'pw-5005'], env);
        await client.until(/^subscribed to \/v2\/me\/calls at http:\/\/127\.0\.0\.1:\d+ as agent5005; waiting/);
        await s.request('POST', '/api/v2/simulator/calls', { body: { from: '5000', to: '5005' } });
        await client.until(/\n\/v2\/me\/calls {2}\S+ {2}Ringing {5}Internal/);
        client.child.kill('SIGTERM');
        await client.exited;
      } finally {
        await s.close();
      }
    });

    test('a wrong command line: the usage, exit code 2', async () => {
      const usage = 'usage: npm run subscribe -- <username> <password> [--url http://127.0.0.1:8080] [--websocket]\n';
      expect(await runNode(SUBSCRIBE, ['agent5005'])).toEqual({ code: 2, stdout: '', stderr: usage });
      expect(await runNode(SUBSCRIBE, ['agent5005', 'pw', '--colour'])).toEqual({
        code: 2,
        stdout: '',
        stderr: `Unknown option '--colour'\n${usage}`,
      });
      expect(await runNode(SUBSCRIBE, ['--help'])).toEqual({ code: 0, stdout: usage, stderr: '' });
    });
  });
});
