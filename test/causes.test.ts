/** The one cause table: every vocabulary maps both ways, and the pairs docs/behaviour.md §5 names hold. */
import { Cause, causes } from '../src';

const { CAUSE_TABLE, END_CAUSES, BANDWIDTH_CAUSES, CATAPULT_CAUSES, TWILIO_DIAL_STATUSES } = causes;

test('every engine cause has exactly one row', () => {
  expect(CAUSE_TABLE.map((r) => r.cause).sort()).toEqual([...END_CAUSES].sort());
});

test.each([
  ['Aculab', Object.values(Cause), causes.fromAculab, causes.toAculab],
  ['Bandwidth', BANDWIDTH_CAUSES, causes.fromBandwidth, causes.toBandwidth],
  ['Catapult v1', CATAPULT_CAUSES, causes.fromCatapult, causes.toCatapult],
  ['Twilio DialCallStatus', TWILIO_DIAL_STATUSES, causes.fromTwilio, causes.toTwilio],
] as const)('every %s value maps to a cause and back to itself', (_name, values, from, to) => {
  for (const value of values as readonly string[]) {
    const cause = (from as (v: string) => string)(value);
    expect({ value, back: (to as (c: string) => string)(cause) }).toEqual({ value, back: value });
  }
});

test('Q.850 and SIP values of every row map back to a row with the same value', () => {
  for (const row of CAUSE_TABLE) {
    expect(causes.toQ850(causes.fromQ850(row.q850))).toBe(row.q850);
    expect(causes.toSip(causes.fromSip(row.sip))).toBe(row.sip);
  }
});

test.each([
  [486, 17, 'busy', 'busy', Cause.BUSY, 'USER_BUSY', 'busy'],
  [480, 19, 'noAnswer', 'timeout', Cause.NOANSWER, 'NO_ANSWER', 'no-answer'],
  [603, 21, 'rejected', 'rejected', Cause.REJECTED, 'CALL_REJECTED', 'busy'],
  [404, 1, 'unobtainable', 'error', Cause.UNOBTAINABLE, 'UNALLOCATED_NUMBER', 'failed'],
  [487, 16, 'cancel', 'cancel', Cause.NORMAL, 'ORIGINATOR_CANCEL', 'canceled'],
  [503, 41, 'temporaryFailure', 'error', Cause.FAILED, 'NORMAL_TEMPORARY_FAILURE', 'failed'],
  ['BYE', 16, 'normal', 'hangup', Cause.NORMAL, 'NORMAL_CLEARING', 'completed'],
] as const)(
  'SIP %s ↔ Q.850 %s ↔ %s ↔ Bandwidth %s ↔ Aculab %s ↔ Catapult %s ↔ Twilio %s',
  (sip, q850, cause, bw, aculab, catapult, twilio) => {
    expect(causes.fromSip(sip)).toBe(cause);
    expect(causes.toSip(cause)).toBe(sip);
    expect(causes.toQ850(cause)).toBe(q850);
    expect(causes.toBandwidth(cause)).toBe(bw);
    expect(causes.toAculab(cause)).toBe(aculab);
    expect(causes.toCatapult(cause)).toBe(catapult);
    expect(causes.toTwilio(cause)).toBe(twilio);
  },
);

test('reverse lookups return the primary row for shared values, and other for unknown ones', () => {
  expect(causes.fromQ850(16)).toBe('normal');
  expect(causes.fromAculab(Cause.NORMAL)).toBe('normal');
  expect(causes.fromBandwidth('error')).toBe('error');
  expect(causes.fromSip(503)).toBe('temporaryFailure');
  expect(causes.fromSip(799)).toBe('other');
  expect(causes.fromQ850(999)).toBe('other');
});

test.each([
  [486, 'busy'],
  [600, 'busy'],
  [603, 'rejected'],
  [404, 'unobtainable'],
  [484, 'unobtainable'],
  [604, 'unobtainable'],
  [480, 'noAnswer'],
  [408, 'noAnswer'],
  [503, 'temporaryFailure'],
  [403, 'barred'],
  [799, 'other'],
] as const)("a far end's SIP %s ends an outgoing leg with %s (fromSipResponse)", (status, cause) => {
  expect(causes.fromSipResponse(status)).toBe(cause);
});

test("fromSip keeps each SIP value's primary row: 408 is our own timeout there", () => {
  expect(causes.fromSip(408)).toBe('timeout');
});
