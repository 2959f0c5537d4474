// Our SDP session per leg (src/sip/sdpSession.ts): our o= and s= lines on every body, the session id fixed, the
// version bumped by one exactly when the body changes (RFC 3264 8), the far end's media lines kept.
import { buildSdp, offerSdp, withDirection } from '../../src/sip/sdp';
import { originOf, SdpSession } from '../../src/sip/sdpSession';

const FAR_END = ['v=0', 'o=answer 1 1 IN IP4 127.0.0.2', 's=-', 'c=IN IP4 127.0.0.2', 't=0 0'];
const B = [...FAR_END, 'm=audio 6002 RTP/AVP 0 8', 'a=rtpmap:0 PCMU/8000', ''].join('\n');
const B_MOVED = [...FAR_END, 'm=audio 6004 RTP/AVP 0 8', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');

test("a far end's body gets our o= and s= lines, its own c=, t=, m= and a= lines, in CRLF", () => {
  const session = new SdpSession('127.0.0.1', 42);
  expect(session.stamp(B).split('\r\n')).toEqual([
    'v=0',
    'o=switchboard 42 1 IN IP4 127.0.0.1',
    's=switchboard',
    'c=IN IP4 127.0.0.2',
    't=0 0',
    'm=audio 6002 RTP/AVP 0 8',
    'a=rtpmap:0 PCMU/8000',
    '',
  ]);
  expect(new SdpSession('::1', 7).stamp(B)).toMatch(/^o=switchboard 7 1 IN IP6 ::1\r$/m);
});

test('ringback (ours) → B → B moved → B moved again (same body) → ours: versions 1, 2, 3, 3, 4', () => {
  const session = new SdpSession('127.0.0.1');
  const ours = buildSdp(offerSdp({ address: '127.0.0.1', port: 20000 }));
  const versions = [ours, B, B_MOVED, B_MOVED.replace('o=answer 1 1', 'o=answer 1 2'), ours].map((sdp) => {
    const origin = originOf(session.stamp(sdp));
    expect(origin).toMatchObject({ username: 'switchboard', id: String(session.id) });
    return Number(origin!.version);
  });
  expect(versions).toEqual([1, 2, 3, 3, 4]);
  expect(session.version).toBe(4);
  // A direction change is a new body (hold); back to the same body as before is a new version too.
  expect(originOf(session.stamp(withDirection(ours, 'sendonly')))?.version).toBe('5');
  expect(originOf(session.stamp(ours))?.version).toBe('6');
});

test('each leg has its own session id; a bad id is refused', () => {
  const ids = new Set(Array.from({ length: 20 }, () => new SdpSession('127.0.0.1').id));
  expect(ids.size).toBe(20);
  expect(() => new SdpSession('127.0.0.1', -1)).toThrow(new TypeError('SdpSession: id must be a whole number, got -1'));
  expect(() => new SdpSession('127.0.0.1', 1.5)).toThrow(TypeError);
});

test('originOf: the o= line of an SDP, or undefined without one', () => {
  expect(originOf(B)).toEqual({ username: 'answer', id: '1', version: '1' });
  expect(originOf('v=0\r\nc=IN IP4 1.2.3.4\r\n')).toBeUndefined();
});
