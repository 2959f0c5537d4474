// The `sip` package's parser and serialiser (node_modules/sip/sip.js as patched by patches/sip+0.0.6.patch) on the
// edges its performance patch touches: header names (casing out, compact and escaped forms in, names with white space
// before the colon), multi-valued and repeated headers, folded lines, parameters, URIs, leading white space and the
// stream parser. The expected values are those of the unpatched code: these pass before and after that patch.
import * as sip from 'sip';

const crlf = (lines: string[]) => lines.join('\r\n');

function parse(lines: string[], body = ''): sip.SipJsMessage {
  const m = sip.parse(crlf([...lines, '', body]));
  if (!m) throw new Error('not parsed');
  return m;
}

describe('header names', () => {
  test('serialised in their usual casing, also when a name is seen again', () => {
    const m = {
      method: 'INVITE',
      uri: 'sip:b@127.0.0.2',
      headers: {
        'call-id': 'abc',
        cseq: { seq: 1, method: 'INVITE' },
        'www-authenticate': [{ scheme: 'Digest', realm: '"r"', nonce: '"n"' }],
        'proxy-authenticate': [{ scheme: 'Digest', realm: '"p"' }],
        'max-forwards': 70,
        'content-type': 'application/sdp',
        'p-asserted-identity': '<sip:a@h>',
        'x-foo_bar': 'v',
        'x-a.b': 'w',
        allow: 'INVITE, ACK',
        'record-route': [{ uri: 'sip:p;lr', params: {} }],
      },
      content: 'x',
    };
    const expected = crlf([
      'INVITE sip:b@127.0.0.2 SIP/2.0',
      'Call-ID: abc',
      'CSeq: 1 INVITE',
      'WWW-Authenticate: Digest realm="r",nonce="n"',
      'Proxy-Authenticate: Digest realm="p"',
      'Max-Forwards: 70',
      'Content-Type: application/sdp',
      'P-Asserted-Identity: <sip:a@h>',
      'X-Foo_bar: v',
      'X-A.B: w',
      'Allow: INVITE, ACK',
      'Record-Route:  <sip:p;lr>',
      'Content-Length: 1',
      '',
      'x',
    ]);
    expect(sip.stringify(m)).toBe(expected);
    expect(sip.stringify(m)).toBe(expected);
  });

  test('compact, upper-case and %-escaped names are read as the full lower-case name', () => {
    const m = parse([
      'OPTIONS sip:h SIP/2.0',
      'v: SIP/2.0/UDP a;branch=z9hG4bK1',
      'f: <sip:a@h>;tag=1',
      't: <sip:b@h>',
      'I: id1',
      'CSEQ: 5 OPTIONS',
      'm: <sip:a@h>',
      'k: timer',
      's: hi',
      'c: text/plain',
      'L: 0',
      'Re%61son: Q.850;cause=16',
    ]);
    expect(Object.keys(m.headers)).toEqual([
      'via',
      'from',
      'to',
      'call-id',
      'cseq',
      'contact',
      'supported',
      'subject',
      'content-type',
      'content-length',
      'reason',
    ]);
    expect(m.headers['call-id']).toBe('id1');
    expect(m.headers.cseq).toEqual({ seq: 5, method: 'OPTIONS' });
    expect(m.headers.reason).toBe('Q.850;cause=16');
    expect(m.headers['content-length']).toBe(0);
  });

  test('white space around the colon; a line without a colon, or with white space inside the name, fails the message', () => {
    const m = parse(['SIP/2.0 200 OK', 'Max-Forwards : 70', 'Subject:\t \u00a0 x', 'X-Empty:', ':odd']);
    expect(m.headers).toEqual({ 'max-forwards': '70', subject: 'x', 'x-empty': '', '': 'odd' });
    expect(sip.parse(crlf(['SIP/2.0 200 OK', 'no colon here', '', '']))).toBeUndefined();
    expect(sip.parse(crlf(['SIP/2.0 200 OK', 'Sp ace: y', '', '']))).toBeUndefined();
  });

  test('many distinct names (more than the remembered ones) keep every name right', () => {
    const headers: Record<string, string> = {};
    const lines = ['SIP/2.0 200 OK'];
    for (let i = 0; i < 1500; i++) {
      headers[`x-h${i}-a`] = String(i);
      lines.push(`X-H${i}-A: ${i}`, `i: id${i}`);
    }
    const out = sip.stringify({ status: 200, reason: 'OK', headers: { ...headers, 'call-id': 'c', 'x-h7-a': '7' } });
    expect(out.split('\r\n').slice(1, 4)).toEqual(['X-H0-A: 0', 'X-H1-A: 1', 'X-H2-A: 2']);
    expect(out).toContain('\r\nX-H1499-A: 1499\r\nCall-ID: c\r\n');
    const m = parse(lines);
    expect(Object.keys(m.headers)).toHaveLength(1501);
    expect(m.headers['x-h1499-a']).toBe('1499');
    expect((m.headers['call-id'] as string).split(',')).toHaveLength(1500);
  });
});

