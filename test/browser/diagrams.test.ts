/**
 * The statechart diagrams are legible as a browser draws them (docs/diagrams/*.svg, which the inspector serves
 * too), at 1400 px wide: no two transition labels overlap, no label covers a state, and the text is not scaled
 * below a readable size. Boxes are measured in Chromium (getBBox of each label's text), not taken from
 * Graphviz's own estimate of the font. Each chart's PNG at 1400 px is saved to test-artifacts/diagrams/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { MACHINES } from '../../src/diagram';
import { launchChromium } from '../support/chromium';

const DOCS = join(__dirname, '..', '..', 'docs', 'diagrams');
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'diagrams');

jest.setTimeout(60_000);

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
});
afterAll(() => browser?.close());

interface Box {
  what: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

const overlap = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** Every pair of boxes that overlap, as readable strings. */
function clashes(labels: Box[], states: Box[]): string[] {
  const out: string[] = [];
  labels.forEach((a, i) => labels.slice(i + 1).forEach((b) => overlap(a, b) && out.push(`${a.what} × ${b.what}`)));
  for (const a of labels) for (const s of states) if (overlap(a, s)) out.push(`${a.what} × state ${s.what}`);
  return out;
}

/**
 * Run in the page (plain JavaScript: this project's TypeScript has no DOM types): the box of each edge's label
 * (all its lines), of each state's shape, and the smallest text size on screen.
 */
const MEASURE = `(() => {
  const root = document.querySelector('svg');
  const box = (what, els) => {
    const bs = els.map((e) => e.getBBox());
    const x = Math.min(...bs.map((b) => b.x));
    const y = Math.min(...bs.map((b) => b.y));
    return { what, x, y, width: Math.max(...bs.map((b) => b.x + b.width)) - x, height: Math.max(...bs.map((b) => b.y + b.height)) - y };
  };
  const labels = [...root.querySelectorAll('g.edge')]
    .map((g) => [...g.querySelectorAll('text')])
    .filter((texts) => texts.length > 0)
    .map((texts) => box(texts.map((t) => t.textContent.trim()).join(' / '), texts));
  const states = [...root.querySelectorAll('g.node')]
    .map((g) => ({ g, shape: g.querySelector('path, polygon, ellipse') }))
    .filter((n) => n.shape !== null)
    .map((n) => box(n.g.querySelector('title').textContent, [n.shape]));
  const scale = root.getBoundingClientRect().width / root.viewBox.baseVal.width;
  const smallest = Math.min(...[...root.querySelectorAll('text')].map((t) => parseFloat(getComputedStyle(t).fontSize)));
  return { labels, states, smallestPx: smallest * scale };
})()`;

describe.each(MACHINES.map((m) => m.name))('%s', (name) => {
  test('at 1400 px: every transition label is apart from the others and from the states, and readable', async () => {
    const svg = readFileSync(join(DOCS, `${name}.svg`), 'utf8');
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    try {
      await page.setContent(`<!doctype html><body style="margin:0">${svg.slice(svg.indexOf('<svg'))}</body>`);
      await page.$eval('svg', (s) => {
        s.setAttribute('width', '1400px');
        s.removeAttribute('height');
      });
      const measured = (await page.evaluate(MEASURE)) as { labels: Box[]; states: Box[]; smallestPx: number };
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
      // Something to measure: the smallest chart (a conference room) has three labels.
      expect(measured.labels.length).toBeGreaterThanOrEqual(3);
      expect(clashes(measured.labels, measured.states)).toEqual([]);
      expect(measured.smallestPx).toBeGreaterThanOrEqual(9);
    } finally {
      await page.close();
    }
  });
});
