/**
 * The Chromium the browser tests drive (through playwright-core), found with nothing but Node and npm:
 * 1. `CHROMIUM_PATH`, when set (an error if nothing is there: a typo should not silently pick another browser);
 * 2. the system's Chromium (Debian's /usr/bin/chromium, as CI installs it), when present;
 * 3. else the Chromium shipped inside the npm package `@sparticuz/chromium` (a devDependency): its
 *    `executablePath()` unpacks it once (a few seconds) into `<tmpdir>/switchboard-chromium-<version>`, reused after.
 * Every launch is headless with a fresh profile (playwright-core makes a new temporary --user-data-dir per
 * launch and refuses one passed in `args`), no sandbox (tests run as root in containers), no GPU, and no
 * background traffic, updates, sync or first-run screens.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

export type ChromiumSource = 'CHROMIUM_PATH' | 'system' | '@sparticuz/chromium';

export interface ChromiumChoice {
  path: string;
  source: ChromiumSource;
  /** Flags for this build, on top of `BASE_ARGS`. */
  args: string[];
}

export const SYSTEM_CHROMIUM = ['/usr/bin/chromium'];

export const BASE_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Of `@sparticuz/chromium`'s own flags (made for AWS Lambda), the ones a test browser wants: no zygote
 * process (it needs none without a sandbox) and no pings or domain-reliability reports. Its others
 * (`--single-process`, `--disable-web-security`, SwiftShader WebGL) would make the page under test less like
 * a user's browser, so they are left out; it launches and renders without them.
 */
const BUNDLED_ARGS_KEPT = ['--no-zygote', '--no-pings', '--disable-domain-reliability'];

let bundled: ChromiumChoice | undefined;

/**
 * The bundled Chromium, unpacked by the package in a plain Node process (it is an ES module) into a directory
 * of its own (the package reuses any `chromium` in its temporary directory, whatever its version). Jest runs
 * test files in parallel: the first to come unpacks, under a lock directory; the others wait for `ready.json`.
 */
export function bundledChromium(): ChromiumChoice {
  if (bundled) return bundled;
  const { version } = bundledManifest();
  const dir = join(tmpdir(), `switchboard-chromium-${version}`);
  const ready = join(dir, 'ready.json');
  const lock = `${dir}.lock`;
  const deadline = Date.now() + 180_000;
  while (!existsSync(ready)) {
    if (Date.now() > deadline)
      throw new Error(`@sparticuz/chromium: timed out waiting for ${ready} (remove ${lock} if no test runs)`);
    try {
      mkdirSync(lock);
    } catch {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200); // another test file is unpacking it
      continue;
    }
    try {
      if (!existsSync(ready)) unpack(dir, ready);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  const { path, args } = JSON.parse(readFileSync(ready, 'utf8')) as { path: string; args: string[] };
  bundled = { path, source: '@sparticuz/chromium', args: args.filter((a) => BUNDLED_ARGS_KEPT.includes(a)) };
  return bundled;
}

/** The package's own package.json (not in its exports): the nearest one above its entry point. */
export function bundledManifest(): { version: string } {
  for (let dir = dirname(require.resolve('@sparticuz/chromium')); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string };
    if (manifest.name === '@sparticuz/chromium') return manifest;
  }
  throw new Error('@sparticuz/chromium: its package.json was not found');
}

function unpack(dir: string, ready: string): void {
  mkdirSync(dir, { recursive: true });
  const entry = pathToFileURL(require.resolve('@sparticuz/chromium')).href;
  const script = `const { default: c } = await import(${JSON.stringify(entry)});
    process.stdout.write(JSON.stringify({ path: await c.executablePath(), args: c.args }));`;
  const env = { ...process.env, TMPDIR: dir, TMP: dir, TEMP: dir };
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env,
    timeout: 120_000,
  });
  if (run.status !== 0)
    throw new Error(`@sparticuz/chromium could not unpack its Chromium: ${run.stderr || run.error?.message}`);
  writeFileSync(`${ready}.tmp`, run.stdout);
  renameSync(`${ready}.tmp`, ready);
}

/** Which Chromium to launch (see the header for the order). */
export function findChromium(
  options: { env?: NodeJS.ProcessEnv; systemPaths?: readonly string[] } = {},
): ChromiumChoice {
  const env = options.env ?? process.env;
  const fromEnv = env.CHROMIUM_PATH;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH is set to ${fromEnv}, but there is no file there`);
    return { path: fromEnv, source: 'CHROMIUM_PATH', args: [] };
  }
  const system = (options.systemPaths ?? SYSTEM_CHROMIUM).find((p) => existsSync(p));
  if (system) return { path: system, source: 'system', args: [] };
  return bundledChromium();
}

/** Launch a headless Chromium (the one `findChromium` picks, or `choice`). */
export function launchChromium(choice: ChromiumChoice = findChromium()): Promise<Browser> {
  return chromium.launch({ executablePath: choice.path, args: [...BASE_ARGS, ...choice.args] });
}
