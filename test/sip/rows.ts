// The rows of docs/behaviour.md §3 (retrievable transfer) over real SIP, written once: per row the SIPp scenarios
// (loss-free, and the `*-lossy.xml` ones that retransmit under `-lost 10`), what the application does, the
// states and transferCause() when the transfer settles and after what follows, the exact callbacks in order
// and SIPp's verdict on each side. `rowTests` makes a test of each row for a profile: sipNetwork.test.ts over
// UDP and TCP, sipLossy.test.ts over UDP with SIPp dropping 10% on both sides.
import { State, TransferCause, type Channel, type TransferOptions } from '../../src';
import type { SippResult } from '../support/sipp';
import {
  expectClean,
  NO_FAR_END,
  outgoingRings,
  sipp,
  startRun,
  summary,
  type SipProfile,
  type SipRun,
} from '../support/sipRun';

export type Variant = 'plain' | 'lossy';

/** A SIPp side of a row: its scenario in each variant, and the verdict SIPp must give. */
interface Side {
  scenario: Record<Variant, string>;
  verdict: Pick<SippResult, 'code' | 'successful' | 'failed'>;
}

/** The states and transferCause() at one point of a row. */
interface Expected {
  a: State;
  b: State;
  transferCause: TransferCause;
}

export interface Row {
  /** The test's title, starting with the row's number. */
  title: string;
  /** SIPp calling in (A). */
  caller: Side;
  /** SIPp as B (the voicemail service or the gateway); none when no INVITE is sent to B. */
  farEnd?: Side;
  /** How the application transfers A to B. */
  transfer: { service: string } | { number: string; options: TransferOptions };
  /** The application hangs up A once B rings, before the transfer settles. */
  hangUpWhileRinging?: true;
  /** What the transfer's promise resolves to, and the states then. */
  settled: Expected & { result: State };
  /** What follows (a channel method on A), what it resolves to, and the states then. */
  then?: Expected & {
    step: 'waitForTransferredCallRetrieval' | 'retrieveTransferredCall' | 'waitForIdle';
    result: State;
  };
  /** The application hangs up A at the end. */
  hangUpA: boolean;
  /** Every callback, in order, as [eventType, cause]. */
  callbacks: Array<[string, string | undefined]>;
  /** Fields of single callbacks, by index. */
  fields?: Array<[number, Record<string, unknown>]>;
}

const OK = { code: 0, successful: 1, failed: 0 };
const side = (plain: string, lossy: string): Side => ({ scenario: { plain, lossy }, verdict: OK });

const CALLER = {
  transfer: side('uac-transfer.xml', 'uac-transfer-lossy.xml'),
  transferredHangup: side('uac-transferred-hangup.xml', 'uac-transferred-hangup-lossy.xml'),
  byeFromSut: side('uac-bye-from-sut.xml', 'uac-bye-from-sut-lossy.xml'),
  hangupWhileTransferred: side('uac-hangup-while-transferred.xml', 'uac-hangup-while-transferred.xml'),
};
const FAR_END = {
  answerHangup: side('uas-answer-hangup.xml', 'uas-answer-hangup-lossy.xml'),
  basic: side('uas-basic.xml', 'uas-lossy.xml'),
  busy: side('uas-busy.xml', 'uas-busy-lossy.xml'),
  reject: side('uas-reject.xml', 'uas-reject-lossy.xml'),
  cancel: side('uas-cancel.xml', 'uas-cancel-lossy.xml'),
};

const VOICEMAIL = { service: 'voicemail' };
const TRANSFERRED = { result: State.TRANSFERRED, a: State.TRANSFERRED, b: State.ANSWERED };
const RETRIEVED = { result: State.ANSWERED, a: State.ANSWERED, b: State.IDLE };
const BOTH_IDLE = { result: State.IDLE, a: State.IDLE, b: State.IDLE };
const NORMAL = TransferCause.NORMAL;

