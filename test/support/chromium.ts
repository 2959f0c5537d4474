/**
 * The Chromium the browser tests drive (through playwright-core), found with nothing but Node and npm:
 * 1. `CHROMIUM_PATH`, when set (an error if nothing is there: a typo should not silently pick another browser);
 * 2. the system's Chromium (Debian's /usr/bin/chromium, as CI installs it), when present;
 * 3. else the Chromium shipped inside the npm package `@sparticuz/chromium` (a devDependency): its
 *    `executablePath()` unpacks it once into the temporary directory (a few seconds) and reuses it after.
 * Every launch is headless with a fresh profile (playwright-core makes a new temporary --user-data-dir per
 * launch and refuses one passed in `args`), no sandbox (tests run as root in containers), no GPU, and no
 * background traffic, updates, sync or first-run screens.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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

/** The bundled Chromium: unpacked by the package in a plain Node process (it is an ES module). */
export function bundledChromium(): ChromiumChoice {
  if (bundled) return bundled;
  const entry = pathToFileURL(require.resolve('@sparticuz/chromium')).href;
  const script = `const { default: c } = await import(${JSON.stringify(entry)});
    process.stdout.write(JSON.stringify({ path: await c.executablePath(), args: c.args }));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new Error(`@sparticuz/chromium could not unpack its Chromium: ${run.stderr || run.error?.message}`);
  const { path, args } = JSON.parse(run.stdout) as { path: string; args: string[] };
  bundled = { path, source: '@sparticuz/chromium', args: args.filter((a) => BUNDLED_ARGS_KEPT.includes(a)) };
  return bundled;
}

/** Which Chromium to launch (see the header for the order). */
export function findChromium(options: { env?: NodeJS.ProcessEnv; systemPaths?: readonly string[] } = {}): ChromiumChoice {
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
