// The validator on RFC 4475 torture messages (test/fixtures/rfc4475) and on hand-made bad messages.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkUri, frameStreamHead, splitList, validateMessage } from '../../src/sip/validate';

function fixture(name: string): string {
  return readFileSync(join(__dirname, '../fixtures/rfc4475', `${name}.sip`), 'utf8').replace(/\r?\n/g, '\r\n');
}

const OK_INVITE = [
  'INVITE sip:bob@127.0.0.1:5060 SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK-1',
  'From: <sip:alice@127.0.0.2>;tag=a1',
  'To: <sip:bob@127.0.0.1>',
  'Call-ID: c1@127.0.0.2',
  'CSeq: 1 INVITE',
  'Contact: <sip:alice@127.0.0.2:5070>',
  'Max-Forwards: 70',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

describe('SIP validator: RFC 4475 messages', () => {
  test.each(['valid-intmeth', 'valid-compact'])('%s is accepted', (name) => {
    expect(validateMessage(fixture(name))).toEqual({ ok: true });
  });

  test.each([
    ['clerr', 400, 'content-length larger than the body'],
    ['ncl', 400, 'bad content-length'],
    ['badvers', 505, 'version not supported'],
    ['mcl01', 400, 'more than one content-length header'],
    ['insuf', 400, 'missing from header'],
    ['ltgtruri', 400, 'Request-URI: not a URI'],
    ['unksm2', 400, 'From: unsupported URI scheme'],
    ['scalar02', 400, 'bad max-forwards'],
    ['mismatch01', 400, 'cseq method does not match the request'],
  ])('%s is refused with %i (%s)', (name, status, reason) => {
    const v = validateMessage(fixture(name));
    expect(v).toMatchObject({ ok: false, status, reason });
  });

  test('unksm2 is refused, and the reply echoes the request and says why', () => {
    const v = validateMessage(fixture('unksm2'));
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.reply?.split('\r\n').slice(0, 6)).toEqual([
      'SIP/2.0 400 Bad Request',
      'To: isbn:2983792873',
      'From: <http://www.example.com>;tag=3234233',
      'Call-ID: unksm2.daksdj@hyphenated-host.example.com',
      'CSeq: 234902 REGISTER',
      'Via: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bKkdjuw',
    ]);
  });

  test('insuf (no From/To/Call-ID) gets no reply: there is nothing to address it with', () => {
    const v = validateMessage(fixture('insuf'));
    expect(v).toEqual({ ok: false, status: 400, reason: 'missing from header' });
  });
});

