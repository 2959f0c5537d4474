/**
 * `switchboard demo`: runs a compiled example (dist/examples/*.js) in a child Node process, by path, so the
 * command line never imports examples/ and the examples stay the one code path the demos and tests run.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CommandError } from './args';

export const DEMOS = { ivr: 'ivr-voicemail', agent: 'agent-two-step' } as const;
export type DemoName = keyof typeof DEMOS;

/** The compiled example: beside dist/src/cli when run from dist/, or in dist/ when run from the sources. */
export function demoScript(name: DemoName, here = __dirname): string {
  const candidates = [
    join(here, '..', '..', 'examples', `${DEMOS[name]}.js`),
    join(here, '..', '..', 'dist', 'examples', `${DEMOS[name]}.js`),
  ];
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new CommandError(`the ${name} demo is not built (no ${candidates[1]}): run npm run build`);
  return found;
}

/** Run the demo with its output on this process's; resolves to its exit code. */
export function runDemo(name: DemoName, json: boolean): Promise<number> {
  const script = demoScript(name);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...(json ? ['--json'] : [])], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
