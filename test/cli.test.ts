/** The `switchboard` command: help, version, causes, and clear errors for what it does not know. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('help lists the commands', async () => {
  const { code, out } = await run('--help');
  expect(code).toBe(0);
  expect(out).toMatch(/Usage: switchboard <command>/);
  expect(out).toMatch(/demo \[ivr\|agent\] \[--json\]/);
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

test('unknown commands and options are refused with exit code 2 and the help', async () => {
  expect(await run('serve-me')).toMatchObject({ code: 2, err: expect.stringMatching(/unknown command 'serve-me'[\s\S]*Usage/) });
  expect(await run('demo', '--fast')).toMatchObject({ code: 2, err: expect.stringMatching(/unknown demo or option '--fast'/) });
  expect(await run('demo', 'agent', 'extra')).toMatchObject({ code: 2 });
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
    expect(none.err).toMatch(/no users configured\. Give --config FILE \(see config\/demo\.json\) or set\n\s+SWITCHBOARD_USERS=username:password:deviceDn/);
    expect(await run('serve', '--config', '/nonexistent.json')).toMatchObject({ code: 2, err: expect.stringMatching(/cannot read config file \/nonexistent\.json/) });
    expect(await run('serve', '--colour')).toMatchObject({ code: 2, err: expect.stringMatching(/unknown option '--colour'/) });
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
    expect(out.split('\n').map((l) => l.split(/\s+/)[0])).toEqual(['channel', 'retrievable-transfer', 'agent-call', 'consult-transfer']);
    expect(out).toMatch(/retrievable-transfer\s+a retrievable transfer/);
  });

  test('prints each format (Mermaid by default)', async () => {
    expect((await run('diagram', 'channel')).out).toMatch(/^---\ntitle: channel\n---\nstateDiagram-v2\n/);
    expect((await run('diagram', 'consult-transfer', '--format', 'dot')).out).toMatch(/^digraph "consultTransfer" \{/);
    expect((await run('diagram', 'agent-call', '--format', 'scxml')).out).toMatch(/<scxml xmlns="http:\/\/www\.w3\.org\/2005\/07\/scxml"/);
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

  test('bad input is refused with exit code 2, what was wrong and the usage', async () => {
    expect(await run('diagram')).toMatchObject({ code: 2, err: expect.stringMatching(/which machine\? \(switchboard diagram --list\)[\s\S]*Usage/) });
    expect(await run('diagram', 'phone')).toMatchObject({ code: 2, err: expect.stringMatching(/unknown machine 'phone' \(machines: channel, retrievable-transfer, agent-call, consult-transfer\)/) });
    expect(await run('diagram', 'channel', '--format', 'png')).toMatchObject({ code: 2, err: expect.stringMatching(/unknown format 'png' \(formats: mermaid, dot, scxml, svg\)/) });
    expect(await run('diagram', 'channel', '--format')).toMatchObject({ code: 2, err: expect.stringMatching(/option --format needs a value/) });
    expect(await run('diagram', 'channel', '--colour', 'red')).toMatchObject({ code: 2, err: expect.stringMatching(/unknown option '--colour'/) });
    expect(await run('diagram', '--list', 'x')).toMatchObject({ code: 2 });
    expect(await run('diagram', '--docs')).toMatchObject({ code: 2, err: expect.stringMatching(/--docs needs one directory/) });
  });

  test('docs/diagrams.md and docs/diagrams/*.svg are what `switchboard diagram --docs docs` writes (run `npm run docs:diagrams`)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-docs-'));
    expect((await run('diagram', '--docs', dir)).code).toBe(0);
    for (const name of ['diagrams.md', ...['channel', 'retrievable-transfer', 'agent-call', 'consult-transfer'].map((m) => `diagrams/${m}.svg`)]) {
      expect([name, readFileSync(join(__dirname, '..', 'docs', name), 'utf8')]).toEqual([name, readFileSync(join(dir, name), 'utf8')]);
    }
  });
});