describe('SIP validator: other rules', () => {
  const edit = (from: string, to: string) => OK_INVITE.replace(from, to);

  test('a plain INVITE passes; over a stream it needs Content-Length', () => {
    expect(validateMessage(OK_INVITE, { stream: true })).toEqual({ ok: true });
    const noCl = edit('Content-Length: 0\r\n', '');
    expect(validateMessage(noCl)).toEqual({ ok: true });
    expect(validateMessage(noCl, { stream: true })).toMatchObject({ ok: false, status: 400 });
  });

  test.each([
    ['Via: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK-1', 'Via: SIP/2.0/UDP 127.0.0.2:5070', 'via without branch'],
    ['From: <sip:alice@127.0.0.2>;tag=a1', 'From: <sip:alice@127.0.0.2>', 'From without tag'],
    ['CSeq: 1 INVITE', 'CSeq: x INVITE', 'bad cseq'],
    ['CSeq: 1 INVITE', 'CSeq: 4294967296 INVITE', 'bad cseq'],
    ['Call-ID: c1@127.0.0.2', 'Call-ID: c1 @x', 'bad call-id'],
    ['Contact: <sip:alice@127.0.0.2:5070>\r\n', '', 'INVITE without contact'],
    ['Contact: <sip:alice@127.0.0.2:5070>', 'Contact: <sip:alice@127.0.0.2:99999>', 'contact: bad host or port'],
    ['Content-Length: 0', 'Content-Length: 3', 'content-length larger than the body'],
    ['INVITE sip:bob', 'INVITE mailto:bob', 'unsupported URI scheme'],
  ])('%s -> %s is refused (%s)', (from, to, reason) => {
    expect(validateMessage(edit(from, to))).toMatchObject({ ok: false, reason });
  });

  test('a body needs a Content-Type; a message over the size limit gets 513', () => {
    expect(validateMessage(edit('Content-Length: 0\r\n\r\n', 'Content-Length: 2\r\n\r\nhi'))).toMatchObject({
      reason: 'body without content-type',
    });
    const big = edit('Max-Forwards: 70', `Max-Forwards: 70\r\nX-Pad: ${'x'.repeat(20000)}`);
    const v = validateMessage(big);
    expect(v).toMatchObject({ ok: false, status: 513 });
    expect(!v.ok && v.reply?.startsWith('SIP/2.0 513 Message Too Large\r\n')).toBe(true);
  });

  test('an invalid ACK or response is dropped, never answered', () => {
    const ack = edit('INVITE sip:bob', 'ACK sip:bob').replace('CSeq: 1 INVITE', 'CSeq: 1 ACK').replace(';tag=a1', '');
    expect(validateMessage(ack)).toEqual({ ok: false, status: 400, reason: 'From without tag' });
    const rs = 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: x\r\n\r\n';
    expect(validateMessage(rs)).toEqual({ ok: false, status: 400, reason: 'missing from header' });
  });

  test('unparseable input is dropped', () => {
    expect(validateMessage('hello')).toMatchObject({ ok: false, status: 0 });
    expect(validateMessage('INVITE sip:a@b SIP/2.0\r\nno colon here\r\n\r\n')).toMatchObject({ ok: false, status: 0 });
  });

  test('lists split at commas outside quotes and angle brackets; a backslash escapes inside quotes', () => {
    expect(splitList(' <sip:a@h;x=1,2>;q=1 , "B, \\"b\\"" <sip:b@h> ,sip:c@h')).toEqual([
      '<sip:a@h;x=1,2>;q=1',
      '"B, \\"b\\"" <sip:b@h>',
      'sip:c@h',
    ]);
    expect(splitList('a,,b,')).toEqual(['a', '', 'b', '']);
    expect(splitList('"a\\",b"')).toEqual(['"a\\",b"']);
    expect(() => splitList('"a\\')).toThrow('unterminated'); // the backslash escapes nothing: still quoted
    expect(() => splitList('"a\\"')).toThrow('unterminated');
    expect(() => splitList('<sip:a@h')).toThrow('unterminated');
  });

  test('header names: compact and any-case forms count as the full name, also when seen again', () => {
    const compact = edit('Call-ID: c1@127.0.0.2', 'i: c1@127.0.0.2').replace('CSeq:', 'CSEQ :');
    for (let i = 0; i < 2; i++) {
      expect(validateMessage(compact)).toEqual({ ok: true });
      expect(validateMessage(compact.replace('Max-Forwards: 70', 'Max-Forwards: 70\r\nCall-ID: c2'))).toMatchObject({
        reason: 'more than one call-id header',
      });
      expect(validateMessage(edit('Max-Forwards', 'Max(Forwards'))).toMatchObject({ ok: false, status: 0 });
    }
  });

  test('a URI is judged the same each time it is seen, whichever header carries it', () => {
    for (let i = 0; i < 2; i++) {
      expect(checkUri('sip:alice@127.0.0.2:5070;transport=tcp', 'Contact')).toBe(true); // a scheme we serve
      expect(checkUri('TEL:+15551234', 'To')).toBe(true);
      expect(checkUri('mailto:a@h', 'To')).toBe(false);
      expect(() => checkUri('sip:alice@127.0.0.2:70000', 'Contact')).toThrow('Contact: bad host or port');
      expect(() => checkUri('sip:alice@127.0.0.2:70000', 'From')).toThrow('From: bad host or port');
      expect(() => checkUri('sip:a"b@h', 'To')).toThrow('To: illegal character');
    }
    const to = edit('To: <sip:bob@127.0.0.1>', 'To: <sip:alice@127.0.0.2:5070>;x=1');
    expect(validateMessage(to)).toEqual({ ok: true });
    expect(validateMessage(to.replace(';x=1', ';x=1;=2'))).toMatchObject({ reason: 'To: bad parameter' });
    expect(validateMessage(to.replace(';x=1', ' junk'))).toMatchObject({ reason: 'To: junk after the URI' });
  });

  test('stream framing: a good Content-Length frames, a bad one gets a 400 to send before closing', () => {
    const head = OK_INVITE.slice(0, OK_INVITE.indexOf('\r\n\r\n'));
    expect(frameStreamHead(head)).toBe(0);
    const bad = frameStreamHead(head.replace('Content-Length: 0', 'Content-Length: -1'));
    expect(typeof bad === 'string' && bad.startsWith('SIP/2.0 400 Bad Request\r\n')).toBe(true);
    expect(frameStreamHead('garbage\r\nno header')).toBe(false);
  });
});

