// docs/sip.md's table "What each message does" names SIP statuses, Q.850 values and causes: each is checked here
// against the one cause table (src/causes), so the doc cannot drift from what the SIP network does with them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromSipResponse, toQ850, toSip, type EndCause } from '../../src/causes';

const doc = readFileSync(join(__dirname, '../../docs/sip.md'), 'utf8');

/** The cells of the table row whose first cell starts with `start`. */
function row(start: string): string[] {
  const line = doc.split('\n').find((l) => l.startsWith(`| ${start}`));
  if (!line) throw new Error(`docs/sip.md has no table row starting '${start}'`);
  return line
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());
}

test('the far end final responses that have a cause of their own map as the doc says', () => {
  const [statuses, , , causes] = row('486 or 600');
  const groups = statuses
    .replace(' → our ACK', '')
    .split(' / ')
    .map((g) => (g.match(/\d{3}/g) ?? []).map(Number));
  const names = causes.split(' / ');
  expect(groups).toHaveLength(names.length);
  groups.forEach((g, i) =>
    g.forEach((status) => expect([status, fromSipResponse(status)]).toEqual([status, names[i]])),
  );
});

test("any other final response is fromSip's, as the doc's examples say; an unknown one is other", () => {
  const [, , , causes] = row('any other 3xx-6xx');
  const pairs = [...causes.matchAll(/(\d{3}) (\w+)/g)].map((m) => [Number(m[1]), m[2]]);
  expect(pairs.length).toBeGreaterThan(3);
  for (const [status, cause] of pairs) expect([status, fromSipResponse(status as number)]).toEqual([status, cause]);
  expect(causes).toContain('unknown: other');
  expect(fromSipResponse(599)).toBe('other');
});

test("the stack's own 408 and 503, the CANCEL's Q.850 values and the rejects' statuses", () => {
  const [, , , local] = row('no response at all');
  for (const [, status, cause] of local.matchAll(/(\d{3}) \((\w+)\)/g))
    expect(fromSipResponse(Number(status))).toBe(cause);
  const [, , , cancel] = row('release before answer');
  const q850 = [...cancel.matchAll(/(\w+) \((\d+)\)/g)];
  expect(q850.map((m) => m[1])).toEqual(['cancel', 'timeout']);
  for (const [, cause, n] of q850) expect(toQ850(cause as EndCause)).toBe(Number(n));
  const [, , , reject] = row('`reject({ cause })`');
  expect(reject).toContain('BUSY → 486, REJECTED → 603');
  expect([toSip('busy'), toSip('rejected')]).toEqual([486, 603]);
  expect(row('no ACK within')[3]).toContain('Q.850 41');
  expect(toQ850('temporaryFailure')).toBe(41);
});
