/**
 * The one cause table (docs/behaviour.md §5): every vocabulary a leg's end can be spoken in, mapped both ways.
 *
 * Each row is one engine end cause (`EndCause`). Forward lookups (`toBandwidth('busy')`) read the row.
 * Reverse lookups (`fromSip(486)`) return the first row, top to bottom, that carries that value, so the
 * rows are ordered with the primary meaning of a shared value first (Aculab `NORMAL` is `normal`, not
 * `cancel`; Bandwidth `error` is `error`, not `unobtainable`). Values no row carries map to `other`.
 * docs/causes.md shows the table.
 */
import { Cause, END_CAUSES, type EndCause } from '../../machines/vocabulary';

export const BANDWIDTH_CAUSES = [
  'hangup',
  'busy',
  'timeout',
  'cancel',
  'rejected',
  'callback-error',
  'invalid-bxml',
  'application-error',
  'account-limit',
  'node-capacity-exceeded',
  'error',
  'unknown',
] as const;
export type BandwidthCause = (typeof BANDWIDTH_CAUSES)[number];

/**
 * Catapult (Bandwidth v1) hangup causes. The seven documented names come first; Catapult's documentation says any other
 * value "indicates an internal error", and Catapult used FreeSWITCH's names for those, as here.
 */
export const CATAPULT_CAUSES = [
  'ORIGINATOR_CANCEL',
  'NORMAL_CLEARING',
  'USER_BUSY',
  'CALL_REJECTED',
  'UNALLOCATED_NUMBER',
  'NO_ANSWER',
  'NORMAL_TEMPORARY_FAILURE',
  'RECOVERY_ON_TIMER_EXPIRE',
  'NUMBER_CHANGED',
  'DESTINATION_OUT_OF_ORDER',
  'OUTGOING_CALL_BARRED',
  'NORMAL_CIRCUIT_CONGESTION',
  'SWITCH_CONGESTION',
  'INTERWORKING',
] as const;
export type CatapultCause = (typeof CATAPULT_CAUSES)[number];

/** Twilio `DialCallStatus` values a finished dial can report. */
export const TWILIO_DIAL_STATUSES = ['completed', 'busy', 'no-answer', 'failed', 'canceled'] as const;
export type TwilioDialCallStatus = (typeof TWILIO_DIAL_STATUSES)[number];

/** SIP final response that ends a leg; `'BYE'` is a normal clearing after answer. */
export type SipStatus = number | 'BYE';

export interface CauseRow {
  cause: EndCause;
  aculab: Cause;
  bandwidth: BandwidthCause;
  catapult: CatapultCause;
  q850: number;
  sip: SipStatus;
  twilio: TwilioDialCallStatus;
  /**
   * SIP final responses from a far end that end an outgoing leg with this cause (SPEC §8), looked up by
   * `fromSipResponse` before the `sip` column: e.g. 408 from the far end is `noAnswer`, not our own `timeout`.
   */
  sipReceived?: readonly number[];
  /** One line for the docs. */
  meaning: string;
}