describe('SIP validator: RFC 4475 application-layer refusals (byte-exact .dat messages)', () => {
  const dat = (name: string) => readFileSync(join(__dirname, '../fixtures/rfc4475', `${name}.dat`), 'binary');
  const header = (reply: string | undefined, name: string) =>
    reply
      ?.split('\r\n')
      .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
      ?.slice(name.length + 1)
      .trim();

  test('bext01 (unknown Require) gets 420 Bad Extension listing them in Unsupported; Proxy-Require is ignored', () => {
    const v = validateMessage(dat('bext01'));
    expect(v).toMatchObject({ ok: false, status: 420, reason: 'unsupported extension' });
    if (v.ok) return;
    expect(v.reply?.split('\r\n')[0]).toBe('SIP/2.0 420 Bad Extension');
    expect(header(v.reply, 'Unsupported')).toBe('nothingSupportsThis, nothingSupportsThisEither');
  });

  test('invut (INVITE with an unknown body type) gets 415 Unsupported Media Type with Accept: application/sdp', () => {
    const v = validateMessage(dat('invut'));
    expect(v).toMatchObject({ ok: false, status: 415, reason: 'unsupported content-type' });
    if (v.ok) return;
    expect(v.reply?.split('\r\n')[0]).toBe('SIP/2.0 415 Unsupported Media Type');
    expect(header(v.reply, 'Accept')).toBe('application/sdp');
  });

  test('sdp01 (INVITE whose Accept excludes application/sdp) gets 406 Not Acceptable', () => {
    const v = validateMessage(dat('sdp01'));
    expect(v).toMatchObject({ ok: false, status: 406, reason: 'accept excludes application/sdp' });
    if (v.ok) return;
    expect(v.reply?.split('\r\n')[0]).toBe('SIP/2.0 406 Not Acceptable');
  });

  test('an INVITE with application/sdp, Accept: */* and an empty Require passes', () => {
    const ok = OK_INVITE.replace('Max-Forwards: 70', 'Max-Forwards: 70\r\nAccept: */*\r\nRequire:');
    expect(validateMessage(ok)).toEqual({ ok: true });
    const sdp = ok.replace('Content-Length: 0\r\n\r\n', 'Content-Type: Application/SDP\r\nContent-Length: 2\r\n\r\nv=');
    expect(validateMessage(sdp)).toEqual({ ok: true });
  });
});

