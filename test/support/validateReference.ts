// Frozen copy of src/sip/validate.ts as of main e2154d2 (before the allocation-light rewrite), kept as the reference
// the differential test (test/sip/validateSame.test.ts) compares the current validator with: same verdicts, same
// replies, on RFC 4475 messages, a benchmark call's messages and random mutations of them. Do not optimise it.

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

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const SINGLE = ['from', 'to', 'call-id', 'cseq', 'content-length', 'max-forwards', 'content-type'];
const COMPACT: Record<string, string> = {
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  t: 'to',
  v: 'via',
  k: 'supported',
  s: 'subject',
  e: 'content-encoding',
};
const SCHEMES = ['sip', 'sips', 'tel'];

interface Head {
  readonly startLine: string;
  /** Header values by lower-case full name, in order of appearance (one entry per header line). */
  readonly headers: Map<string, string[]>;
  /** Original header lines (unfolded), to echo in a reply. */
  readonly lines: { name: string; line: string }[];
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

/** Splits a message head into its start line and unfolded header lines; undefined when not a SIP head at all. */
function splitHead(head: string): Head | undefined {
  const rawLines = head.split('\r\n');
  const startLine = rawLines.shift() ?? '';
  if (startLine === '') return undefined;
  const unfolded: string[] = [];
  for (const l of rawLines) {
    if (/^[ \t]/.test(l) && unfolded.length > 0) unfolded[unfolded.length - 1] += ' ' + l.trim();
    else unfolded.push(l);
  }
  const headers = new Map<string, string[]>();
  const lines: { name: string; line: string }[] = [];
  for (const l of unfolded) {
    const m = /^([^:\s]+)[ \t]*:[ \t]*(.*)$/.exec(l);
    if (!m || !TOKEN.test(m[1])) return undefined;
    const short = m[1].toLowerCase();
    const name = COMPACT[short] ?? short;
    const list = headers.get(name) ?? [];
    list.push(m[2].trim());
    headers.set(name, list);
    lines.push({ name, line: l });
  }
  return { startLine, headers, lines };
}

/** Splits a comma-separated header value, keeping commas inside quotes and angle brackets. */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === '\\') {
        cur += ch + (value[i + 1] ?? '');
        i++;
        continue;
      }
      if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '<') angle = true;
    else if (ch === '>') angle = false;
    else if (ch === ',' && !angle) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (quoted || angle) throw new Invalid(400, 'unterminated quote or angle bracket');
  out.push(cur.trim());
  return out;
}

/** Checks a SIP/SIPS/tel URI's shape (scheme, host or number); returns its scheme. */
export function checkUri(uri: string, what: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+\-.]*):(\S+)$/.exec(uri);
  if (!m) throw new Invalid(400, `${what}: not a URI`);
  const scheme = m[1].toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') {
    const rest = m[2];
    const hostport = rest.slice(rest.lastIndexOf('@') + 1).split(/[;?]/)[0];
    const hp = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-.]+)(?::(\d{1,5}))?$/.exec(hostport);
    if (!hp || (hp[2] !== undefined && Number(hp[2]) > 65535)) throw new Invalid(400, `${what}: bad host or port`);
    if (/[<>"\s]/.test(rest)) throw new Invalid(400, `${what}: illegal character`);
  }
  return scheme;
}

/** Parses a name-addr or addr-spec (From, To, Contact, Route) and returns its URI and parameters. */
export function parseNameAddr(value: string, what: string): { uri: string; params: Map<string, string | null> } {
  let rest: string;
  let uri: string;
  const angle = /^(?:"(?:[^"\\]|\\.)*"|[^"<]*)\s*<([^>]*)>(.*)$/.exec(value);
  if (angle) {
    uri = angle[1].trim();
    rest = angle[2];
  } else {
    if (value.includes('<') || value.includes('"')) throw new Invalid(400, `${what}: malformed name-addr`);
    const semi = value.indexOf(';');
    uri = (semi === -1 ? value : value.slice(0, semi)).trim();
    rest = semi === -1 ? '' : value.slice(semi);
  }
  if (!SCHEMES.includes(checkUri(uri, what))) throw new Invalid(400, `${what}: unsupported URI scheme`);
  const params = new Map<string, string | null>();
  for (const p of rest.split(';').slice(1)) {
    const [k, v] = p.split('=').map((x) => x.trim());
    if (!k || !TOKEN.test(k)) throw new Invalid(400, `${what}: bad parameter`);
    params.set(k.toLowerCase(), v ?? null);
  }
  if (rest.trim() !== '' && !rest.trim().startsWith(';')) throw new Invalid(400, `${what}: junk after the URI`);
  return { uri, params };
}

