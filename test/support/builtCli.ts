/**
 * The built command line and examples (dist/), run in a child Node process as a user runs them. Refuses a
 * dist/ older than its sources, so a test never passes on stale code: `npm run build` first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** Throws, naming a source file, when dist/ lacks it or is older than it. */
export function assertBuilt(dirs = ['src', 'examples', 'machines']): void {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
    );
  for (const source of dirs
    .flatMap((d) => walk(join(ROOT, d)))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))) {
    const built = join(ROOT, 'dist', relative(ROOT, source)).replace(/\.ts$/, '.js');
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(source).mtimeMs) {
      throw new Error(`dist/ is older than ${relative(ROOT, source)}: run npm run build before these tests`);
    }
  }
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once standard output matches (rejects if the process exits first). */
  until: (pattern: RegExp) => Promise<void>;
  /** Resolves when the process has exited. */
  exited: Promise<Finished>;
}

/** Start `node script ...args` with `env` added to this environment (a key set to undefined is removed). */
export function start(script: string, args: string[], env: Record<string, string | undefined> = {}): Running {
  const childEnv = { ...process.env, ...env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete childEnv[key];
  const child = spawn(process.execPath, [script, ...args], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    waiters.forEach((w) => w());
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Finished>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  const until = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => pattern.test(stdout) && resolve();
      waiters.push(check);
      check();
      void exited.then(() => reject(new Error(`exited before printing ${pattern}:\n${stdout}\n${stderr}`)));
    });
  return { child, stdout: () => stdout, stderr: () => stderr, until, exited };
}

/** Run `node script ...args` to the end. */
export function run(script: string, args: string[], env: Record<string, string | undefined> = {}): Promise<Finished> {
  return start(script, args, env).exited;
}

/** Run the built `switchboard` command to the end. */
export function switchboard(...args: string[]): Promise<Finished> {
  return run(CLI, args);
}