describe('SIP validator: edge cases of the header syntax', () => {
  const edit = (from: string, to: string) => OK_INVITE.replace(from, to);
  const reason = (raw: string) => {
    const v = validateMessage(raw);
    return v.ok ? 'ok' : v.reason;
  };
  // The reply to a request refused for its Require, to see what it echoes.
  const refusedWith = (raw: string) => {
    const v = validateMessage(raw.replace('Max-Forwards: 70', 'Max-Forwards: 70\r\nRequire: x'));
    return v.ok ? [] : (v.reply?.split('\r\n') ?? []);
  };

  test('folded header lines are unfolded (one space for the line break and the continuation indent)', () => {
    expect(reason(edit(';tag=a1', '\r\n ;tag=a1'))).toBe('ok');
    expect(reason(edit(':5070;branch', ':5070\r\n\t ;branch'))).toBe('ok');
    expect(reason(edit('Max-Forwards: 70', 'Max-Forwards:\r\n  70'))).toBe('ok');
    expect(reason(edit('Max-Forwards: 70', 'Max-Forwards: 70\r\n \t'))).toBe('ok');
    expect(refusedWith(edit(';tag=a1', '\r\n   ;tag=a1'))).toContain('From: <sip:alice@127.0.0.2> ;tag=a1');
    expect(refusedWith(edit('CSeq: 1', 'CSeq:\r\n 1'))).toContain('CSeq: 1 INVITE');
    // A continuation right after the start line continues nothing.
    expect(validateMessage(edit('SIP/2.0\r\n', 'SIP/2.0\r\n x\r\n'))).toMatchObject({ ok: false, status: 0 });
    // A line break inside a value (a lone CR or LF) makes the head unparseable, folded or not.
    expect(validateMessage(edit('Max-Forwards: 70', 'Max-Forwards: 7\n0'))).toMatchObject({ status: 0 });
    expect(validateMessage(edit('Max-Forwards: 70', 'Max-Forwards: 70\r\n 7\r0'))).toMatchObject({ status: 0 });
    expect(reason(edit('Max-Forwards: 70', 'Max-Forwards: 70\r\n 7\r'))).toBe('bad max-forwards');
  });

  test('compact and differently-cased header names stand for the full names', () => {
    const compact = OK_INVITE.replace('Via:', 'v:')
      .replace('From:', 'F :')
      .replace('To:', 't:')
      .replace('Call-ID:', 'i:')
      .replace('Contact:', 'M:')
      .replace('Content-Length:', 'l:')
      .replace('CSeq:', 'cseq:');
    expect(reason(compact)).toBe('ok');
    expect(refusedWith(compact).slice(1, 6)).toEqual([
      'v: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK-1',
      'F : <sip:alice@127.0.0.2>;tag=a1',
      't: <sip:bob@127.0.0.1>',
      'i: c1@127.0.0.2',
      'cseq: 1 INVITE',
    ]);
    expect(reason(edit('Call-ID: c1@127.0.0.2', 'Call-ID: c1@127.0.0.2\r\ni: c2'))).toBe(
      'more than one call-id header',
    );
    expect(reason(edit('Content-Length: 0', 'L: 0\r\nCONTENT-LENGTH: 0'))).toBe('more than one content-length header');
    expect(reason(edit('Contact: <sip:alice@127.0.0.2:5070>\r\n', 'm: *\r\n'))).toBe('ok');
    expect(reason(edit('Max-Forwards', 'constructor: x\r\ntoString: y\r\n__proto__: z\r\nMax-Forwards'))).toBe('ok');
    expect(validateMessage(edit('Max-Forwards:', 'Max Forwards:'))).toMatchObject({ status: 0 });
    expect(validateMessage(edit('Max-Forwards:', 'Max-Forwards\u00a0:'))).toMatchObject({ status: 0 });
    expect(validateMessage(edit('Max-Forwards:', 'Max-Forwards@:'))).toMatchObject({ status: 0 });
  });

  test('CRLFs before the start line are skipped (RFC 3261 7.5) but count towards the size limit', () => {
    expect(reason('\r\n' + OK_INVITE)).toBe('ok');
    expect(reason('\r\n\r\n\r\n' + OK_INVITE)).toBe('ok');
    expect(validateMessage('\r\n\r\n')).toEqual({ ok: false, status: 0, reason: 'no end of headers' });
    expect(validateMessage('\r\n\r\nINVITE sip:a@b SIP/2.0\r\n')).toMatchObject({ status: 0 });
    expect(reason('\n' + OK_INVITE)).toBe('malformed request line');
    expect(reason(' ' + OK_INVITE)).toBe('malformed request line');
    expect(validateMessage('\r\n' + OK_INVITE, { maxBytes: OK_INVITE.length + 1 })).toMatchObject({ status: 513 });
    expect(validateMessage(OK_INVITE, { maxBytes: OK_INVITE.length })).toEqual({ ok: true });
  });

  test('commas inside quotes and angle brackets do not split a list; single headers take no comma', () => {
    expect(reason(edit('From: <', 'From: "Smith, Alice" <'))).toBe('ok');
    expect(reason(edit('To: <', 'To: Smith, Bob <'))).toBe('ok');
    expect(
      reason(edit('Contact: <sip:alice@127.0.0.2:5070>', 'Contact: "Al, \\"Jr\\"" <sip:a@h>, <sip:b@h;x=1,2>')),
    ).toBe('ok');
    expect(reason(edit('Contact: <', 'Contact: "Al <'))).toBe('unterminated quote or angle bracket');
    expect(reason(edit('Contact: <sip:alice@127.0.0.2:5070>', 'Contact: <sip:a@h'))).toBe(
      'unterminated quote or angle bracket',
    );
    expect(reason(edit('Contact: <sip:alice@127.0.0.2:5070>', 'Contact: <sip:a@h>,'))).toBe('contact: not a URI');
    expect(reason(edit('Call-ID: c1@127.0.0.2', 'Call-ID: c1,c2'))).toBe('more than one call-id header');
    expect(reason(edit('Max-Forwards: 70', 'Max-Forwards: 70,70'))).toBe('more than one max-forwards header');
    expect(reason(edit('From: <', 'From: Al"x <'))).toBe('From: malformed name-addr');
    expect(reason(edit('From: <', 'From: "Al" x <'))).toBe('From: malformed name-addr');
  });

  test('parameters: every name must be a token, a value is optional, the last tag counts', () => {
    expect(reason(edit(';tag=a1', ';tag'))).toBe('From without tag');
    expect(reason(edit(';tag=a1', ';tag='))).toBe('From without tag');
    expect(reason(edit(';tag=a1', ';tag= \t'))).toBe('From without tag');
    expect(reason(edit(';tag=a1', ';tag==a1'))).toBe('From without tag');
    expect(reason(edit(';tag=a1', ';tag=a1;tag'))).toBe('From without tag');
    expect(reason(edit(';tag=a1', ';tag;TAG = a1 ;lr'))).toBe('ok');
    expect(reason(edit(';tag=a1', ' ; tag=a1=b'))).toBe('ok');
    expect(reason(edit('To: <sip:bob@127.0.0.1>', 'To: <sip:bob@127.0.0.1>;x;y=;=z'))).toBe('To: bad parameter');
    expect(reason(edit('To: <sip:bob@127.0.0.1>', 'To: <sip:bob@127.0.0.1>; ;x'))).toBe('To: bad parameter');
    expect(reason(edit('To: <sip:bob@127.0.0.1>', 'To: <sip:bob@127.0.0.1>;a b=1'))).toBe('To: bad parameter');
    expect(reason(edit('To: <sip:bob@127.0.0.1>', 'To: <sip:bob@127.0.0.1>;a@b'))).toBe('To: bad parameter');
    expect(reason(edit('To: <sip:bob@127.0.0.1>', 'To: sip:bob@127.0.0.1;x;y=1'))).toBe('ok');
    expect(reason(edit('To: <sip:bob@127.0.0.1>', 'To: <sip:bob@127.0.0.1> x'))).toBe('To: junk after the URI');
    expect(reason(edit('To: <sip:bob@127.0.0.1>', 'To: <sip:bob@127.0.0.1> x;a b'))).toBe('To: bad parameter');
    expect(reason(edit('To: <sip:bob@127.0.0.1>', 'To: <sip:bob@127.0.0.1> x;a'))).toBe('To: junk after the URI');
    expect(reason(edit('Max-Forwards', 'Route: <sip:p1@h;lr>, <sip:p2@h;lr>;x\r\nMax-Forwards'))).toBe('ok');
  });

  test('IPv6 references are hosts in Via and SIP URIs; the port must be at most 65535', () => {
    const v6 = edit('127.0.0.2:5070;branch', '[2001:db8::2]:5070;branch')
      .replace('<sip:alice@127.0.0.2:5070>', '<sip:alice@[2001:db8::2]:5070;transport=udp>')
      .replace('sip:bob@127.0.0.1:5060', 'sip:bob@[::1]');
    expect(reason(v6)).toBe('ok');
    expect(reason(v6.replace('[::1]', '[::1]:65536'))).toBe('Request-URI: bad host or port');
    expect(reason(v6.replace('[::1]', '[::g]'))).toBe('Request-URI: bad host or port');
    expect(reason(v6.replace('[::1]', '[::1'))).toBe('Request-URI: bad host or port');
    expect(reason(v6.replace('[2001:db8::2]:5070;branch', '[2001:db8::2:5070;branch'))).toBe('malformed via header');
    expect(reason(v6.replace('[2001:db8::2]:5070;transport', '[2001:db8::2]:99999;transport'))).toBe(
      'contact: bad host or port',
    );
    expect(reason(v6.replace('sip:bob@[::1]', 'sip:b"ob@[::1]'))).toBe('Request-URI: illegal character');
    expect(reason(v6.replace('sip:bob@[::1]', 'sip:bob@[::1];a=<'))).toBe('Request-URI: illegal character');
  });
});

