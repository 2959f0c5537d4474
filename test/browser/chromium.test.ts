/**
 * The browser tests' Chromium (test/support/chromium.ts) is found on any machine with Node and npm: the
 * bundled one (@sparticuz/chromium) launches and renders a page even when a system Chromium is there (so
 * this path is exercised everywhere, not only on fresh machines), the system one is preferred when present,
 * and a CHROMIUM_PATH that points at nothing is an error rather than a silent fallback.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledChromium, bundledManifest, findChromium, launchChromium } from '../support/chromium';

jest.setTimeout(120_000);

test('with no system Chromium, the one inside @sparticuz/chromium is picked, launches and renders', async () => {
  const choice = findChromium({ env: {}, systemPaths: ['/no/such/chromium'] });
  expect(choice.source).toBe('@sparticuz/chromium');
  expect(choice).toEqual(bundledChromium());
  const browser = await launchChromium(choice);
  try {
    const page = await browser.newPage();
    await page.setContent('<p style="width:200px">Switchboard</p>');
    expect(await page.textContent('p')).toBe('Switchboard');
    expect(await page.$eval('p', (p) => p.getBoundingClientRect().width)).toBe(200);
    expect(browser.version().split('.')[0]).toBe(bundledManifest().version.split('.')[0]); // the package's Chromium
  } finally {
    await browser.close();
  }
});

test('a system Chromium is preferred when present; CHROMIUM_PATH over both', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chromium-choice-'));
  const system = join(dir, 'chromium');
  const custom = join(dir, 'my-chrome');
  writeFileSync(system, '');
  writeFileSync(custom, '');
  expect(findChromium({ env: {}, systemPaths: [join(dir, 'absent'), system] })).toEqual({
    path: system,
    source: 'system',
    args: [],
  });
  expect(findChromium({ env: { CHROMIUM_PATH: custom }, systemPaths: [system] })).toEqual({
    path: custom,
    source: 'CHROMIUM_PATH',
    args: [],
  });
});

test('a CHROMIUM_PATH with nothing there is an error naming it', () => {
  expect(() => findChromium({ env: { CHROMIUM_PATH: '/no/such/chrome' } })).toThrow(
    'CHROMIUM_PATH is set to /no/such/chrome, but there is no file there',
  );
});
