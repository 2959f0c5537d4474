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
      expect(checkUri('sip:alice@127.0.0.2:5070;transport=tcp', 'Contact')).toBe('sip');
      expect(checkUri('TEL:+15551234', 'To')).toBe('tel');
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