function one(h: Head, name: string): string | undefined {
  const v = h.headers.get(name);
  if (!v) return undefined;
  // Two header lines, or two values folded into one line (From/To may quote commas in a display name).
  if (v.length > 1 || (SINGLE.includes(name) && !['from', 'to', 'content-type'].includes(name) && v[0].includes(','))) {
    throw new Invalid(400, `more than one ${name} header`);
  }
  return v[0];
}

function required(h: Head, name: string): string {
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
  const cl = h.headers.get('content-length');
  const reason = !cl
    ? 'missing content-length header'
    : cl.length > 1
      ? 'more than one content-length header'
      : !/^\d{1,9}$/.test(cl[0])
        ? 'bad content-length'
        : undefined;
  if (reason === undefined) {
    const length = Number(cl?.[0]);
    if (Buffer.byteLength(head, 'binary') + 4 + length <= maxBytes) return length;
    return buildReply(h, 513, 'message too large') ?? false;
  }
  return buildReply(h, 400, reason) ?? false;
}

/** Validates one whole message (head, blank line, body). */
export function validateMessage(raw: string, options: ValidateOptions = {}): Verdict {
  const sep = raw.indexOf('\r\n\r\n');
  const trimmed = raw.replace(/^(\r\n)+/, '');
  const headEnd = trimmed.indexOf('\r\n\r\n');
  if (sep === -1 || headEnd === -1) return { ok: false, status: 0, reason: 'no end of headers' };
  const head = splitHead(trimmed.slice(0, headEnd));
  if (!head) return { ok: false, status: 0, reason: 'unparseable' };
  const body = trimmed.slice(headEnd + 4);
  const isRequest = !/^SIP\//i.test(head.startLine);
  const method = isRequest ? head.startLine.split(' ')[0] : undefined;
  const fail = (status: number, reason: string, extra: readonly string[] = []): Verdict => {
    const reply = isRequest && method !== 'ACK' ? buildReply(head, status, reason, extra) : undefined;
    return reply === undefined ? { ok: false, status, reason } : { ok: false, status, reason, reply };
  };
  try {
    if (Buffer.byteLength(raw, 'binary') > (options.maxBytes ?? DEFAULT_MAX_BYTES)) {
      throw new Invalid(513, 'message too large');
    }
    checkStartLine(head.startLine, isRequest);
    checkHeaders(head, isRequest, method);
    checkBody(head, body, options.stream === true);
    if (isRequest) checkNegotiation(head, method);
    return { ok: true };
  } catch (e) {
    if (e instanceof Invalid) return fail(e.status, e.message, e.extra);
    throw e;
  }
}

