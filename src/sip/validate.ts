// Validation of every incoming SIP message, before the stack parses it: start line, required headers, CSeq, Via,
// From/To, Call-ID, Content-Length against the body, and a size limit. A request that fails gets a 400-class reply
// built from its own headers (or is dropped when no reply can be addressed); a bad response or ACK is dropped.
// It runs on every message received, so the path of a valid message allocates little: the head is read in place
// (indices, char codes), only the values of the headers checked are copied out, and a reply's lines are looked up
// again only when there is a reply to build (test/sip/validateSame.test.ts holds it to the verdicts of before).

/** What the validator decided about one message. */
export type Verdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: number; readonly reason: string; readonly reply?: string };

export interface ValidateOptions {
  /** Largest message accepted, in bytes (default 16 KiB); a larger request gets 513. */
  readonly maxBytes?: number;
  /** The transport: over a stream transport, Content-Length is required (RFC 3261 18.3). */
  readonly stream?: boolean;
}

export const DEFAULT_MAX_BYTES = 16 * 1024;

/** The headers the checks read, by lower-case full name. */
const READ = [
  'via',
  'from',
  'to',
  'call-id',
  'cseq',
  'max-forwards',
  'contact',
  'route',
  'record-route',
  'content-length',
  'content-type',
  'require',
  'accept',
] as const;
type Field = (typeof READ)[number];
const COMPACT: readonly [string, Field][] = [
  ['i', 'call-id'],
  ['m', 'contact'],
  ['l', 'content-length'],
  ['c', 'content-type'],
  ['f', 'from'],
  ['t', 'to'],
  ['v', 'via'],
];
/** Full and compact names of the headers read, by name length. */
const NAMES: [string, Field][][] = [];
for (const entry of [...READ.map((n): [string, Field] => [n, n]), ...COMPACT])
  (NAMES[entry[0].length] ??= []).push(entry);
/** Single headers whose value holds no comma (From/To may quote one in a display name, Content-Type in a parameter). */
const NO_COMMA: ReadonlySet<Field> = new Set<Field>(['call-id', 'cseq', 'content-length', 'max-forwards']);
/** The name-addr lists checked besides From and To. */
const ADDRESSES = ['contact', 'route', 'record-route'] as const;
/** The headers a reply echoes. */
const ECHOED: readonly Field[] = ['via', 'from', 'to', 'call-id', 'cseq'];

/** A table of the ASCII characters in `chars`, by char code. */
function charTable(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (const ch of chars) t[ch.charCodeAt(0)] = 1;
  return t;
}
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ALNUM = LETTERS + '0123456789';
const LETTER = charTable(LETTERS);
/** Characters of a URI scheme after its first letter. */
const SCHEME_CHAR = charTable(ALNUM + '+-.');
/** RFC 3261 token characters. */
const TOKEN_CHAR = charTable(ALNUM + "-.!%*_+`'~");
/** Characters of a host name or IPv4 address, and of an IPv6 reference between its brackets. */
const HOST_CHAR = charTable(ALNUM + '-.');
const IPV6_CHAR = charTable('0123456789ABCDEFabcdef:.');