/** The table. Order matters for reverse lookups: primary rows first. */
export const CAUSE_TABLE: readonly CauseRow[] = [
  {
    cause: 'normal',
    aculab: Cause.NORMAL,
    bandwidth: 'hangup',
    catapult: 'NORMAL_CLEARING',
    q850: 16,
    sip: 'BYE',
    twilio: 'completed',
    meaning: 'Normal hang-up by either side',
  },
  {
    cause: 'busy',
    aculab: Cause.BUSY,
    bandwidth: 'busy',
    catapult: 'USER_BUSY',
    q850: 17,
    sip: 486,
    sipReceived: [486, 600],
    twilio: 'busy',
    meaning: 'Far end busy',
  },
  {
    cause: 'noAnswer',
    aculab: Cause.NOANSWER,
    bandwidth: 'timeout',
    catapult: 'NO_ANSWER',
    q850: 19,
    sip: 480,
    sipReceived: [480, 408],
    twilio: 'no-answer',
    meaning: "Not answered (the far end, or a dialled call's own timeout)",
  },
  {
    cause: 'rejected',
    aculab: Cause.REJECTED,
    bandwidth: 'rejected',
    catapult: 'CALL_REJECTED',
    q850: 21,
    sip: 603,
    sipReceived: [603],
    twilio: 'busy',
    meaning: 'Far end declined the call',
  },
  {
    cause: 'error',
    aculab: Cause.ERROR,
    bandwidth: 'error',
    catapult: 'INTERWORKING',
    q850: 127,
    sip: 500,
    twilio: 'failed',
    meaning: 'Error on the platform or in signalling',
  },
  {
    cause: 'unobtainable',
    aculab: Cause.UNOBTAINABLE,
    bandwidth: 'error',
    catapult: 'UNALLOCATED_NUMBER',
    q850: 1,
    sip: 404,
    sipReceived: [404, 484, 604],
    twilio: 'failed',
    meaning: 'Unallocated number or unknown inbound service',
  },
  {
    cause: 'temporaryFailure',
    aculab: Cause.FAILED,
    bandwidth: 'error',
    catapult: 'NORMAL_TEMPORARY_FAILURE',
    q850: 41,
    sip: 503,
    twilio: 'failed',
    meaning: 'Temporary failure in the network',
  },
  {
    cause: 'cancel',
    aculab: Cause.NORMAL,
    bandwidth: 'cancel',
    catapult: 'ORIGINATOR_CANCEL',
    q850: 16,
    sip: 487,
    twilio: 'canceled',
    meaning: 'Abandoned before answer by the side that started it',
  },
  {
    cause: 'timeout',
    aculab: Cause.TIMEOUT,
    bandwidth: 'timeout',
    catapult: 'RECOVERY_ON_TIMER_EXPIRE',
    q850: 102,
    sip: 408,
    twilio: 'no-answer',
    meaning: "The engine gave up waiting (a transfer's secondsTimeout)",
  },
  {
    cause: 'changed',
    aculab: Cause.CHANGED,
    bandwidth: 'error',
    catapult: 'NUMBER_CHANGED',
    q850: 22,
    sip: 410,
    twilio: 'failed',
    meaning: 'Number changed',
  },
  {
    cause: 'outOfOrder',
    aculab: Cause.OUTOFORDER,
    bandwidth: 'error',
    catapult: 'DESTINATION_OUT_OF_ORDER',
    q850: 27,
    sip: 502,
    twilio: 'failed',
    meaning: 'Destination out of order',
  },
  {
    cause: 'barred',
    aculab: Cause.BARRED,
    bandwidth: 'rejected',
    catapult: 'OUTGOING_CALL_BARRED',
    q850: 52,
    sip: 403,
    twilio: 'failed',
    meaning: 'Call barred',
  },
  {
    cause: 'noChannels',
    aculab: Cause.NOCHANNELS,
    bandwidth: 'error',
    catapult: 'NORMAL_CIRCUIT_CONGESTION',
    q850: 34,
    sip: 503,
    twilio: 'failed',
    meaning: 'No circuit or channel available',
  },
  {
    cause: 'congestion',
    aculab: Cause.CONGESTION,
    bandwidth: 'error',
    catapult: 'SWITCH_CONGESTION',
    q850: 42,
    sip: 503,
    twilio: 'failed',
    meaning: 'Switching equipment congestion',
  },
  {
    cause: 'callbackError',
    aculab: Cause.ERROR,
    bandwidth: 'callback-error',
    catapult: 'INTERWORKING',
    q850: 127,
    sip: 500,
    twilio: 'failed',
    meaning: 'An application callback could not be delivered',
  },
  {
    cause: 'invalidBxml',
    aculab: Cause.ERROR,
    bandwidth: 'invalid-bxml',
    catapult: 'INTERWORKING',
    q850: 127,
    sip: 500,
    twilio: 'failed',
    meaning: 'The application returned invalid BXML',
  },
  {
    cause: 'applicationError',
    aculab: Cause.ERROR,
    bandwidth: 'application-error',
    catapult: 'INTERWORKING',
    q850: 127,
    sip: 500,
    twilio: 'failed',
    meaning: 'The application failed',
  },
  {
    cause: 'accountLimit',
    aculab: Cause.CONGESTION,
    bandwidth: 'account-limit',
    catapult: 'SWITCH_CONGESTION',
    q850: 42,
    sip: 503,
    twilio: 'failed',
    meaning: 'Account call limit reached',
  },
  {
    cause: 'nodeCapacityExceeded',
    aculab: Cause.NOCHANNELS,
    bandwidth: 'node-capacity-exceeded',
    catapult: 'NORMAL_CIRCUIT_CONGESTION',
    q850: 34,
    sip: 503,
    twilio: 'failed',
    meaning: 'Platform node at capacity',
  },
  {
    cause: 'other',
    aculab: Cause.OTHER,
    bandwidth: 'unknown',
    catapult: 'INTERWORKING',
    q850: 127,
    sip: 500,
    twilio: 'failed',
    meaning: 'Anything else',
  },
];

const byCause = new Map<EndCause, CauseRow>(CAUSE_TABLE.map((row) => [row.cause, row]));
for (const cause of END_CAUSES) {
  if (!byCause.has(cause)) throw new Error(`cause table has no row for ${cause}`);
}

function rowOf(cause: EndCause): CauseRow {
  return byCause.get(cause) ?? (byCause.get('other') as CauseRow);
}

function reverse<K extends keyof CauseRow>(key: K): (value: CauseRow[K]) => EndCause {
  const index = new Map<CauseRow[K], EndCause>();
  for (const row of CAUSE_TABLE) if (!index.has(row[key])) index.set(row[key], row.cause);
  return (value) => index.get(value) ?? 'other';
}

export const toAculab = (cause: EndCause): Cause => rowOf(cause).aculab;
export const toBandwidth = (cause: EndCause): BandwidthCause => rowOf(cause).bandwidth;
export const toCatapult = (cause: EndCause): CatapultCause => rowOf(cause).catapult;
export const toQ850 = (cause: EndCause): number => rowOf(cause).q850;
export const toSip = (cause: EndCause): SipStatus => rowOf(cause).sip;
export const toTwilio = (cause: EndCause): TwilioDialCallStatus => rowOf(cause).twilio;

export const fromAculab: (cause: Cause) => EndCause = reverse('aculab');
export const fromBandwidth: (cause: BandwidthCause) => EndCause = reverse('bandwidth');
export const fromCatapult: (cause: CatapultCause) => EndCause = reverse('catapult');
export const fromQ850: (code: number) => EndCause = reverse('q850');
export const fromSip: (status: SipStatus) => EndCause = reverse('sip');
/** The cause of a far end's SIP final response to our INVITE: the `sipReceived` column, else `fromSip`. */
export function fromSipResponse(status: number): EndCause {
  for (const row of CAUSE_TABLE) if (row.sipReceived?.includes(status)) return row.cause;
  return fromSip(status);
}
export const fromTwilio: (status: TwilioDialCallStatus) => EndCause = reverse('twilio');

export { END_CAUSES, type EndCause };