/** Rows 2-4: B fails, A is retrieved (ANSWERED) at once and the application hangs up A. */
function retrievedAtOnce(
  title: string,
  farEnd: Side,
  options: TransferOptions,
  transferCause: TransferCause,
  cause: string,
): Row {
  return {
    title: `${title}: A retrieved, app hangs up A`,
    caller: CALLER.byeFromSut,
    farEnd,
    transfer: { number: '+15557770000', options },
    settled: { ...RETRIEVED, transferCause },
    hangUpA: true,
    callbacks: [
      ['initiate', undefined],
      ['transferDisconnect', cause],
      ['transferComplete', cause],
      ['disconnect', 'hangup'],
    ],
    // B's INVITE went to sip:{to}@gateway.
    fields: [[1, { transferTo: '+15557770000' }]],
  };
}

export const ROWS: Row[] = [
  {
    title: 'row 1a: B answers (A re-INVITEd to B), then B hangs up: A retrieved (re-INVITEd back), NORMAL',
    caller: CALLER.transfer,
    farEnd: FAR_END.answerHangup,
    transfer: VOICEMAIL,
    settled: { ...TRANSFERRED, transferCause: NORMAL },
    then: { step: 'waitForTransferredCallRetrieval', ...RETRIEVED, transferCause: NORMAL },
    hangUpA: true,
    callbacks: [
      ['initiate', undefined],
      ['transferAnswer', undefined],
      ['transferDisconnect', 'hangup'],
      ['transferComplete', 'hangup'],
      ['disconnect', 'hangup'],
    ],
  },
  {
    title: 'row 1b: B answers, the app retrieves A: A re-INVITEd back, B BYEd, NORMAL',
    caller: CALLER.transfer,
    farEnd: FAR_END.basic,
    transfer: VOICEMAIL,
    settled: { ...TRANSFERRED, transferCause: NORMAL },
    then: { step: 'retrieveTransferredCall', ...RETRIEVED, transferCause: NORMAL },
    hangUpA: true,
    callbacks: [
      ['initiate', undefined],
      ['transferAnswer', undefined],
      ['transferDisconnect', 'hangup'],
      ['transferComplete', 'hangup'],
      ['disconnect', 'hangup'],
    ],
  },
  {
    title: 'row 1c: B answers, then A hangs up (BYE): B BYEd, both IDLE, NORMAL',
    caller: CALLER.transferredHangup,
    farEnd: FAR_END.basic,
    transfer: VOICEMAIL,
    settled: { ...TRANSFERRED, transferCause: NORMAL },
    then: { step: 'waitForIdle', ...BOTH_IDLE, transferCause: NORMAL },
    hangUpA: false,
    callbacks: [
      ['initiate', undefined],
      ['transferAnswer', undefined],
      ['transferDisconnect', 'hangup'],
      ['disconnect', 'hangup'],
    ],
  },
  retrievedAtOnce('row 2: B busy (486)', FAR_END.busy, {}, TransferCause.TARGETREJECT, 'busy'),
  retrievedAtOnce('row 3: B rejects (180, then 603)', FAR_END.reject, {}, TransferCause.TARGETREJECT, 'rejected'),
  retrievedAtOnce(
    'row 4: no answer within secondsTimeout (our CANCEL, 487)',
    FAR_END.cancel,
    { secondsTimeout: 1 },
    TransferCause.TIMEOUT,
    'timeout',
  ),
  {
    title: 'row 5: A hangs up (BYE) while B rings: B CANCELled (487), HANGUP, both IDLE',
    caller: CALLER.hangupWhileTransferred,
    farEnd: FAR_END.cancel,
    transfer: VOICEMAIL,
    settled: { ...BOTH_IDLE, transferCause: TransferCause.HANGUP },
    hangUpA: false,
    callbacks: [
      ['initiate', undefined],
      ['transferDisconnect', 'cancel'],
      ['disconnect', 'hangup'],
    ],
  },
  {
    title: 'row 6: the app hangs up A while B rings: B CANCELled (487), A BYEd, HANGUP',
    caller: CALLER.byeFromSut,
    farEnd: FAR_END.cancel,
    transfer: VOICEMAIL,
    hangUpWhileRinging: true,
    settled: { ...BOTH_IDLE, transferCause: TransferCause.HANGUP },
    hangUpA: false,
    callbacks: [
      ['initiate', undefined],
      ['transferDisconnect', 'cancel'],
      ['disconnect', 'hangup'],
    ],
  },
  {
    title: 'row 8: unknown service: no INVITE, FAIL, transferDisconnect(error + errorMessage)',
    caller: CALLER.byeFromSut,
    transfer: { service: 'nosuch' },
    settled: { ...RETRIEVED, transferCause: TransferCause.FAIL },
    hangUpA: true,
    callbacks: [
      ['initiate', undefined],
      ['transferDisconnect', 'error'],
      ['transferComplete', 'error'],
      ['disconnect', 'hangup'],
    ],
    fields: [
      [1, { eventType: 'transferDisconnect', cause: 'error', errorMessage: "No inbound service named 'nosuch'" }],
    ],
  },
];