function checkStartLine(line: string, isRequest: boolean): void {
  if (isRequest) {
    const m = /^([A-Za-z0-9\-.!%*_+`'~]+) (\S+) (SIP\/\d+\.\d+)$/.exec(line);
    if (!m) throw new Invalid(400, 'malformed request line');
    if (m[3] !== 'SIP/2.0') throw new Invalid(505, 'version not supported');
    const scheme = checkUriScheme(m[2]);
    if (!SCHEMES.includes(scheme)) throw new Invalid(416, 'unsupported URI scheme');
    checkUri(m[2], 'Request-URI');
  } else {
    const m = /^(SIP\/\d+\.\d+) (\d{3}) ?(.*)$/.exec(line);
    if (!m) throw new Invalid(400, 'malformed status line');
    if (m[1] !== 'SIP/2.0') throw new Invalid(505, 'version not supported');
    if (Number(m[2]) < 100 || Number(m[2]) > 699) throw new Invalid(400, 'bad status code');
  }
}

function checkUriScheme(uri: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+\-.]*):/.exec(uri);
  if (!m) throw new Invalid(400, 'Request-URI: not a URI');
  return m[1].toLowerCase();
}

function checkHeaders(h: Head, isRequest: boolean, method: string | undefined): void {
  const vias = h.headers.get('via');
  if (!vias || vias.length === 0) throw new Invalid(400, 'missing via header');
  for (const line of vias) {
    for (const v of splitList(line)) {
      const m =
        /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-.]+)(?:\s*:\s*(\d{1,5}))?\s*(;.*)?$/.exec(
          v,
        );
      if (!m) throw new Invalid(400, 'malformed via header');
    }
  }
  if (isRequest && !/;\s*branch\s*=\s*[^;,\s]+/i.test(vias[0].split(',')[0])) {
    throw new Invalid(400, 'via without branch');
  }
  const from = parseNameAddr(required(h, 'from'), 'From');
  parseNameAddr(required(h, 'to'), 'To');
  if (isRequest && !from.params.get('tag')) throw new Invalid(400, 'From without tag');
  const callId = required(h, 'call-id');
  if (/\s/.test(callId)) throw new Invalid(400, 'bad call-id');
  const cseq = /^(\d{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)$/.exec(required(h, 'cseq'));
  if (!cseq || Number(cseq[1]) >= 2 ** 31) throw new Invalid(400, 'bad cseq');
  if (isRequest && cseq[2] !== method && !(method === 'ACK' && cseq[2] === 'ACK')) {
    throw new Invalid(400, 'cseq method does not match the request');
  }
  const mf = one(h, 'max-forwards');
  if (mf !== undefined && (!/^\d{1,9}$/.test(mf) || Number(mf) > 255)) throw new Invalid(400, 'bad max-forwards');
  for (const name of ['contact', 'route', 'record-route']) {
    for (const line of h.headers.get(name) ?? []) {
      if (name === 'contact' && line === '*') continue;
      for (const v of splitList(line)) parseNameAddr(v, name);
    }
  }
  if (method === 'INVITE' && !h.headers.get('contact')) throw new Invalid(400, 'INVITE without contact');
}

function checkBody(h: Head, body: string, stream: boolean): void {
  const cl = one(h, 'content-length');
  if (cl === undefined) {
    if (stream) throw new Invalid(400, 'missing content-length header');
  } else {
    if (!/^\d{1,9}$/.test(cl)) throw new Invalid(400, 'bad content-length');
    // RFC 3261 18.3: fewer bytes than announced is an error; extra bytes in a datagram are discarded.
    if (Number(cl) > Buffer.byteLength(body, 'binary')) throw new Invalid(400, 'content-length larger than the body');
  }
  const length = cl === undefined ? body.length : Number(cl);
  if (length > 0 && !one(h, 'content-type')) throw new Invalid(400, 'body without content-type');
}

/**
 * What the request asks of us that we cannot give (RFC 3261 8.2.2.3, 8.2.3): any Require (we support no extension;
 * a UAS ignores Proxy-Require) gets 420 with Unsupported; an INVITE whose body is not SDP gets 415, and one whose
 * Accept leaves out application/sdp gets 406 (its answer could not be sent).
 */
function checkNegotiation(h: Head, method: string | undefined): void {
  if (method === 'ACK' || method === 'CANCEL') return;
  const required = (h.headers.get('require') ?? []).flatMap(splitList).filter((t) => t !== '');
  if (required.length > 0) throw new Invalid(420, 'unsupported extension', [`Unsupported: ${required.join(', ')}`]);
  if (method !== 'INVITE') return;
  const type = one(h, 'content-type')?.split(';')[0].trim().toLowerCase();
  if (type !== undefined && type !== 'application/sdp') {
    throw new Invalid(415, 'unsupported content-type', ['Accept: application/sdp']);
  }
  const accept = h.headers.get('accept');
  if (accept === undefined) return;
  const ranges = accept.flatMap(splitList).map((r) => r.split(';')[0].trim().toLowerCase());
  if (!ranges.some((r) => ['application/sdp', 'application/*', '*/*'].includes(r))) {
    throw new Invalid(406, 'accept excludes application/sdp');
  }
}

/** A response to the request in `h` echoing its Via, From, To, Call-ID and CSeq; undefined when one is missing. */
function buildReply(h: Head, status: number, reason: string, extra: readonly string[] = []): string | undefined {
  if (/^SIP\//i.test(h.startLine) || h.startLine.startsWith('ACK ')) return undefined;
  const echoed = h.lines.filter((l) => ['via', 'from', 'to', 'call-id', 'cseq'].includes(l.name));
  for (const name of ['via', 'from', 'to', 'call-id', 'cseq']) {
    if (!echoed.some((l) => l.name === name)) return undefined;
  }
  const phrase = PHRASES[status] ?? 'Bad Request';
  return (
    `SIP/2.0 ${status} ${phrase}\r\n` +
    echoed.map((l) => l.line + '\r\n').join('') +
    extra.map((l) => l + '\r\n').join('') +
    `Warning: 399 switchboard "${reason.replace(/"/g, "'")}"\r\nContent-Length: 0\r\n\r\n`
  );
}
