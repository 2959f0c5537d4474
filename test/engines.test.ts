// The locked dependency tree runs on the Node versions the project declares: every package's `engines.node`
// admits both this Node and the project's minimum, so `npm install` prints no EBADENGINE warning. cookie 2.x
// (pulled in by fastify → light-my-request) declares Node >= 22, so package.json overrides it to 1.1.1, which
// declares Node >= 18 and has the same `stringifySetCookie`; the inject test below covers that path.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import * as semver from 'semver';

const root = join(__dirname, '..');
const readJson = (file: string): unknown => JSON.parse(readFileSync(join(root, file), 'utf8'));

interface LockEntry {
  version?: string;
  engines?: { node?: string } | string[];
}
const pkg = readJson('package.json') as { engines: { node: string } };
const lock = readJson('package-lock.json') as { packages: Record<string, LockEntry> };

describe('engines', () => {
  const minimum = semver.minVersion(pkg.engines.node)!.version;

  it.each([process.version, minimum])('every locked package admits Node %s', (node) => {
    const refused = Object.entries(lock.packages)
      .filter(([path]) => path !== '')
      .map(([path, entry]) => ({ path, version: entry.version, range: nodeRange(entry) }))
      .filter((p) => p.range !== undefined && !semver.satisfies(node, p.range));
    expect(refused).toEqual([]);
  });

  it('light-my-request encodes inject cookies with the overridden cookie package', async () => {
    const app = Fastify();
    app.get('/', async (req) => ({ cookie: req.headers.cookie }));
    try {
      const res = await app.inject({ method: 'GET', url: '/', cookies: { session: 'a b', plain: 'x1' } });
      expect(res.json()).toEqual({ cookie: 'session=a%20b; plain=x1' });
    } finally {
      await app.close();
    }
  });
});

function nodeRange(entry: LockEntry): string | undefined {
  return entry.engines !== undefined && !Array.isArray(entry.engines) ? entry.engines.node : undefined;
}