function startTransfer(row: Row, a: Channel, b: Channel): Promise<State> {
  return 'service' in row.transfer
    ? a.transferToInboundService(b, row.transfer.service)
    : a.retrievableTransfer(b, row.transfer.number, row.transfer.options);
}

/** SIPp calls in; the application rings, answers and transfers A to B; then the row's checks. */
async function playRow(row: Row, variant: Variant, profile: SipProfile): Promise<void> {
  const farEnd = row.farEnd ? await sipp(profile, row.farEnd.scenario[variant]) : NO_FAR_END;
  const r: SipRun = await startRun(profile.transport, farEnd);
  const ringing = row.hangUpWhileRinging ? outgoingRings(r) : undefined;
  const callerRun = await sipp(profile, row.caller.scenario[variant], r);
  const a = await r.a;
  expect(a.state).toBe(State.CALL_INCOMING);
  await a.ring();
  expect(await a.answer()).toBe(State.ANSWERED);
  // Callback `from`/`to` are the user parts of the INVITE's From and To (SIPp's `sipp` and `-s sut`).
  expect(r.callbacks[0]).toMatchObject({ eventType: 'initiate', from: 'sipp', to: 'sut' });
  a.createTonePlayer();
  const b = r.sb.createChannel();
  const result = startTransfer(row, a, b);
  if (ringing) {
    await ringing;
    expect(await a.hangUp()).toBe(State.IDLE);
  }
  expect(await result).toBe(row.settled.result);
  expect(a.state).toBe(row.settled.a);
  expect(b.state).toBe(row.settled.b);
  expect(a.transferCause()).toBe(row.settled.transferCause);
  if (row.then) {
    expect(await a[row.then.step]()).toBe(row.then.result);
    expect(a.state).toBe(row.then.a);
    expect(b.state).toBe(row.then.b);
    expect(a.transferCause()).toBe(row.then.transferCause);
  }
  if (row.hangUpA) expect(await a.hangUp()).toBe(State.IDLE);
  expect(summary(r)).toEqual(row.callbacks);
  for (const [index, fields] of row.fields ?? []) expect(r.callbacks[index]).toMatchObject(fields);
  expect(await callerRun.done).toMatchObject(row.caller.verdict);
  if (row.farEnd) expect(await farEnd.done).toMatchObject(row.farEnd.verdict);
  expectClean(r);
}

/** A test of each row, playing its `variant` scenarios with `profile`. */
export function rowTests(variant: Variant, profile: SipProfile): void {
  test.each(ROWS.map((row) => [row.title, row] as const))(
    '%s',
    (_title, row) => playRow(row, variant, profile),
    profile.testTimeoutMs,
  );
}
