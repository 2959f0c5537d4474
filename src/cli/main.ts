#!/usr/bin/env node
/**
 * The `switchboard` command: `serve` (the server and its live inspector), `demo` (the examples on the
 * simulated network, printing their timelines), `diagram` (every statechart as Mermaid, DOT, SCXML or SVG)
 * and `causes` (the cause table).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runAgentTwoStep } from '../../examples/agent-two-step';
import { runIvrVoicemail } from '../../examples/ivr-voicemail';
import { CAUSE_TABLE } from '../causes';
import { serve } from './serve';
import { diagramCommand } from './diagram';

const HELP = `Usage: switchboard <command> [options]

Commands:
  serve [--config file] [--port N]
                  Run the server: the agent HTTP API and the simulator API on the embedded simulated network
                  (users from the config file or SWITCHBOARD_USERS=username:password:deviceDn,...)
  demo [ivr|agent] [--json]
                  Run an example on the simulated network and print its timeline:
                  ivr (default): an IVR transfers a caller to voicemail and retrieves the call;
                  agent: an agent consults a colleague and completes a two-step transfer
                  (--json: also print the full JSON payloads)
  diagram <machine> [--format mermaid|dot|scxml|svg] [--out FILE]
                  Print a statechart's diagram (default Mermaid; svg is rendered offline by Graphviz WASM)
  diagram --list  List the machines: channel, retrievable-transfer, agent-call, consult-transfer
  diagram --docs DIR
                  Write DIR/diagrams.md and DIR/diagrams/*.svg (what docs/ holds)
  causes [--markdown]
                  Print the cause table (engine, Aculab, Bandwidth, Catapult v1, Q.850, SIP, Twilio)

Options:
  -h, --help      Show this help
  -v, --version   Show the version
`;

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
  const header = ['engine', 'Aculab', 'Bandwidth', 'Catapult v1', 'Q.850', 'SIP', 'Twilio', ...(markdown ? ['meaning'] : [])];
  const rows = CAUSE_TABLE.map((r) => [
    r.cause, r.aculab, r.bandwidth, r.catapult, String(r.q850), String(r.sip), r.twilio, ...(markdown ? [r.meaning] : []),
  ]);
  if (markdown) {
    return [header, header.map(() => '---'), ...rows].map((row) => `| ${row.join(' | ')} |`);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
}

export async function main(argv: string[], out = (l: string) => console.log(l), err = (l: string) => console.error(l)): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      out(HELP);
      return 0;
    case '-v':
    case '--version':
      out(version());
      return 0;
    case 'causes': {
      const unknown = rest.filter((a) => a !== '--markdown');
      if (unknown.length > 0) {
        err(`switchboard causes: unknown option ${unknown[0]}\n\n${HELP}`);
        return 2;
      }
      causeTableLines(rest.includes('--markdown')).forEach((line) => out(line));
      return 0;
    }
    case 'serve': {
      const args = parseFlags(rest, ['config', 'port']);
      if (typeof args === 'string') {
        err(`switchboard serve: ${args}\n\n${HELP}`);
        return 2;
      }
      return serve({ config: args.config, port: args.port === undefined ? undefined : Number(args.port), out, err });
    }
    case 'diagram':
      return diagramCommand(rest, out, err);
    case 'demo': {
      const json = rest.includes('--json');
      const args = rest.filter((a) => a !== '--json');
      const which = args[0] ?? 'ivr';
      if (args.length > 1 || (which !== 'ivr' && which !== 'agent')) {
        err(`switchboard demo: unknown demo or option '${args.at(-1)}'\n\n${HELP}`);
        return 2;
      }
      // The examples are the demos: one code path, exercised by the tests.
      if (which === 'ivr') await runIvrVoicemail({ json, print: out });
      else await runAgentTwoStep({ json, print: out });
      return 0;
    }
    default:
      err(`switchboard: unknown command '${command}'\n\n${HELP}`);
      return 2;
  }
}

/** `--name value` flags; returns an error message for anything else. */
function parseFlags(args: string[], names: string[]): Record<string, string> | string {
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i].replace(/^--/, '');
    if (!args[i].startsWith('--') || !names.includes(name)) return `unknown option '${args[i]}'`;
    if (args[i + 1] === undefined) return `option --${name} needs a value`;
    flags[name] = args[i + 1];
  }
  return flags;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
