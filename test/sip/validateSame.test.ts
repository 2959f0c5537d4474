// The validator gives the same verdicts and replies as its reference (test/support/validateReference.ts, the version
// before the allocation-light rewrite): on RFC 4475 messages, a benchmark call's messages, every one-character edit of
// the call's heads and random multi-piece edits of all of them, whole messages and stream heads alike.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { frameStreamHead, isWs, validateMessage } from '../../src/sip/validate';
import { CALL_MESSAGES } from '../support/sipCallMessages';
import * as reference from '../support/validateReference';

const dir = join(__dirname, '../fixtures/rfc4475');
const RFC4475 = readdirSync(dir)
  .filter((f) => f.endsWith('.dat') || f.endsWith('.sip'))
  .map((f) => {
    const text = readFileSync(join(dir, f), 'binary');
    return f.endsWith('.sip') ? text.replace(/\r?\n/g, '\r\n') : text;
  });
const CALL = CALL_MESSAGES.map(([, m]) => m);
const CORPUS = [...CALL, ...RFC4475];

/** Pieces an edit inserts: SIP syntax, whitespace and line breaks of every kind, names the validator reads. */
const PIECES = [
  ...'\r\n \t;,"\\<>:=@[]?/*.-_!a0Z',
  '\r\n ',
  '\r\n\t',
  '\r\n\r\n',
  '\u00a0',
  '\u2028',
  '\ufeff',
  '\u3000',
  'é',
  ';tag',
  ';tag=',
  ';branch=z9hG4bK1',
  'sip:',
  'sips:',
  'tel:',
  'SIP/2.0',
  '[::1]',
  ':65536',
  'ACK ',
  'INVITE',
  '\r\nv: ',
  '\r\nf: ',
  '\r\nt: ',
  '\r\ni: ',
  '\r\nm: ',
  '\r\nl: ',
  '\r\nc: ',
  '\r\nCall-ID: ',
  '\r\nCSeq: 1 INVITE',
  '\r\nContent-Length: ',
  '\r\nContent-Type: ',
  '\r\nRoute: ',
  '\r\nRecord-Route: ',
  '\r\nRequire: ',
  '\r\nAccept: ',
  '\r\nMax-Forwards: ',
  '\r\nContact: *',
];

const OPTIONS = [{}, { stream: true }, { maxBytes: 400 }];

/** What a call returned, or the error it threw. */
function outcome<T>(f: () => T): T | { threw: string } {
  try {
    return f();
  } catch (e) {
    return { threw: String(e) };
  }
}

/** The head the patched stack frames a stream message with: up to the first blank line, leading whitespace left out. */
function streamHead(raw: string): string {
  const a = /^\s*([\S\s]*?)\r\n\r\n/.exec(raw);
  return a ? a[1] : raw;
}

/** Both validators' outcomes on `raw` (every option set, and its stream head), as one JSON text each. */
function outcomes(raw: string): [string, string] {
  const head = streamHead(raw);
  const run = (v: typeof reference) =>
    JSON.stringify([
      ...OPTIONS.map((o) => outcome(() => v.validateMessage(raw, o))),
      outcome(() => v.frameStreamHead(head)),
      outcome(() => v.frameStreamHead(head, 300)),
    ]);
  return [run({ validateMessage, frameStreamHead } as typeof reference), run(reference)];
}

function expectSame(raw: string): void {
  const [now, before] = outcomes(raw);
  // toEqual only on a difference: it would cost more than the validators.
  if (now !== before) expect({ raw, now: JSON.parse(now) }).toEqual({ raw, now: JSON.parse(before) });
}

test('isWs is exactly the whitespace of /\\s/ and String.prototype.trim', () => {
  for (let c = 0; c <= 0xffff; c++) {
    const ch = String.fromCharCode(c);
    const ws = /\s/.test(ch);
    if (isWs(c) !== ws || (ch.trim() === '') !== ws) throw new Error(`U+${c.toString(16)}: isWs ${isWs(c)}`);
  }
});

test('the corpus itself: same verdicts and replies', () => {
  expect(RFC4475.length).toBeGreaterThan(49);
  for (const m of CORPUS) expectSame(m);
});

test("every one-character deletion or insertion in the call's heads: same verdicts and replies", () => {
  const pieces = PIECES.filter((p) => p.length === 1);
  for (const m of CALL) {
    for (let at = 0; at <= m.indexOf('\r\n\r\n') + 4; at++) {
      expectSame(m.slice(0, at) + m.slice(at + 1));
      for (const piece of pieces) expectSame(m.slice(0, at) + piece + m.slice(at));
    }
  }
}, 60_000);

test('random multi-piece edits of every message: same verdicts and replies', () => {
  const edit = fc.record({
    at: fc.nat(),
    remove: fc.nat({ max: 4 }),
    insert: fc.array(fc.constantFrom(...PIECES), { maxLength: 3 }),
  });
  fc.assert(
    fc.property(fc.constantFrom(...CORPUS), fc.array(edit, { minLength: 1, maxLength: 6 }), (base, edits) => {
      let m = base;
      for (const { at, remove, insert } of edits) {
        const i = at % (m.length + 1);
        m = m.slice(0, i) + insert.join('') + m.slice(i + remove);
      }
      expectSame(m);
    }),
    { numRuns: 10000 },
  );
});
