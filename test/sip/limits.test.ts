// The SIP network's limits (src/sip/limits.ts): option checking, and the per-source INVITE token bucket on a fake
// clock (burst, refill, Retry-After, sources forgotten once refilled).
import { createSipNetwork } from '../../src';
import { checkLimits, DEFAULT_LIMITS, InviteRateLimiter } from '../../src/sip/limits';
import { frameStreamHead } from '../../src/sip/validate';

describe('checkLimits', () => {
  test('defaults: 16 KiB messages, 100 INVITEs/s per source with a burst of 200', () => {
    expect(checkLimits(undefined)).toEqual({ maxMessageBytes: 16384, invitesPerSecond: 100, inviteBurst: 200 });
    expect(checkLimits({ inviteBurst: 5 })).toEqual({ ...DEFAULT_LIMITS, inviteBurst: 5 });
  });

  test.each([
    ['nope', /'limits' must be an object/],
    [{ maxMessageBytes: 10 }, /limits.maxMessageBytes must be a number >= 1024, got 10/],
    [{ invitesPerSecond: -1 }, /limits.invitesPerSecond must be a number >= 0/],
    [{ inviteBurst: 0 }, /limits.inviteBurst must be a number >= 1/],
    [{ inviteBurst: Number.NaN }, /limits.inviteBurst/],
    [{ invitesPerMinute: 3 }, /unknown limit 'invitesPerMinute'/],
  ])('%j: a TypeError naming the field', (limits, message) => {
    expect(() => checkLimits(limits)).toThrow(message);
    expect(() => createSipNetwork({ listen: ['udp:127.0.0.1:0'], limits: limits as never })).toThrow(TypeError);
  });
});

describe('InviteRateLimiter', () => {
  test('a burst, then one INVITE per 1/rate seconds; Retry-After is the whole seconds until the next token', () => {
    let now = 0;
    const limiter = new InviteRateLimiter({ ...DEFAULT_LIMITS, invitesPerSecond: 0.5, inviteBurst: 2 }, () => now);
    expect([limiter.admit('a'), limiter.admit('a'), limiter.admit('a')]).toEqual([true, true, { retryAfter: 2 }]);
    expect(limiter.admit('b')).toBe(true); // another source has its own bucket
    now = 1000;
    expect(limiter.admit('a')).toEqual({ retryAfter: 1 });
    now = 2000;
    expect(limiter.admit('a')).toBe(true);
    expect(limiter.admit('a')).toEqual({ retryAfter: 2 });
  });

  test('rate 0 admits everything; sources whose bucket refilled are forgotten when the table is full', () => {
    const off = new InviteRateLimiter({ ...DEFAULT_LIMITS, invitesPerSecond: 0 });
    for (let i = 0; i < 1000; i++) expect(off.admit('flood')).toBe(true);
    expect(off.sourceCount).toBe(0);
    let now = 0;
    const limiter = new InviteRateLimiter({ ...DEFAULT_LIMITS, invitesPerSecond: 1, inviteBurst: 1 }, () => now);
    for (let i = 0; i < 10_000; i++) limiter.admit(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.sourceCount).toBe(10_000);
    now = 1000; // every bucket is full again
    limiter.admit('192.0.2.1');
    expect(limiter.sourceCount).toBe(1);
    // A sweep runs at most once a second: a flood of new addresses does not sweep on every INVITE.
    for (let i = 0; i < 10_000; i++) limiter.admit(`10.1.${i >> 8}.${i & 255}`);
    now = 1500;
    limiter.admit('192.0.2.2');
    expect(limiter.sourceCount).toBe(10_002);
    now = 2000; // everything is full again but 192.0.2.2 (half a token since 1500 ms)
    limiter.admit('192.0.2.3');
    expect(limiter.sourceCount).toBe(2);
  });
});

test('stream framing: a head announcing a message over the limit gets 513 before its body is read', () => {
  const head = [
    'INVITE sip:bob@127.0.0.1 SIP/2.0',
    'Via: SIP/2.0/TCP 127.0.0.2:5070;branch=z9hG4bK-1',
    'From: <sip:alice@127.0.0.2>;tag=a1',
    'To: <sip:bob@127.0.0.1>',
    'Call-ID: c1',
    'CSeq: 1 INVITE',
    'Content-Length: 5000',
  ].join('\r\n');
  expect(frameStreamHead(head)).toBe(5000);
  const refused = frameStreamHead(head, 4096);
  expect(typeof refused === 'string' && refused.split('\r\n')[0]).toBe('SIP/2.0 513 Message Too Large');
  expect(frameStreamHead(head.replace(/Call-ID: c1\r\n/, ''), 4096)).toBe(false);
});
