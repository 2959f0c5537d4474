/**
 * The inspector as a person sees it: Chromium (the system's, else the npm-bundled one: test/support/chromium.ts),
 * driven by playwright-core, opens /inspect on a real server, selects a call in a retrievable transfer, and the
 * highlighted state follows the call
 * (TRANSFERRING → TRANSFERRED → ANSWERED after retrieval) while the timeline fills in, down to the
 * transferDisconnect callback. The page must load with no console error (a CSP violation would be one).
 * A screenshot is saved to test-artifacts/inspector.png (docs/images/inspector.png is a copy of one).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startServer } from '../http/support';
import { launchChromium } from '../support/chromium';

const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');

jest.setTimeout(60_000);

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser?.close());

const highlighted = (page: Page) =>
  page.$$eval('figure[data-machine="channel"] g.node.active title', (ts) => ts.map((t) => t.textContent));

test('the highlighted state follows a retrievable transfer, and the timeline shows transferDisconnect', async () => {
  const s = await startServer();
  const problems: string[] = [];
  try {
    await s.request('PUT', '/api/v2/simulator/endpoints/+15557770000', { body: { outcome: 'answer', ringFor: 2 } });
    const callId = (
      await s.request('POST', '/api/v2/simulator/calls', { body: { from: '+15550001111', to: '+15559990000' } })
    ).body.callId as string;
    await s.request('POST', `/api/v2/simulator/calls/${callId}/answer`);
    expect(
      (await s.request('POST', `/api/v2/simulator/calls/${callId}/transfer`, { body: { to: '+15557770000' } })).body
        .state,
    ).toBe('TRANSFERRING');

    const context = await browser.newContext({
      httpCredentials: { username: 'agent5005', password: 'pw-5005' },
      viewport: { width: 1400, height: 1000 },
    });
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
    await page.waitForSelector(
      'figure[data-machine="retrievable-transfer"] g[id="state_retrievableTransfer.awaitingAnswer.ringing"].active',
    );
    expect(await highlighted(page)).toEqual(['channel.TRANSFERRING']);

    s.clock.increment(2000); // the target answers
    await page.waitForSelector('figure[data-machine="channel"] g[id="state_channel.TRANSFERRED"].active');
    expect(await highlighted(page)).toEqual(['channel.TRANSFERRED']);
    expect(await page.textContent('figure[data-machine="channel"] .now b')).toBe('TRANSFERRED');

    await s.request('POST', `/api/v2/simulator/calls/${callId}/retrieve`);
    // A state inside a group: the state is highlighted, and so is the group around it (a cluster, not a node).
    await page.waitForSelector('figure[data-machine="channel"] g[id="state_channel.signalling.ANSWERED"].active');
    expect(await highlighted(page)).toEqual(['channel.signalling.ANSWERED']);
    expect(
      await page.$$eval('figure[data-machine="channel"] g.cluster.active title', (ts) => ts.map((t) => t.textContent)),
    ).toEqual(['cluster_channel.signalling']);
    expect(await page.textContent('figure[data-machine="channel"] .now b')).toBe('ANSWERED');
    await page.waitForSelector('#timeline tr[data-event="transferDisconnect"]');
    const rows = await page.$$eval('#timeline tbody tr.row', (trs) =>
      trs.map((tr) => `${tr.getAttribute('data-kind')} ${tr.getAttribute('data-event')}`),
    );
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
    expect(JSON.parse((await page.textContent('pre.payload')) as string)).toMatchObject({
      eventType: 'transferDisconnect',
      parentCallId: callId,
      cause: 'hangup',
    });

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'inspector.png'), fullPage: true });
    expect(problems).toEqual([]);
    await context.close();
  } finally {
    await s.close();
  }
});

test('a state reached while the chart’s SVG loads is the one highlighted; live rows stay in time order', async () => {
  const s = await startServer();
  // During the retrieval the clock moves 1 ms at every read, as a busy real clock does: B's transferDisconnect
  // is stamped before A's reconnect but delivered after it (at the end of the engine's turn).
  const base = s.clock.now.bind(s.clock);
  let drift = 0;
  let ticking = false;
  s.clock.now = () => base() + (ticking ? ++drift : drift);
  const context = await browser.newContext({
    httpCredentials: { username: 'agent5005', password: 'pw-5005' },
    viewport: { width: 1400, height: 1000 },
  });
  try {
    await s.request('PUT', '/api/v2/simulator/endpoints/+15557770000', { body: { outcome: 'answer', ringFor: 2 } });
    const callId = (
      await s.request('POST', '/api/v2/simulator/calls', { body: { from: '+15550001111', to: '+15559990000' } })
    ).body.callId as string;
    await s.request('POST', `/api/v2/simulator/calls/${callId}/answer`);
    await s.request('POST', `/api/v2/simulator/calls/${callId}/transfer`, { body: { to: '+15557770000' } });

    const page = await context.newPage();
    let releaseSvg: () => void = () => undefined;
    const svgHeld = new Promise<void>((resolve) => (releaseSvg = resolve));
    await page.route('**/inspect/api/machines/retrievable-transfer/svg', async (route) => {
      await svgHeld;
      await route.continue();
    });
    await page.goto(`${s.base}/inspect#${callId}`);
    await page.waitForSelector('figure[data-machine="channel"] g[id="state_channel.TRANSFERRING"].active');

    s.clock.increment(2000); // the target answers while the transfer's SVG is still on its way
    await page.waitForSelector('#timeline tr[data-event="TARGET.ANSWERED"]');
    await page.waitForSelector('figure[data-machine="channel"] g[id="state_channel.TRANSFERRED"].active');
    releaseSvg();
    await page.waitForSelector('figure[data-machine="retrievable-transfer"] .svg svg');
    const transfer = 'figure[data-machine="retrievable-transfer"] g.active title';
    expect(await page.$$eval(transfer, (ts) => ts.map((t) => t.textContent))).toEqual([
      'retrievableTransfer.transferred',
    ]);
    expect(await page.textContent('figure[data-machine="retrievable-transfer"] .now b')).toBe('transferred');

    ticking = true;
    await s.request('POST', `/api/v2/simulator/calls/${callId}/retrieve`);
    ticking = false;
    await page.waitForSelector('#timeline tr[data-event="transferComplete"]');
    const rows = await page.$$eval('#timeline tbody tr.row', (trs) =>
      trs.map((tr) => ({ time: Number(tr.getAttribute('data-time')), what: tr.getAttribute('data-event') })),
    );
    const times = rows.map((r) => r.time);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(rows.map((r) => r.what).slice(-5)).toEqual([
      'RETRIEVE',
      'transferDisconnect',
      'TRANSFER.RECONNECT',
      'NET.RECONNECTED',
      'transferComplete',
    ]);
    // The page shows what the hub recorded, in the same order.
    const recorded = (await s.request('GET', `/inspect/api/calls/${callId}`)).body.timeline as { seq: number }[];
    expect(
      await page.$$eval('#timeline tbody tr.row', (trs) => trs.map((tr) => Number(tr.getAttribute('data-seq')))),
    ).toEqual(recorded.map((e) => e.seq));
  } finally {
    await context.close();
    await s.close();
  }
});
