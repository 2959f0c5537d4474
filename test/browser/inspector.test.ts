/**
 * The inspector as a person sees it: Debian's Chromium (driven by playwright-core) opens /inspect on a real
 * server, selects a call in a retrievable transfer, and the highlighted state follows the call
 * (TRANSFERRING → TRANSFERRED → ANSWERED after retrieval) while the timeline fills in, down to the
 * transferDisconnect callback. The page must load with no console error (a CSP violation would be one).
 * A screenshot is saved to test-artifacts/inspector.png (docs/images/inspector.png is a copy of one).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer } from '../http/support';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');

jest.setTimeout(60_000);

let browser: Browser;
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});
afterAll(() => browser?.close());

const highlighted = (page: Page) => page.$$eval('figure[data-machine="channel"] g.node.active title', (ts) => ts.map((t) => t.textContent));

test('the highlighted state follows a retrievable transfer, and the timeline shows transferDisconnect', async () => {
  const s = await startServer();
  const problems: string[] = [];
  try {
    await s.request('PUT', '/api/v2/simulator/endpoints/+15557770000', { body: { outcome: 'answer', ringFor: 2 } });
    const callId = (await s.request('POST', '/api/v2/simulator/calls', { body: { from: '+15550001111', to: '+15559990000' } })).body.callId as string;
    await s.request('POST', `/api/v2/simulator/calls/${callId}/answer`);
    expect((await s.request('POST', `/api/v2/simulator/calls/${callId}/transfer`, { body: { to: '+15557770000' } })).body.state).toBe('TRANSFERRING');

    const context = await browser.newContext({ httpCredentials: { username: 'agent5005', password: 'pw-5005' }, viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${s.base}/inspect`);
    await page.waitForSelector('#connection.ok');
    // What a newcomer reads first.
    expect(await page.textContent('h1')).toBe('Switchboard inspector');
    expect(await page.textContent('.intro')).toMatch(/Pick a call on the left/);

    await page.click(`button[data-call="${callId}"]`);
    await page.waitForSelector('figure[data-machine="channel"] g[id="state_channel.TRANSFERRING"].active');
    await page.waitForSelector('figure[data-machine="retrievable-transfer"] g[id="state_retrievableTransfer.awaitingAnswer.ringing"].active');
    expect(await highlighted(page)).toEqual(['channel.TRANSFERRING']);

    s.clock.increment(2000); // the target answers
    await page.waitForSelector('figure[data-machine="channel"] g[id="state_channel.TRANSFERRED"].active');
    expect(await highlighted(page)).toEqual(['channel.TRANSFERRED']);
    expect(await page.textContent('figure[data-machine="channel"] .now b')).toBe('TRANSFERRED');

    await s.request('POST', `/api/v2/simulator/calls/${callId}/retrieve`);
    await page.waitForSelector('figure[data-machine="channel"] g[id="state_channel.ANSWERED"].active');
    expect(await highlighted(page)).toEqual(['channel.ANSWERED']);
    await page.waitForSelector('#timeline tr[data-event="transferDisconnect"]');
    const rows = await page.$$eval('#timeline tbody tr.row', (trs) => trs.map((tr) => `${tr.getAttribute('data-kind')} ${tr.getAttribute('data-event')}`));
    expect(rows).toEqual([
      'watching recording started',
      'step TARGET.ANSWERED',
      'step TRANSFER.CONNECTED',
      'callback transferAnswer',
      'step RETRIEVE',
      'step TRANSFER.RECONNECT',
      'step NET.RECONNECTED',
      'callback transferDisconnect',
      'callback transferComplete',
    ]);
    // A row opens to its full payload.
    await page.click('#timeline tr[data-event="transferDisconnect"]');
    expect(JSON.parse((await page.textContent('pre.payload')) as string)).toMatchObject({ eventType: 'transferDisconnect', parentCallId: callId, cause: 'hangup' });

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'inspector.png'), fullPage: true });
    expect(problems).toEqual([]);
    await context.close();
  } finally {
    await s.close();
  }
});
