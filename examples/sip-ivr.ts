/**
 * Example: an IVR on real SIP calls. It answers each call, plays ringback while it transfers the caller to a
 * voicemail URI (a retrievable transfer), takes the call back when voicemail hangs up, says goodbye and hangs up.
 *
 *   npm run build && npm run example:sip     # listens on udp:127.0.0.1:5060, voicemail at sip:voicemail@127.0.0.2:5070
 *   SIP_LISTEN=udp:203.0.113.10:5060 VOICEMAIL=sip:vm@198.51.100.20:5060 npm run example:sip
 * (an address the far ends reach, not 0.0.0.0: the listen host goes into our Via, Contact and SDP as it is).
 *
 * Try it with SIPp (Debian's sip-tester): a voicemail that rings 3 s (the caller hears ringback), answers and
 * hangs up 2 s later, then a caller (both on 127.0.0.2, another address than ours):
 *   sipp -sf examples/sipp-voicemail.xml -i 127.0.0.2 -p 5070 -m 1
 *   sipp -sf test/sip/scenarios/uac-transfer.xml -i 127.0.0.2 -m 1 -s ivr 127.0.0.1:5060
 * or from a softphone: call sip:ivr@127.0.0.1:5060. The README ("Calling the SIP example") has a baresip
 * configuration that counts the ringback's RTP packets, and how to put the IVR behind Kamailio
 * (examples/kamailio.cfg) or a carrier's trunk.
 * Ctrl-C stops it: every live call is hung up first.
 */
import { createSipNetwork, createSwitchboard, State, type Channel } from '../src';

export interface SipIvrOptions {
  /** Where to take calls (default SIP_LISTEN, comma separated, else udp:127.0.0.1:5060). */
  listen?: string[];
  /** The voicemail's SIP URI (default VOICEMAIL, else sip:voicemail@127.0.0.2:5070). */
  voicemail?: string;
  /** Where lines go (default: console.log). */
  print?: (line: string) => void;
}

/** How one call went: the transfer's outcome, and whether the IVR got the caller back. */
export interface SipIvrCall {
  /** 1 for the first call, and so on. */
  n: number;
  transfer: State;
  transferCause: string;
  retrieved: boolean;
}

export async function startSipIvr(options: SipIvrOptions = {}) {
  const print = options.print ?? ((line: string) => console.log(line));
  const listen = options.listen ?? (process.env.SIP_LISTEN ?? 'udp:127.0.0.1:5060').split(',').map((s) => s.trim());
  const voicemail = options.voicemail ?? process.env.VOICEMAIL ?? 'sip:voicemail@127.0.0.2:5070';
  const network = createSipNetwork({ listen, services: { voicemail } });
  const addresses = await network.listening;
  const sb = createSwitchboard({ network, applicationId: 'sip-ivr-example' });
  const calls: SipIvrCall[] = [];
  const listeners: Array<(call: SipIvrCall) => void> = [];

  let seq = 0;
  async function handle(caller: Channel, n: number): Promise<void> {
    const from = `#${n}`;
    await caller.ring();
    await caller.answer();
    print(`call ${from}: answered; transferring to voicemail (${voicemail})`);
    caller.createTonePlayer(); // the caller hears ringback while voicemail rings
    const transfer = await caller.transferToInboundService(sb.createChannel(), 'voicemail');
    print(`call ${from}: transfer ${transfer}, transferCause ${caller.transferCause()}`);
    let retrieved = caller.state === State.ANSWERED; // voicemail failed: the caller is back already
    if (transfer === State.TRANSFERRED) {
      // ANSWERED once voicemail hangs up; IDLE if the call ended meanwhile (the caller hung up, or Ctrl-C).
      retrieved = (await caller.waitForTransferredCallRetrieval()) === State.ANSWERED;
      print(
        `call ${from}: ${retrieved ? 'voicemail hung up; the caller is back' : 'the call ended while in voicemail'}`,
      );
    }
    const call = { n, transfer, transferCause: caller.transferCause(), retrieved };
    if (caller.state !== State.IDLE) {
      await caller.hangUp();
      print(`call ${from}: goodbye`);
    }
    calls.push(call);
    listeners.forEach((l) => l(call));
  }

  sb.on('incomingCall', (caller) => {
    const n = ++seq;
    handle(caller, n).catch((error: Error) => print(`call #${n}: ended early (${error.message})`));
  });
  print(`sip-ivr listening on ${addresses.map((a) => `${a.protocol.toLowerCase()}:${a.host}:${a.port}`).join(', ')}`);
  return {
    addresses,
    sb,
    calls,
    /** Resolves once `n` calls have been handled. */
    handled: (n: number) =>
      new Promise<SipIvrCall[]>((resolve) => {
        const check = () => calls.length >= n && resolve(calls.slice());
        listeners.push(check);
        check();
      }),
    close: () => sb.close(),
  };
}

if (require.main === module) {
  startSipIvr().then(
    (ivr) => process.once('SIGINT', () => void ivr.close()),
    (error: Error) => {
      console.error(`sip-ivr: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
