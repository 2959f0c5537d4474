/** The examples run, on the SimulatedClock, and do what they print. */
import { SimulatedClock, State, TransferCause } from '../src';
import { runIvrVoicemail } from '../examples/ivr-voicemail';
import { runAgentTwoStep } from '../examples/agent-two-step';
import { flush } from './harness';
import { startSipIvr } from '../examples/sip-ivr';
import { startSipp } from './support/sipp';

/** Let an example run on the SimulatedClock, 100 ms at a time, for at most `seconds`; its result, if it finished. */
async function untilDone<T>(clock: SimulatedClock, run: Promise<T>, seconds: number): Promise<T | undefined> {
  let result: T | undefined;
  void run.then((r) => (result = r));
  await flush();
  for (let i = 0; i < seconds * 10 && result === undefined; i++) {
    clock.increment(100);
    await flush();
  }
  return result;
}

test('IVR voicemail example: answer, transfer, retrieval, hang-up, with the full event timeline', async () => {
  const clock = new SimulatedClock();
  const lines: string[] = [];
  const result = await untilDone(clock, runIvrVoicemail({ clock, print: (l) => lines.push(l) }), 10);
  expect(result).toEqual({
    transfer: { state: State.TRANSFERRED, transferCause: TransferCause.NORMAL },
    events: ['initiate', 'transferAnswer', 'transferDisconnect', 'transferComplete', 'disconnect'],
    stats: { legs: 0, agentCalls: 0, transfers: 0, timers: 0, terminalEvents: 2 },
  });
  const ivr = lines.filter((l) => l.includes(' ivr ')).map((l) => l.trim());
  expect(ivr).toEqual([
    '+0.000s  ivr       answered; transferring the caller to voicemail',
    '+1.000s  ivr       transferToInboundService resolved TRANSFERRED, transferCause NORMAL',
    '+4.000s  ivr       voicemail hung up; the call is retrieved (ANSWERED)',
    '+4.000s  ivr       goodbye; hanging up',
  ]);
  expect(lines.some((l) => /state\s+A \(caller\)\s+TRANSFERRED → RECONNECTING/.test(l))).toBe(true);
  expect(lines.at(-1)).toMatch(/done\s+legs=0 transfers=0 timers=0/);
});

test('agent two-step example: consult, complete after answer, the colleague hangs up; nothing left', async () => {
  const clock = new SimulatedClock();
  const lines: string[] = [];
  const result = await untilDone(clock, runAgentTwoStep({ clock, print: (l) => lines.push(l) }), 20);
  expect(result).toEqual({
    notifications: [
      'C1 Ringing',
      'C1 Established',
      'C1 Held',
      'C2 Dialing',
      'C2 Established',
      'C1 Held',
      'C1 Released',
      'C2 Released',
    ],
    events: ['initiate', 'transferAnswer', 'transferDisconnect', 'transferComplete', 'disconnect'],
    transfer: expect.objectContaining({ kind: 'consult', transferCause: TransferCause.NORMAL }),
    stats: { legs: 0, agentCalls: 0, transfers: 0, timers: 0, terminalEvents: 2 },
  });
  expect(lines.filter((l) => l.includes('  agent     ')).map((l) => l.trim())).toEqual([
    '+0.000s  agent     Answer → {"statusCode":0}',
    '+1.000s  agent     InitiateTransfer to 5001 → {"statusCode":0}',
    '+3.500s  agent     CompleteTransfer → {"statusCode":0}',
  ]);
});

test('SIP IVR example against SIPp: answered, ringback, to voicemail (re-INVITE), retrieved when it hangs up, BYE', async () => {
  // The README's voicemail for trying the example by hand: rings 3 s, answers, hangs up 2 s later.
  const voicemail = await startSipp('../../../examples/sipp-voicemail.xml');
  const lines: string[] = [];
  const ivr = await startSipIvr({
    listen: ['udp:127.0.0.1:0'],
    voicemail: `sip:voicemail@127.0.0.2:${voicemail.port}`,
    print: (l) => lines.push(l),
  });
  try {
    const caller = await startSipp('uac-transfer.xml', {
      target: `127.0.0.1:${ivr.addresses[0].port}`,
      extra: ['-s', 'ivr'],
    });
    expect(await ivr.handled(1)).toEqual([
      { n: 1, transfer: State.TRANSFERRED, transferCause: TransferCause.NORMAL, retrieved: true },
    ]);
    expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(await voicemail.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(lines).toEqual([
      `sip-ivr listening on udp:127.0.0.1:${ivr.addresses[0].port}`,
      `call #1: answered; transferring to voicemail (sip:voicemail@127.0.0.2:${voicemail.port})`,
      'call #1: transfer TRANSFERRED, transferCause NORMAL',
      'call #1: voicemail hung up; the caller is back',
      'call #1: goodbye',
    ]);
    expect(ivr.sb.stats()).toEqual({ legs: 0, agentCalls: 0, transfers: 0, timers: 0, terminalEvents: 2 });
  } finally {
    await ivr.close();
  }
}, 20_000);

test('SIP IVR example: the caller hangs up while in voicemail: not reported as retrieved, voicemail BYEd', async () => {
  const voicemail = await startSipp('uas-basic.xml');
  const lines: string[] = [];
  const ivr = await startSipIvr({
    listen: ['udp:127.0.0.1:0'],
    voicemail: `sip:voicemail@127.0.0.2:${voicemail.port}`,
    print: (l) => lines.push(l),
  });
  try {
    const caller = await startSipp('uac-transferred-hangup.xml', {
      target: `127.0.0.1:${ivr.addresses[0].port}`,
      extra: ['-s', 'ivr'],
    });
    expect(await ivr.handled(1)).toEqual([
      { n: 1, transfer: State.TRANSFERRED, transferCause: TransferCause.NORMAL, retrieved: false },
    ]);
    expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(await voicemail.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
    expect(lines.slice(1)).toEqual([
      `call #1: answered; transferring to voicemail (sip:voicemail@127.0.0.2:${voicemail.port})`,
      'call #1: transfer TRANSFERRED, transferCause NORMAL',
      'call #1: the call ended while in voicemail',
    ]);
    expect(ivr.sb.stats()).toEqual({ legs: 0, agentCalls: 0, transfers: 0, timers: 0, terminalEvents: 2 });
  } finally {
    await ivr.close();
  }
}, 20_000);
