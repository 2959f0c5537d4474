#!/usr/bin/env node
/**
 * The `switchboard` command: `serve` (the server and its live inspector), `demo` (the examples on the
 * simulated network, printing their timelines), `diagram` (every statechart as Mermaid, DOT, SCXML or SVG),
 * `calls` (a running server's calls, SIP legs included: calls.ts) and `causes` (the cause table). Every command takes -h/--help; a wrong command line gets one line saying
 * what is wrong and a hint, with exit code 2; a command that cannot be carried out exits with 1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CAUSE_TABLE } from '../causes';
import {
  CommandError,
  UsageError,
  oneOf,
  parseCommand,
  stringOption,
  stringsOption,
  type CommandSpec,
  type ParsedCommand,
} from './args';
import { callsCommand } from './calls';
import { DEMOS, runDemo, type DemoName } from './demo';
import { DIAGRAM_OPTIONS, DIAGRAM_USAGE, diagramCommand } from './diagram';
import { LOG_LEVELS, resolveLogging } from './logging';

const HELP = `Usage: switchboard <command> [options]

Commands:
  serve           Run the server: the agent HTTP API, CometD notifications, the simulator API (or SIP) and the
                  inspector
  demo [ivr|agent]
                  Run an example on the simulated network and print its timeline
  diagram <machine>
                  Print a statechart's diagram (Mermaid, DOT, SCXML or SVG); --list names the machines
  calls           List the calls a running server knows (SIP legs with their Call-ID and far end)
  causes          Print the cause table (engine, Aculab, Bandwidth, Catapult v1, Q.850, SIP, Twilio)
  help [command]  Show this help, or a command's

Options:
  -h, --help      Show this help (switchboard <command> --help: the command's)
  -v, --version   Show the version
`;

type Out = (line: string) => void;

interface Command {
  usage: string;
  spec: CommandSpec;
  run: (parsed: ParsedCommand, out: Out, err: Out) => Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  serve: {
    usage: `Usage: switchboard serve [--config FILE] [--port N] [--sip udp|tcp:HOST:PORT]... [--redis URL [--node-id ID]]
                        [--log-level LEVEL] [--log-format pretty|json]

Run the server: the agent HTTP API, CometD notifications and the inspector, on the embedded simulated network
(with its simulator API) or, with SIP configured, on real SIP calls. Users come from the config file or
SWITCHBOARD_USERS=username:password:deviceDn,... Stops on Ctrl-C or SIGTERM.

Options:
  --config FILE       the JSON config file (see config/demo.json); the SWITCHBOARD_* environment wins over it
  --port N            the port (default SWITCHBOARD_PORT, the config's, else 8080; 0 picks a free one)
  --sip ADDRESS       udp:HOST:PORT or tcp:HOST:PORT: take SIP calls there (repeatable, one host and port for
                      every transport; default SWITCHBOARD_SIP_LISTEN, comma separated, else the config's
                      "sip": { listen, services, gateway, media, agents, ringbackTone, limits }); no SIP:
                      the simulated network
  --redis URL         redis://host:port: call state, the webhook outbox and the node lease in Redis
                      (default SWITCHBOARD_REDIS_URL, the config's "redis"; none: all in memory). A node
                      restarted with the same node id resumes its calls
  --node-id ID        this node's id in Redis (default SWITCHBOARD_NODE_ID, the config's, else the host name)
  --log-level LEVEL   ${LOG_LEVELS.join(', ')} (default SWITCHBOARD_LOG_LEVEL, else info;
                      one line per HTTP request at debug)
  --log-format F      pretty or json (default SWITCHBOARD_LOG_FORMAT, else pretty on a terminal, json otherwise)
  -h, --help          show this help`,
    spec: {
      options: {
        config: { type: 'string' },
        port: { type: 'string' },
        sip: { type: 'string', multiple: true },
        redis: { type: 'string' },
        'node-id': { type: 'string' },
        'log-level': { type: 'string' },
        'log-format': { type: 'string' },
      },
      positionals: 0,
    },
    run: async (parsed, out, err) => {
      const portText = stringOption(parsed, 'port');
      const port = portText === undefined ? undefined : Number(portText);
      if (port !== undefined && !(/^\d+$/.test(portText as string) && port <= 65535)) {
        throw new UsageError(`--port must be a whole number from 0 to 65535; got '${portText}'`);
      }
      const logging = resolveLogging({
        level: stringOption(parsed, 'log-level'),
        format: stringOption(parsed, 'log-format'),
        env: process.env,
        isTTY: process.stdout.isTTY === true,
      });
      // The server (fastify and all) is loaded for this command only: the others start in a fraction of the time.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { serve } = require('./serve') as typeof import('./serve');
      const redisUrl = stringOption(parsed, 'redis');
      const nodeId = stringOption(parsed, 'node-id');
      const sip = stringsOption(parsed, 'sip');
      return serve({ config: stringOption(parsed, 'config'), port, sip, redisUrl, nodeId, logging, out, err });
    },
  },
  demo: {
    usage: `Usage: switchboard demo [ivr|agent] [--json]

Run an example on the simulated network (real clock) and print its timeline:
  ivr (default)   an IVR transfers a caller to voicemail and retrieves the call (about 4 s)
  agent           an agent consults a colleague and completes a two-step transfer (about 8 s)

Options:
  --json          also print the full JSON payloads
  -h, --help      show this help`,
    spec: { options: { json: { type: 'boolean' } }, positionals: 1 },
    run: (parsed) =>
      runDemo(
        oneOf<DemoName>('demo', parsed.positionals[0] ?? 'ivr', Object.keys(DEMOS) as DemoName[]),
        parsed.values.json === true,
      ),
  },
  diagram: {
    usage: DIAGRAM_USAGE,
    spec: DIAGRAM_OPTIONS,
    run: (parsed, out) => diagramCommand(parsed, out),
  },
  calls: {
    usage: `Usage: switchboard calls [--url URL] --user NAME:PASSWORD [--json]
List the calls a running server knows, one line each (from its inspector, GET /inspect/api/calls): call id,
direction, state, from → to, and for a SIP leg its Call-ID, far end and transport. Ended calls the inspector
still records are marked (ended).
Options:
  --url URL       the server (default http://127.0.0.1:$SWITCHBOARD_PORT, else port 8080)
  --user U:P      a configured user's name and password (default SWITCHBOARD_CLI_USER)
  --json          print the inspector's JSON instead
  -h, --help      show this help`,
    spec: { options: { url: { type: 'string' }, user: { type: 'string' }, json: { type: 'boolean' } }, positionals: 0 },
    run: async (parsed, out) => {
      const user = stringOption(parsed, 'user') ?? process.env.SWITCHBOARD_CLI_USER;
      if (!user || !user.includes(':'))
        throw new UsageError('--user NAME:PASSWORD is required (or SWITCHBOARD_CLI_USER)');
      const url = stringOption(parsed, 'url') ?? `http://127.0.0.1:${process.env.SWITCHBOARD_PORT ?? 8080}`;
      return callsCommand({ url, user, json: parsed.values.json === true }, out);
    },
  },
  causes: {
    usage: `Usage: switchboard causes [--markdown]

Print the cause table: each engine cause and its Aculab, Bandwidth, Catapult v1, Q.850, SIP and Twilio names.

Options:
  --markdown      a Markdown table with each cause's meaning (what docs/causes.md holds)
  -h, --help      show this help`,
    spec: { options: { markdown: { type: 'boolean' } }, positionals: 0 },
    run: async (parsed, out) => {
      causeTableLines(parsed.values.markdown === true).forEach((line) => out(line));
      return 0;
    },
  },
};

/** The version in the package's own package.json (found upward from here: works from src/ and dist/). */
function version(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

/** The cause table as aligned text, or as a Markdown table (what docs/causes.md holds). */
export function causeTableLines(markdown: boolean): string[] {
  const header = [
    'engine',
    'Aculab',
    'Bandwidth',
    'Catapult v1',
    'Q.850',
    'SIP',
    'Twilio',
    ...(markdown ? ['meaning'] : []),
  ];
  const rows = CAUSE_TABLE.map((r) => [
    r.cause,
    r.aculab,
    r.bandwidth,
    r.catapult,
    String(r.q850),
    String(r.sip),
    r.twilio,
    ...(markdown ? [r.meaning] : []),
  ]);
  if (markdown) {
    return [header, header.map(() => '---'), ...rows].map((row) => `| ${row.join(' | ')} |`);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  );
}

/** Run a command line; resolves to the exit code. Output goes through `out` (stdout) and `err` (stderr). */
export async function main(
  argv: string[],
  out: Out = (l) => console.log(l),
  err: Out = (l) => console.error(l),
): Promise<number> {
  const [name, ...rest] = argv;
  const named = (n: string | undefined) => (n !== undefined && Object.hasOwn(COMMANDS, n) ? COMMANDS[n] : undefined);
  const usageError = (message: string, hint: string) => {
    err(`switchboard${named(name) ? ` ${name}` : ''}: ${message}`);
    err(`Try '${hint}'.`);
    return 2;
  };
  if (name === undefined || name === '-h' || name === '--help') {
    out(HELP);
    return 0;
  }
  if (name === '-v' || name === '--version') {
    out(version());
    return 0;
  }
  if (name === 'help') {
    const [topic, extra] = rest;
    if (extra !== undefined) return usageError(`unexpected argument '${extra}'`, 'switchboard --help');
    if (topic === undefined) out(HELP);
    else if (named(topic)) out(named(topic)?.usage as string);
    else return usageError(`unknown command '${topic}'`, 'switchboard --help');
    return 0;
  }
  const command = named(name);
  if (!command) {
    return usageError(
      name.startsWith('-') ? `unknown option '${name}'` : `unknown command '${name}'`,
      'switchboard --help',
    );
  }
  try {
    const parsed = parseCommand(rest, command.spec);
    if (parsed.help) {
      out(command.usage);
      return 0;
    }
    return await command.run(parsed, out, err);
  } catch (error) {
    if (error instanceof UsageError) return usageError(error.message, `switchboard ${name} --help`);
    if (error instanceof CommandError) {
      err(`switchboard ${name}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      // Not a mistake on the command line but a fault: the stack says where.
      console.error(error);
      process.exitCode = 1;
    },
  );
}
