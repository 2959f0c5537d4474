// The six messages Switchboard receives in one SIP benchmark call (bench/sip/uac-b2bua.xml from the caller, uas.xml
// from the far end, as SIPp sends them): the input of bench/sipValidate.ts and a corpus of test/sip/validateSame.test.ts.

const SDP = (version: number, ip: string, port: number) =>
  [
    'v=0',
    `o=user1 53655765 ${version} IN IP4 ${ip}`,
    's=-',
    `c=IN IP4 ${ip}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    '',
  ].join('\r\n');

function message(lines: string[], body = '', type = true): string {
  const extra = body === '' || !type ? [] : ['Content-Type: application/sdp'];
  return [...lines, ...extra, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
}

const CALLER = 'From: sipp <sip:sipp@127.0.0.2:5070>;tag=12345SIPpTag001';
const CALLEE = 'To: sut <sip:service@127.0.0.1:5060>;tag=Kx3bQ9wZr1';
const CALL_ID = 'Call-ID: 1-12345@127.0.0.2';
const OUT_FROM = 'From: <sip:sipp@127.0.0.1:5060>;tag=Vb2xT8mL0q';
const OUT_TO = 'To: <sip:service@127.0.0.3:5080>;tag=67890SIPpTag011';
const OUT_VIA = 'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK7f3a91c2d0;rport';
const OUT_CALL_ID = 'Call-ID: 4fJ9sQ2kLmN8pR5tVx1Y@127.0.0.1';

/** [name, message] */
export const CALL_MESSAGES: [string, string][] = [
  [
    'INVITE+SDP',
    message(
      [
        'INVITE sip:service@127.0.0.1:5060 SIP/2.0',
        'Via: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK-12345-1-0',
        CALLER,
        'To: sut <sip:service@127.0.0.1:5060>',
        CALL_ID,
        'Contact: <sip:sipp@127.0.0.2:5070;transport=UDP>',
        'Max-Forwards: 70',
        'CSeq: 1 INVITE',
      ],
      SDP(2353687637, '127.0.0.2', 6000),
    ),
  ],
  [
    '180',
    message([
      'SIP/2.0 180 Ringing',
      OUT_VIA,
      OUT_FROM,
      OUT_TO,
      OUT_CALL_ID,
      'CSeq: 1 INVITE',
      'Contact: <sip:sipp@127.0.0.3:5080;transport=UDP>',
    ]),
  ],
  [
    '200+SDP',
    message(
      [
        'SIP/2.0 200 OK',
        OUT_VIA,
        OUT_FROM,
        OUT_TO,
        OUT_CALL_ID,
        'CSeq: 1 INVITE',
        'Contact: <sip:sipp@127.0.0.3:5080;transport=UDP>',
      ],
      SDP(2353687637, '127.0.0.3', 6002),
    ),
  ],
  [
    'ACK',
    message([
      'ACK sip:switchboard@127.0.0.1:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK-12345-1-5',
      CALLER,
      CALLEE,
      CALL_ID,
      'Contact: <sip:sipp@127.0.0.2:5070;transport=UDP>',
      'Max-Forwards: 70',
      'CSeq: 1 ACK',
    ]),
  ],
  [
    'BYE',
    message([
      'BYE sip:switchboard@127.0.0.1:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK-12345-1-9',
      CALLER,
      CALLEE,
      CALL_ID,
      'Contact: <sip:sipp@127.0.0.2:5070;transport=UDP>',
      'Max-Forwards: 70',
      'CSeq: 2 BYE',
    ]),
  ],
  ['200 BYE', message(['SIP/2.0 200 OK', OUT_VIA, OUT_FROM, OUT_TO, OUT_CALL_ID, 'CSeq: 2 BYE'])],
];