describe('values', () => {
  test('Via: several lines and comma lists, each with its own parameters', () => {
    const m = parse([
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP a:5060;branch=z9hG4bK1;rport=5062;received=1.2.3.4, SIP / 2.0 / TCP b ;branch=z9hG4bK2',
      'Via: SIP/2.0/TLS c:5061;maddr="x y";ttl',
    ]);
    expect(m.headers.via).toEqual([
      {
        version: '2.0',
        protocol: 'UDP',
        host: 'a',
        port: 5060,
        params: { branch: 'z9hG4bK1', rport: '5062', received: '1.2.3.4' },
      },
      { version: '2.0', protocol: 'TCP', host: 'b', port: undefined, params: { branch: 'z9hG4bK2' } },
      { version: '2.0', protocol: 'TLS', host: 'c', port: 5061, params: { maddr: '"x y"', ttl: null } },
    ]);
    expect(sip.stringify({ status: 200, reason: 'OK', headers: { via: m.headers.via } })).toBe(
      crlf([
        'SIP/2.0 200 OK',
        'Via: SIP/2.0/UDP a:5060;branch=z9hG4bK1;rport=5062;received=1.2.3.4',
        'Via: SIP/2.0/TCP b;branch=z9hG4bK2',
        'Via: SIP/2.0/TLS c:5061;maddr="x y";ttl',
        'Content-Length: 0',
        '',
        '',
      ]),
    );
  });

  test('Contact, Route and Record-Route lists; repeated other headers joined with commas', () => {
    const m = parse([
      'SIP/2.0 200 OK',
      'Contact: "A, B" <sip:a@h;transport=tcp>;expires=60, <sip:b@h>',
      'Record-Route: <sip:p1;lr>, <sip:p2:5070;lr>',
      'Record-Route: <sip:p3;lr;ftag=x>',
      'Allow: INVITE',
      'Allow: BYE',
    ]);
    expect(m.headers.contact).toEqual([
      { name: '"A, B"', uri: 'sip:a@h;transport=tcp', params: { expires: '60' } },
      { name: undefined, uri: 'sip:b@h', params: {} },
    ]);
    const rr = m.headers['record-route'] as { uri: { host: string; port: number; params: object } }[];
    expect(rr.map((r) => [r.uri.host, r.uri.port, r.uri.params])).toEqual([
      ['p1', NaN, { lr: null }],
      ['p2', 5070, { lr: null }],
      ['p3', NaN, { lr: null, ftag: 'x' }],
    ]);
    expect(m.headers.allow).toBe('INVITE,BYE');
  });

  test('a folded line keeps its line break in the value', () => {
    expect(parse(['SIP/2.0 200 OK', 'Subject: a', ' b', '\tc', 'X: y']).headers).toEqual({
      subject: 'a\r\n b\r\n\tc',
      x: 'y',
    });
  });

  test('From with a display name and quoted parameters; To without angle brackets', () => {
    const m = parse(['SIP/2.0 200 OK', 'From: Alice Smith <sip:a@h>;tag=9;x="q;v"', 'To: sip:b@h;tag=7']);
    expect(m.headers.from).toEqual({ name: 'Alice Smith', uri: 'sip:a@h', params: { tag: '9', x: '"q;v"' } });
    expect(m.headers.to).toEqual({ name: undefined, uri: 'sip:b@h', params: { tag: '7' } });
  });

  test('URIs with parameters and headers', () => {
    expect(sip.parseUri('sips:u:pw@h.example:5070;transport=tcp;lr?subject=x&a=b')).toEqual({
      schema: 'sips',
      user: 'u',
      password: 'pw',
      host: 'h.example',
      port: 5070,
      params: { transport: 'tcp', lr: null },
      headers: { subject: 'x', a: 'b' },
    });
    expect(sip.parseUri('sip:h')).toEqual({
      schema: 'sip',
      user: undefined,
      password: undefined,
      host: 'h',
      port: NaN,
      params: {},
      headers: {},
    });
    expect(sip.parseUri('tel:+1')).toBeUndefined();
  });
});

describe('messages', () => {
  test('leading white space and the body (cut to Content-Length)', () => {
    const m = sip.parse('\r\n\r\nSIP/2.0 200 OK\r\nContent-Length: 3\r\n\r\nabcdef');
    expect(m).toMatchObject({ status: 200, reason: 'OK', content: 'abc' });
    expect(sip.parse(Buffer.from('SIP/2.0 180 Ringing\r\nX: \u00e9\r\n\r\n', 'latin1') as never)?.headers).toEqual({
      x: '\u00e9',
    });
    expect(sip.parse('SIP/2.0 200 OK\r\nX: 1\r\n')).toBeUndefined();
    expect(sip.parse('\r\n\r\nSIP/2.0 200 OK\r\nX: 1\r\n')).toBeUndefined();
  });

  test('the stream parser frames messages split anywhere', () => {
    const got: sip.SipJsMessage[] = [];
    const feed = sip.makeStreamParser((m) => got.push(m));
    const one = 'OPTIONS sip:h SIP/2.0\r\nCall-ID: x\r\nContent-Length: 2\r\n\r\nhi';
    const stream = `\r\n${one}${one.replace('x', 'y')}`;
    for (let i = 0; i < stream.length; i += 7) feed(stream.slice(i, i + 7));
    expect(got.map((m) => [m.method, m.headers['call-id'], m.content])).toEqual([
      ['OPTIONS', 'x', 'hi'],
      ['OPTIONS', 'y', 'hi'],
    ]);
  });
});
