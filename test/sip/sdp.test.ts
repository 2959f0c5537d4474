// The G.711 SDP helper (src/sip/sdp.ts): parsing, building, offer/answer with direction attributes, bad SDP refused.
import { answerDirection, answerSdp, buildSdp, offerSdp, parseSdp, SdpError, withDirection } from '../../src/sip/sdp';

const SIPP_OFFER = [
  'v=0',
  'o=user1 53655765 2353687637 IN IP4 127.0.0.2',
  's=-',
  'c=IN IP4 127.0.0.2',
  't=0 0',
  'm=audio 6000 RTP/AVP 8 0 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=sendonly',
  'm=video 6002 RTP/AVP 96',
  '',
].join('\r\n');

test('parses c=, the first m=audio, telephone-event and the direction', () => {
  expect(parseSdp(SIPP_OFFER)).toEqual({
    address: '127.0.0.2',
    port: 6000,
    payloads: [8, 0, 101],
    direction: 'sendonly',
    telephoneEvent: 101,
  });
  expect(parseSdp('v=0\nc=IN IP4 10.1.1.1\nm=audio 4000 RTP/AVP 0\n')).toEqual({
    address: '10.1.1.1',
    port: 4000,
    payloads: [0],
    direction: 'sendrecv',
  });
});

test('builds an offer that parses back to itself', () => {
  const offer = offerSdp({ address: '127.0.0.1', port: 20000, direction: 'inactive' });
  const text = buildSdp(offer, 7, 2);
  expect(text.split('\r\n')).toEqual([
    'v=0',
    'o=switchboard 7 2 IN IP4 127.0.0.1',
    's=switchboard',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    'm=audio 20000 RTP/AVP 0 8 101',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=inactive',
    '',
  ]);
  expect(parseSdp(text)).toEqual(offer);
});

test('answers with PCMU when offered, else PCMA; telephone-event kept; direction mirrored', () => {
  const local = { address: '127.0.0.1', port: 20002 };
  expect(answerSdp(parseSdp(SIPP_OFFER), local)).toEqual({
    address: '127.0.0.1',
    port: 20002,
    payloads: [0, 101],
    direction: 'recvonly',
    telephoneEvent: 101,
  });
  const pcma = parseSdp('v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5000 RTP/AVP 8 18\r\na=recvonly\r\n');
  expect(answerSdp(pcma, local)).toMatchObject({ payloads: [8], direction: 'sendonly' });
  expect(answerSdp({ ...pcma, direction: 'inactive' }, local).direction).toBe('inactive');
  expect(answerSdp({ ...pcma, direction: 'sendrecv' }, local).direction).toBe('sendrecv');
  // Holding the far end: our answer to its sendrecv offer is sendonly.
  expect(answerSdp({ ...pcma, direction: 'sendrecv' }, { ...local, hold: true }).direction).toBe('sendonly');
  expect(() => answerSdp({ ...pcma, payloads: [18, 9] }, local)).toThrow(new SdpError('no G.711 codec offered'));
});

test.each([
  ['', 'SDP must start with v=0'],
  ['o=x 1 1 IN IP4 1.2.3.4\r\n', 'SDP must start with v=0'],
  ['v=0\r\nc=IN IP4 1.2.3.4\r\nbogus\r\n', 'bad SDP line: bogus'],
  ['v=0\r\nc=IN IPX 1.2.3.4\r\nm=audio 1 RTP/AVP 0\r\n', 'bad c= line: c=IN IPX 1.2.3.4'],
  ['v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 1 RTP/AVP 96\r\n', 'bad or non-audio m= line: m=video 1 RTP/AVP 96'],
  ['v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 70000 RTP/AVP 0\r\n', 'bad or non-audio m= line: m=audio 70000 RTP/AVP 0'],
  ['v=0\r\nm=audio 1 RTP/AVP 0\r\n', 'no c= line'],
  ['v=0\r\nc=IN IP4 1.2.3.4\r\n', 'no m=audio line'],
])('refuses %j: %s', (text, message) => {
  expect(() => parseSdp(text)).toThrow(SdpError);
  expect(() => parseSdp(text)).toThrow(message);
});

test('withDirection replaces or adds the direction attribute; answerDirection mirrors it', () => {
  expect(withDirection('v=0\r\nm=audio 1 RTP/AVP 0\r\na=sendrecv\r\n', 'recvonly')).toBe(
    'v=0\r\nm=audio 1 RTP/AVP 0\r\na=recvonly\r\n',
  );
  expect(withDirection('v=0\nm=audio 1 RTP/AVP 0\n', 'inactive')).toBe('v=0\nm=audio 1 RTP/AVP 0\na=inactive\n');
  expect(['sendrecv', 'sendonly', 'recvonly', 'inactive'].map((d) => answerDirection(d as 'sendonly'))).toEqual([
    'sendrecv',
    'recvonly',
    'sendonly',
    'inactive',
  ]);
});