const RESPONSE = /^SIP\//i;
const REQUEST_LINE = /^[A-Za-z0-9\-.!%*_+`'~]+ \S+ SIP\/\d+\.\d+$/;
const STATUS_LINE = /^SIP\/\d+\.\d+ \d{3} ?.*$/;
const URI = /^[A-Za-z][A-Za-z0-9+\-.]*:\S+$/;
const VIA = /^SIP\s*\/\s*2\.0\s*\/\s*[A-Za-z]+\s+(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-.]+)(?:\s*:\s*\d{1,5})?\s*(?:;.*)?$/;
const BRANCH = /;\s*branch\s*=\s*[^;,\s]+/i;
const LINE_BREAK = /[\r\n\u2028\u2029]/;

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const SEMI = 59;
const LT = 60;
const GT = 62;
const QUESTION = 63;
const LBRACKET = 91;
const BACKSLASH = 92;
const RBRACKET = 93;

type Values = Record<Field, string[] | undefined>;
const NONE: readonly string[] = [];
const OK: Verdict = Object.freeze({ ok: true });

interface Head {
  /** The head: start line and header lines, without the blank line (read again only to build a reply). */
  readonly text: string;
  readonly startLine: string;
  /** Trimmed values of the headers the checks read, in order of appearance (one entry per header line). */
  readonly values: Values;
}

class Invalid extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Header lines (without CRLF) the reply carries besides the echoed ones (Unsupported, Accept). */
    readonly extra: readonly string[] = [],
  ) {
    super(message);
  }
}

const PHRASES: Record<number, string> = {
  406: 'Not Acceptable',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  505: 'Version Not Supported',
  513: 'Message Too Large',
};

/** Whether a char code is whitespace for /\s/ and String.prototype.trim (exported for its test). */
export function isWs(c: number): boolean {
  if (c < 0x80) return c === SPACE || (c >= TAB && c <= CR);
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** s[start, end) without leading and trailing whitespace (as trim() would have it, with one copy less). */
function trimmed(s: string, start: number, end: number): string {
  while (start < end && isWs(s.charCodeAt(start))) start++;
  while (end > start && isWs(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

/** Whether a head holds a line break besides the CRLFs between its lines (where a header line may not end). */
function hasStrayBreak(text: string): boolean {
  if (text.indexOf('\u2028') !== -1 || text.indexOf('\u2029') !== -1) return true;
  for (let cr = text.indexOf('\r'); cr !== -1; cr = text.indexOf('\r', cr + 2))
    if (text.charCodeAt(cr + 1) !== LF) return true;
  for (let lf = text.indexOf('\n'); lf !== -1; lf = text.indexOf('\n', lf + 1))
    if (text.charCodeAt(lf - 1) !== CR) return true;
  return false;
}

/** Whether s[start, end) holds something besides whitespace. */
function blank(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isWs(s.charCodeAt(i))) return false;
  return true;
}

/** The end of the run of token characters from `start`. */
function tokenEnd(s: string, start: number, end: number): number {
  let i = start;
  while (i < end && TOKEN_CHAR[s.charCodeAt(i)] === 1) i++;
  return i;
}

/** Whether s[start, start + lower.length) is `lower` in any case (`s` holds token characters there). */
function sameName(s: string, start: number, lower: string): boolean {
  // Setting bit 5 lower-cases a letter and changes no other token character into a letter or '-'.
  for (let i = 0; i < lower.length; i++) if ((s.charCodeAt(start + i) | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}

/** The header read under the name s[start, end), if it is one. */
function fieldOf(s: string, start: number, end: number): Field | undefined {
  const candidates = NAMES[end - start];
  if (candidates === undefined) return undefined;
  for (let i = 0; i < candidates.length; i++) if (sameName(s, start, candidates[i][0])) return candidates[i][1];
  return undefined;
}

/**
 * Calls `each` with every header line of a head (the lines after the start line), unfolded: a line with
 * continuation lines (starting with a space or tab) comes as a new string, the others as a range of `head`.
 * Stops at the first line `each` refuses, and says whether every line was accepted.
 */
function eachLine(head: string, each: (s: string, start: number, end: number) => boolean): boolean {
  const eol = head.indexOf('\r\n');
  if (eol === -1) return true;
  let lineStart = -1; // the pending line, when it has no continuation yet
  let lineEnd = -1;
  let folded: string | undefined;
  for (let start = eol + 2; ;) {
    const next = head.indexOf('\r\n', start);
    const end = next === -1 ? head.length : next;
    const c = head.charCodeAt(start);
    if ((c === SPACE || c === TAB) && lineStart !== -1) {
      folded = (folded ?? head.slice(lineStart, lineEnd)) + ' ' + head.slice(start, end).trim();
    } else {
      if (lineStart !== -1 && !(folded === undefined ? each(head, lineStart, lineEnd) : each(folded, 0, folded.length)))
        return false;
      lineStart = start;
      lineEnd = end;
      folded = undefined;
    }
    if (next === -1) break;
    start = next + 2;
  }
  return folded === undefined ? each(head, lineStart, lineEnd) : each(folded, 0, folded.length);
}

/** The colon after a header line's name ending at `nameEnd` (then spaces or tabs), or -1 when there is none. */
function colonAfter(s: string, nameEnd: number, end: number): number {
  let i = nameEnd;
  while (i < end && (s.charCodeAt(i) === SPACE || s.charCodeAt(i) === TAB)) i++;
  return i < end && s.charCodeAt(i) === COLON ? i : -1;
}

/** Splits a message head into its start line and the values of the headers read; undefined when not a SIP head. */
function splitHead(text: string): Head | undefined {
  const eol = text.indexOf('\r\n');
  const startLine = eol === -1 ? text : text.slice(0, eol);
  if (startLine === '') return undefined;
  const values: Values = {
    via: undefined,
    from: undefined,
    to: undefined,
    'call-id': undefined,
    cseq: undefined,
    'max-forwards': undefined,
    contact: undefined,
    route: undefined,
    'record-route': undefined,
    'content-length': undefined,
    'content-type': undefined,
    require: undefined,
    accept: undefined,
  };
  const stray = hasStrayBreak(text);
  const ok = eachLine(text, (s, start, end) => {
    const nameEnd = tokenEnd(s, start, end);
    const colon = nameEnd === start ? -1 : colonAfter(s, nameEnd, end);
    if (colon === -1 || (stray && LINE_BREAK.test(s.slice(colon + 1, end)))) return false;
    const field = fieldOf(s, start, nameEnd);
    if (field === undefined) return true;
    // [value] rather than [] and push(), which would reserve room for 17 values.
    const value = trimmed(s, colon + 1, end);
    const list = values[field];
    if (list === undefined) values[field] = [value];
    else list.push(value);
    return true;
  });
  return ok ? { text, startLine, values } : undefined;
}

/** Splits a comma-separated header value, keeping commas inside quotes and angle brackets (exported for tests). */
export function splitList(value: string): string[] {
  // Most values (a Via, a Contact) are one item without quotes: native searches tell.
  if (value.indexOf(',') === -1 && value.indexOf('"') === -1) {
    if (value.lastIndexOf('<') > value.lastIndexOf('>')) throw new Invalid(400, 'unterminated quote or angle bracket');
    return [trimmed(value, 0, value.length)];
  }
  let out: string[] | undefined; // the items before the last, when there is more than one
  let start = 0;
  let quoted = false;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (quoted) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) quoted = false;
    } else if (c === QUOTE) quoted = true;
    else if (c === LT) angle = true;
    else if (c === GT) angle = false;
    else if (c === COMMA && !angle) {
      const item = trimmed(value, start, i);
      if (out === undefined) out = [item];
      else out.push(item);
      start = i + 1;
    }
  }
  if (quoted || angle) throw new Invalid(400, 'unterminated quote or angle bracket');
  const last = trimmed(value, start, value.length);
  if (out === undefined) return [last];
  out.push(last);
  return out;
}

/** 'sip' (sip or sips), 'tel' or 'other' by a URI's scheme; undefined when it does not start with a scheme and ':'. */
function schemeOf(uri: string): 'sip' | 'tel' | 'other' | undefined {
  if (LETTER[uri.charCodeAt(0)] !== 1) return undefined;
  let i = 1;
  while (SCHEME_CHAR[uri.charCodeAt(i)] === 1) i++;
  if (uri.charCodeAt(i) !== COLON) return undefined;
  // Scheme characters are token characters, as sameName() wants.
  if ((i === 3 || (i === 4 && (uri.charCodeAt(3) | 0x20) === 0x73)) && sameName(uri, 0, 'sip')) return 'sip';
  return i === 3 && sameName(uri, 0, 'tel') ? 'tel' : 'other';
}

/**
 * Whether the URI's host part from `start` is a host (name, IPv4 or [IPv6]) with an optional port up to 65535, up to
 * the end or the parameters or headers (';' or '?').
 */
function hostport(uri: string, start: number): boolean {
  let i = start;
  if (uri.charCodeAt(i) === LBRACKET) {
    i++;
    while (IPV6_CHAR[uri.charCodeAt(i)] === 1) i++;
    if (i === start + 1 || uri.charCodeAt(i) !== RBRACKET) return false;
    i++;
  } else {
    while (HOST_CHAR[uri.charCodeAt(i)] === 1) i++;
    if (i === start) return false;
  }
  if (uri.charCodeAt(i) === COLON) {
    let port = 0;
    const digits = ++i;
    for (let d = uri.charCodeAt(i) - 0x30; d >= 0 && d <= 9; d = uri.charCodeAt(++i) - 0x30) port = port * 10 + d;
    if (i === digits || i - digits > 5 || port > 65535) return false;
  }
  return i === uri.length || uri.charCodeAt(i) === SEMI || uri.charCodeAt(i) === QUESTION;
}

/** Checks a URI's shape (scheme, and for SIP/SIPS the host and port); returns whether its scheme is one we serve. */
export function checkUri(uri: string, what: string): boolean {
  if (!URI.test(uri)) throw new Invalid(400, `${what}: not a URI`);
  const scheme = schemeOf(uri);
  if (scheme === 'sip') {
    const at = uri.lastIndexOf('@');
    if (!hostport(uri, at === -1 ? uri.indexOf(':') + 1 : at + 1)) throw new Invalid(400, `${what}: bad host or port`);
    if (/[<>"]/.test(uri)) throw new Invalid(400, `${what}: illegal character`);
  }
  return scheme === 'sip' || scheme === 'tel';
}

/** The index after the quoted string opening at `start`, or -1 when it is not closed. */
function quotedEnd(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  return -1;
}

/** The '<' of a name-addr (after an optional display name), or -1 when `value` is not one. */
function nameAddrOpen(value: string): number {
  if (value.charCodeAt(0) !== QUOTE) {
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c === LT) return i;
      if (c === QUOTE) return -1;
    }
    return -1;
  }
  let i = quotedEnd(value, 0);
  if (i === -1) return -1;
  while (i < value.length && isWs(value.charCodeAt(i))) i++;
  return value.charCodeAt(i) === LT ? i : -1;
}

/**
 * Checks a name-addr or addr-spec (From, To, Contact, Route): its URI, that every parameter's name is a token, and
 * nothing but parameters after the URI. Returns whether the last tag parameter has a value.
 */
function checkNameAddr(value: string, what: string): boolean {
  let uri: string;
  let rest: number; // where the parameters start
  const lt = nameAddrOpen(value);
  const gt = lt === -1 ? -1 : value.indexOf('>', lt + 1);
  if (gt !== -1) {
    uri = trimmed(value, lt + 1, gt);
    rest = gt + 1;
  } else {
    if (value.includes('<') || value.includes('"')) throw new Invalid(400, `${what}: malformed name-addr`);
    const semi = value.indexOf(';');
    uri = trimmed(value, 0, semi === -1 ? value.length : semi);
    rest = semi === -1 ? value.length : semi;
  }
  if (!checkUri(uri, what)) throw new Invalid(400, `${what}: unsupported URI scheme`);
  const first = value.indexOf(';', rest);
  let tag = false;
  for (let start = first; start !== -1;) {
    const next = value.indexOf(';', start + 1);
    const end = next === -1 ? value.length : next;
    const eq = value.indexOf('=', start + 1);
    const nameEnd = eq === -1 || eq > end ? end : eq;
    let a = start + 1; // the name, trimmed
    let b = nameEnd;
    while (a < b && isWs(value.charCodeAt(a))) a++;
    while (b > a && isWs(value.charCodeAt(b - 1))) b--;
    if (a === b || tokenEnd(value, a, b) !== b) throw new Invalid(400, `${what}: bad parameter`);
    if (b - a === 3 && sameName(value, a, 'tag')) {
      const second = nameEnd === end ? -1 : value.indexOf('=', nameEnd + 1);
      tag = nameEnd !== end && !blank(value, nameEnd + 1, second === -1 || second > end ? end : second);
    }
    start = next;
  }
  if (!blank(value, rest, first === -1 ? value.length : first)) throw new Invalid(400, `${what}: junk after the URI`);
  return tag;
}

function one(h: Head, name: Field): string | undefined {
  const v = h.values[name];
  if (!v) return undefined;
  // Two header lines, or two values folded into one line.
  if (v.length > 1 || (NO_COMMA.has(name) && v[0].includes(',')))
    throw new Invalid(400, `more than one ${name} header`);
  return v[0];
}

function required(h: Head, name: Field): string {
  const v = one(h, name);
  if (v === undefined || v === '') throw new Invalid(400, `missing ${name} header`);
  return v;
}

/**
 * The body length a stream message's head announces, or a reply/false when it cannot be framed; a message that would
 * exceed `maxBytes` gets 513 before its body is read (the connection is then closed).
 */
export function frameStreamHead(head: string, maxBytes = DEFAULT_MAX_BYTES): number | string | false {
  const h = splitHead(head);
  if (!h) return false;
  const cl = h.values['content-length'];
  const reason = !cl
    ? 'missing content-length header'
    : cl.length > 1
      ? 'more than one content-length header'
      : !/^\d{1,9}$/.test(cl[0])
        ? 'bad content-length'
        : undefined;
  if (reason === undefined) {
    const length = Number(cl?.[0]);
    // A binary string: one byte a character.
    if (head.length + 4 + length <= maxBytes) return length;
    return buildReply(h, 513, 'message too large') ?? false;
  }
  return buildReply(h, 400, reason) ?? false;
}

/** Validates one whole message (CRLFs, head, blank line, body), a binary string. */
export function validateMessage(raw: string, options: ValidateOptions = {}): Verdict {
  let start = 0;
  while (raw.charCodeAt(start) === CR && raw.charCodeAt(start + 1) === LF) start += 2;
  const headEnd = raw.indexOf('\r\n\r\n', start);
  if (headEnd === -1) return { ok: false, status: 0, reason: 'no end of headers' };
  const head = splitHead(raw.slice(start, headEnd));
  if (!head) return { ok: false, status: 0, reason: 'unparseable' };
  const bodyLength = raw.length - headEnd - 4;
  const isRequest = !RESPONSE.test(head.startLine);
  const space = head.startLine.indexOf(' ');
  const method = !isRequest ? undefined : space === -1 ? head.startLine : head.startLine.slice(0, space);
  try {
    if (raw.length > (options.maxBytes ?? DEFAULT_MAX_BYTES)) throw new Invalid(513, 'message too large');
    checkStartLine(head.startLine, isRequest);
    checkHeaders(head, isRequest, method);
    checkBody(head, bodyLength, options.stream === true);
    if (isRequest) checkNegotiation(head, method);
    return OK;
  } catch (e) {
    if (!(e instanceof Invalid)) throw e;
    const reply = isRequest && method !== 'ACK' ? buildReply(head, e.status, e.message, e.extra) : undefined;
    return reply === undefined
      ? { ok: false, status: e.status, reason: e.message }
      : { ok: false, status: e.status, reason: e.message, reply };
  }
}

function checkStartLine(line: string, isRequest: boolean): void {
  if (isRequest) {
    // Method, Request-URI and version hold no space.
    if (!REQUEST_LINE.test(line)) throw new Invalid(400, 'malformed request line');
    if (!line.endsWith(' SIP/2.0')) throw new Invalid(505, 'version not supported');
    const uri = line.slice(line.indexOf(' ') + 1, line.lastIndexOf(' '));
    const scheme = schemeOf(uri);
    if (scheme === undefined) throw new Invalid(400, 'Request-URI: not a URI');
    if (scheme === 'other') throw new Invalid(416, 'unsupported URI scheme');
    checkUri(uri, 'Request-URI');
  } else {
    if (!STATUS_LINE.test(line)) throw new Invalid(400, 'malformed status line');
    if (!line.startsWith('SIP/2.0 ')) throw new Invalid(505, 'version not supported');
    const at = line.indexOf(' ') + 1; // three digits
    const code =
      (line.charCodeAt(at) - 0x30) * 100 + (line.charCodeAt(at + 1) - 0x30) * 10 + line.charCodeAt(at + 2) - 0x30;
    if (code < 100 || code > 699) throw new Invalid(400, 'bad status code');
  }
}

/** Where a CSeq's method starts (its number is checked), or -1 when it is not a number and a method. */
function cseqMethod(value: string): number {
  let i = 0;
  let n = 0;
  for (; i < value.length && i < 10; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  if (i === 0 || n >= 2 ** 31 || !isWs(value.charCodeAt(i))) return -1;
  while (isWs(value.charCodeAt(i))) i++;
  return i < value.length && tokenEnd(value, i, value.length) === value.length ? i : -1;
}

function checkHeaders(h: Head, isRequest: boolean, method: string | undefined): void {
  const vias = h.values.via;
  if (!vias || vias.length === 0) throw new Invalid(400, 'missing via header');
  for (const line of vias) {
    for (const v of splitList(line)) if (!VIA.test(v)) throw new Invalid(400, 'malformed via header');
  }
  const comma = vias[0].indexOf(',');
  if (isRequest && !BRANCH.test(comma === -1 ? vias[0] : vias[0].slice(0, comma))) {
    throw new Invalid(400, 'via without branch');
  }
  const fromTag = checkNameAddr(required(h, 'from'), 'From');
  checkNameAddr(required(h, 'to'), 'To');
  if (isRequest && !fromTag) throw new Invalid(400, 'From without tag');
  if (/\s/.test(required(h, 'call-id'))) throw new Invalid(400, 'bad call-id');
  const cseq = required(h, 'cseq');
  const at = cseqMethod(cseq);
  if (at === -1) throw new Invalid(400, 'bad cseq');
  if (isRequest && (method === undefined || cseq.length - at !== method.length || !cseq.startsWith(method, at))) {
    throw new Invalid(400, 'cseq method does not match the request');
  }
  const mf = one(h, 'max-forwards');
  if (mf !== undefined && (!/^\d{1,9}$/.test(mf) || Number(mf) > 255)) throw new Invalid(400, 'bad max-forwards');
  for (const name of ADDRESSES) {
    for (const line of h.values[name] ?? NONE) {
      if (name === 'contact' && line === '*') continue;
      for (const v of splitList(line)) checkNameAddr(v, name);
    }
  }
  if (method === 'INVITE' && !h.values.contact) throw new Invalid(400, 'INVITE without contact');
}

function checkBody(h: Head, bodyLength: number, stream: boolean): void {
  const cl = one(h, 'content-length');
  if (cl === undefined) {
    if (stream) throw new Invalid(400, 'missing content-length header');
  } else {
    if (!/^\d{1,9}$/.test(cl)) throw new Invalid(400, 'bad content-length');
    // RFC 3261 18.3: fewer bytes than announced is an error; extra bytes in a datagram are discarded.
    if (Number(cl) > bodyLength) throw new Invalid(400, 'content-length larger than the body');
  }
  const length = cl === undefined ? bodyLength : Number(cl);
  if (length > 0 && !one(h, 'content-type')) throw new Invalid(400, 'body without content-type');
}

/**
 * What the request asks of us that we cannot give (RFC 3261 8.2.2.3, 8.2.3): any Require (we support no extension;
 * a UAS ignores Proxy-Require) gets 420 with Unsupported; an INVITE whose body is not SDP gets 415, and one whose
 * Accept leaves out application/sdp gets 406 (its answer could not be sent).
 */
function checkNegotiation(h: Head, method: string | undefined): void {
  if (method === 'ACK' || method === 'CANCEL') return;
  const required = (h.values.require ?? NONE).flatMap(splitList).filter((t) => t !== '');
  if (required.length > 0) throw new Invalid(420, 'unsupported extension', [`Unsupported: ${required.join(', ')}`]);
  if (method !== 'INVITE') return;
  const contentType = one(h, 'content-type');
  if (contentType !== undefined && mediaType(contentType) !== 'application/sdp') {
    throw new Invalid(415, 'unsupported content-type', ['Accept: application/sdp']);
  }
  const accept = h.values.accept;
  if (accept === undefined) return;
  const ranges = accept.flatMap(splitList).map(mediaType);
  if (!ranges.some((r) => r === 'application/sdp' || r === 'application/*' || r === '*/*')) {
    throw new Invalid(406, 'accept excludes application/sdp');
  }
}

/** A media type or range without its parameters, in lower case. */
function mediaType(value: string): string {
  const semi = value.indexOf(';');
  return (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
}

/** A response to the request in `h` echoing its Via, From, To, Call-ID and CSeq; undefined when one is missing. */
function buildReply(h: Head, status: number, reason: string, extra: readonly string[] = []): string | undefined {
  if (RESPONSE.test(h.startLine) || h.startLine.startsWith('ACK ')) return undefined;
  const echoed: string[] = [];
  const seen = new Set<Field>();
  eachLine(h.text, (s, start, end) => {
    const field = fieldOf(s, start, tokenEnd(s, start, end));
    if (field !== undefined && ECHOED.includes(field)) {
      echoed.push(s.slice(start, end));
      seen.add(field);
    }
    return true;
  });
  if (seen.size < ECHOED.length) return undefined;
  const phrase = PHRASES[status] ?? 'Bad Request';
  return (
    `SIP/2.0 ${status} ${phrase}\r\n` +
    echoed.map((l) => l + '\r\n').join('') +
    extra.map((l) => l + '\r\n').join('') +
    `Warning: 399 switchboard "${reason.replace(/"/g, "'")}"\r\nContent-Length: 0\r\n\r\n`
  );
}
