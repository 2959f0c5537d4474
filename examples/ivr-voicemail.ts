/**
 * Example: an IVR answers an inbound call, transfers it to a voicemail service with a retrievable transfer,
 * waits for the voicemail to hang up and the call to be retrieved, then says goodbye and hangs up.
 * It prints the timeline: the IVR's steps, each leg's state changes, and every callback in Bandwidth format.
 *
 *   npm start                   # real clock: takes about four seconds
 *   npm run example:ivr -- --json   # also print each callback's full JSON payload
 */
import { differenceInMilliseconds, parseISO } from 'date-fns';
import { createSwitchboard, State, type Channel, type SwitchboardOptions, type SwitchboardStats } from '../src';

export interface IvrExampleOptions {
  clock?: SwitchboardOptions['clock'];
  /** Where lines go (default: console.log). */
  print?: (line: string) => void;
  /** Print each callback's JSON payload too. */
  json?: boolean;
}

export interface IvrExampleResult {
  /** What the IVR's transfer resolved to, and the transfer cause. */
  transfer: { state: State; transferCause: string };
  /** The callbacks' event types, in order. */
  events: string[];
  /** The switchboard's counters at the end (all zero but terminalEvents: nothing left running). */
  stats: SwitchboardStats;
}

export async function runIvrVoicemail(options: IvrExampleOptions = {}): Promise<IvrExampleResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const sb = createSwitchboard({ clock: options.clock, applicationId: 'ivr-example' });
  const start = sb.clock.now();
  const stamp = (ms: number) => `+${((ms - start) / 1000).toFixed(3)}s`.padStart(9);
  // Legs get short names in order of appearance: the caller's leg first, then the transfer's target.
  const names = new Map<string, string>();
  const name = (callId: string): string => {
    if (!names.has(callId)) names.set(callId, names.size === 0 ? 'A (caller)' : 'B (voicemail)');
    return names.get(callId) as string;
  };

  // The voicemail service answers after ringing 1 s and hangs up 3 s later (the caller left a message).
  sb.network.addInboundService('voicemail', { outcome: 'answer', ringFor: 1, hangUpAfter: 3 });

  const events: string[] = [];
  sb.on('callback', (payload) => {
    events.push(payload.eventType);
    const at = differenceInMilliseconds(parseISO(payload.eventTime), new Date(start));
    const cause = 'cause' in payload ? ` cause=${payload.cause}` : '';
    print(`${stamp(start + at)}  callback  ${payload.eventType.padEnd(18)} ${name(payload.callId)}${cause}`);
    if (options.json) print(`           ${JSON.stringify(payload)}`);
  });
  sb.on('legState', (change) => {
    print(`${stamp(change.time)}  state     ${name(change.callId).padEnd(18)} ${change.previous} → ${change.state}`);
  });

  // The IVR application: what an embedding application writes.
  const ivr = async (caller: Channel): Promise<IvrExampleResult['transfer']> => {
    const say = (text: string) => print(`${stamp(sb.clock.now())}  ivr       ${text}`);
    await caller.answer();
    say('answered; transferring the caller to voicemail');
    caller.createTonePlayer();
    const voicemail = sb.createChannel();
    const state = await caller.transferToInboundService(voicemail, 'voicemail', { secondsTimeout: 30 });
    const transferCause = caller.transferCause();
    say(`transferToInboundService resolved ${state}, transferCause ${transferCause}`);
    if (state === State.TRANSFERRED) {
      const retrieved = await caller.waitForTransferredCallRetrieval();
      say(`voicemail hung up; the call is retrieved (${retrieved})`);
    }
    say('goodbye; hanging up');
    await caller.hangUp();
    return { state, transferCause };
  };

  const done = new Promise<IvrExampleResult['transfer']>((resolve, reject) => {
    sb.on('incomingCall', (channel) => {
      ivr(channel).then(resolve, reject);
    });
  });
  print(`${stamp(start)}  network   +15550001111 calls the IVR at +15559990000`);
  sb.network.placeCall({ from: '+15550001111', to: '+15559990000' });
  const transfer = await done;
  const stats = sb.stats();
  print(`${stamp(sb.clock.now())}  done      legs=${stats.legs} transfers=${stats.transfers} timers=${stats.timers}`);
  return { transfer, events, stats };
}

if (require.main === module) {
  runIvrVoicemail({ json: process.argv.includes('--json') }).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
