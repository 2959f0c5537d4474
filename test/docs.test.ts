// The project's docs stand alone: every link in every markdown file of the repository points at a file that
// exists in the repository (and, with a `#fragment`, at a heading that exists in that file), and no text
// refers to the product notes outside it (`../shared`, `SPEC`, `reference/seeds`).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(__dirname, '..');
const SKIP = new Set(['node_modules', 'dist', '.git', 'coverage', 'test-artifacts', 'artifacts']);

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

/** The text outside fenced code blocks and inline code spans (links there are not links). */
function prose(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** Inline links and images `[text](target)`, and reference definitions `[name]: target`. */
function linkTargets(text: string): string[] {
  const body = prose(text);
  const inline = [...body.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
  const references = [...body.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]);
  return [...inline, ...references];
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of prose(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1]
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** What is wrong with one link target in `file`, or null. */
export function brokenLink(file: string, target: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return null; // http:, https:, mailto:: not a repository path
  const [pathPart, fragment] = target.split('#', 2);
  const path = decodeURIComponent(pathPart.split('?')[0]);
  const resolved = path === '' ? file : resolve(dirname(file), path);
  if (resolved !== root && !resolved.startsWith(root + sep)) return `${target}: leaves the repository`;
  if (!existsSync(resolved)) return `${target}: no such file in the repository`;
  if (fragment && resolved.endsWith('.md') && statSync(resolved).isFile()) {
    if (!anchors(readFileSync(resolved, 'utf8')).has(fragment)) return `${target}: no heading '#${fragment}' there`;
  }
  return null;
}

function problems(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const where = relative(root, file);
  const found = linkTargets(text).flatMap((target) => {
    const problem = brokenLink(file, target);
    return problem ? [`${where}: ${problem}`] : [];
  });
  for (const m of text.matchAll(/\.\.\/shared|reference\/seeds|\bSPEC\b/g)) found.push(`${where}: mentions '${m[0]}'`);
  return found;
}

const files = markdownFiles(root);

test('the repository has its markdown files (README.md and docs/)', () => {
  const names = files.map((f) => relative(root, f).split(sep).join('/'));
  expect(names).toEqual(expect.arrayContaining(['README.md', 'docs/behaviour.md', 'docs/consult-transfer.md']));
});

test.each(files.map((f) => [relative(root, f), f]))(
  '%s links only to files and headings in the repository',
  (_name, file) => {
    expect(problems(file)).toEqual([]);
  },
);

test('the checker catches what it is for', () => {
  const readme = join(root, 'README.md');
  expect(brokenLink(readme, '../shared/SPEC.md')).toBe('../shared/SPEC.md: leaves the repository');
  expect(brokenLink(readme, 'docs/no-such-file.md')).toBe('docs/no-such-file.md: no such file in the repository');
  expect(brokenLink(readme, 'docs/behaviour.md#no-such-heading')).toBe(
    "docs/behaviour.md#no-such-heading: no heading '#no-such-heading' there",
  );
  expect(brokenLink(readme, 'docs/behaviour.md')).toBeNull();
  expect(brokenLink(readme, 'https://example.com/x')).toBeNull();
  expect(
    linkTargets('see [a](x.md), ![b](img.png "t") and `[c](not-a-link.md)`\n\n```\n[d](nor.md)\n```\n[e]: ref.md\n'),
  ).toEqual(['x.md', 'img.png', 'ref.md']);
  expect([...anchors('# Title\n## 3. Retrievable transfer: every exit path\n## Rules\n## Rules\n')]).toEqual([
    'title',
    '3-retrievable-transfer-every-exit-path',
    'rules',
    'rules-1',
  ]);
});

/**
 * Lines of Mermaid sequence diagrams with a bare `;`: Mermaid ends a statement there and parses the rest of the
 * line as the next one, so `A->>B: BYE (Reason: Q.850;cause=16)` is a syntax error and the diagram is not drawn.
 * Write `#59;` (Mermaid's entity for `;`) instead.
 */
function bareSemicolons(text: string): string[] {
  const blocks = [...text.matchAll(/^```mermaid\n([\s\S]*?)^```/gm)].map((m) => m[1]);
  return blocks
    .filter((b) => /^\s*sequenceDiagram\b/.test(b))
    .flatMap((b) => b.split('\n'))
    .filter((line) => line.replace(/#\w+;/g, '').includes(';'));
}

test.each(files.map((f) => [relative(root, f), f]))('%s: no bare ; in a Mermaid sequence diagram', (_name, file) => {
  expect(bareSemicolons(readFileSync(file, 'utf8'))).toEqual([]);
});

test('the semicolon check catches what it is for', () => {
  const diagram = (line: string) => `\`\`\`mermaid\nsequenceDiagram\n  ${line}\n\`\`\`\n`;
  expect(bareSemicolons(diagram('A->>B: BYE (Reason: Q.850;cause=16)'))).toEqual([
    '  A->>B: BYE (Reason: Q.850;cause=16)',
  ]);
  expect(bareSemicolons(diagram('A->>B: BYE (Reason: Q.850#59;cause=16)'))).toEqual([]);
  expect(bareSemicolons('```mermaid\nstateDiagram-v2\n  a --> b; b --> c\n```\n')).toEqual([]);
});