describe('SIP validator: edge cases of the numbers', () => {
  const edit = (from: string, to: string) => OK_INVITE.replace(from, to);
  const reason = (raw: string) => {
    const v = validateMessage(raw);
    return v.ok ? 'ok' : v.reason;
  };
  const response = (statusLine: string) =>
    reason(
      `${statusLine}\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\n` +
        'Call-ID: x\r\nCSeq: 1 INVITE\r\n\r\n',
    );

  test('CSeq: up to 10 digits below 2^31, whitespace, then the method of the request', () => {
    expect(reason(edit('CSeq: 1 INVITE', 'CSeq: 2147483647 INVITE'))).toBe('ok');
    expect(reason(edit('CSeq: 1 INVITE', 'CSeq: 2147483648 INVITE'))).toBe('bad cseq');
    expect(reason(edit('CSeq: 1 INVITE', 'CSeq: 0000000001 INVITE'))).toBe('ok');
    expect(reason(edit('CSeq: 1 INVITE', 'CSeq: 00000000001 INVITE'))).toBe('bad cseq');
    expect(reason(edit('CSeq: 1 INVITE', 'CSeq: 1\t \u00a0INVITE'))).toBe('ok');
    expect(reason(edit('CSeq: 1 INVITE', 'CSeq: 1INVITE'))).toBe('bad cseq');
    expect(reason(edit('CSeq: 1 INVITE', 'CSeq: 1 INVITE x'))).toBe('bad cseq');
    expect(reason(edit('CSeq: 1 INVITE', 'CSeq: 1 INVITEx'))).toBe('cseq method does not match the request');
    expect(reason(edit('CSeq: 1 INVITE', 'CSeq: 1 INVIT'))).toBe('cseq method does not match the request');
    expect(reason(edit('CSeq: 1 INVITE', 'CSeq: 1 invite'))).toBe('cseq method does not match the request');
  });

  test('status line: SIP/2.0, a code from 100 to 699, an optional reason phrase', () => {
    expect(response('SIP/2.0 200 OK')).toBe('ok');
    expect(response('SIP/2.0 699')).toBe('ok');
    expect(response('SIP/2.0 2000 OK')).toBe('ok');
    expect(response('SIP/2.0 099 Early')).toBe('bad status code');
    expect(response('SIP/2.0 700 Late')).toBe('bad status code');
    expect(response('SIP/2.0 20 OK')).toBe('malformed status line');
    expect(response('SIP/2.1 200 OK')).toBe('version not supported');
    expect(response('sip/2.0 200 OK')).toBe('malformed status line');
  });

  test('ports: one to five digits up to 65535, in a SIP URI as in Via', () => {
    const contact = (hostport: string) =>
      reason(edit('Contact: <sip:alice@127.0.0.2:5070>', `Contact: <sip:alice@${hostport}>`));
    expect(contact('h:65535;transport=udp')).toBe('ok');
    expect(contact('h:00001?subject=x')).toBe('ok');
    expect(contact('h:000001')).toBe('contact: bad host or port');
    expect(contact('h:')).toBe('contact: bad host or port');
    expect(contact('h:1x')).toBe('contact: bad host or port');
    expect(contact('[::1]:65536')).toBe('contact: bad host or port');
    expect(contact('[]')).toBe('contact: bad host or port');
    expect(contact('h;a=b@[::1]:5')).toBe('ok');
    expect(reason(edit('127.0.0.2:5070;branch', '127.0.0.2:99999;branch'))).toBe('ok');
    expect(reason(edit('127.0.0.2:5070;branch', '127.0.0.2:123456;branch'))).toBe('malformed via header');
  });
});
