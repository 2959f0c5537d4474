// A Switchboard on createSipNetwork for the SIPp tests: it listens on a free port of 127.0.0.1 (UDP or TCP), its
// `voicemail` service and its gateway are a SIPp far end, and it records every callback; with what the tests
// check at the end (the callbacks as [eventType, cause], nothing left behind) and how SIPp is started for a
// profile (the transport, and extra SIPp options such as `-lost 10` on both sides).
import {
  createSipNetwork,
  createSwitchboard,
  State,
  type BandwidthCallback,
  type Channel,
  type SipNetwork,
  type Switchboard,
} from '../../src';
import { startSipp, type SippRun } from './sipp';

export type Transport = 'udp' | 'tcp';

/** How the SIP tests of one describe block talk to SIPp. */
export interface SipProfile {
  transport: Transport;
  /** SIPp options for both sides (caller and far end), e.g. packet loss. */
  sippExtra?: string[];
  /** SIPp's own `-timeout` (default 15 s). */
  sippTimeoutSeconds?: number;
  /** Jest's timeout for each test. */
  testTimeoutMs: number;
}

export interface SipRun {
  sb: Switchboard<SipNetwork>;
  network: SipNetwork;
  callbacks: BandwidthCallback[];
  /** The inbound channel (A), once SIPp's call has arrived. */
  a: Promise<Channel>;
  port: number;
}

/** A far end at the discard port: for networks whose calls never leave SIPp's side. */
export const NO_FAR_END: SippRun = {
  port: 9,
  done: Promise.resolve({ code: 0, successful: 0, failed: 0, output: '' }),
};

const open: SipRun[] = [];

/** Starts SIPp with `scenario` for `profile`: as the caller of `r` (given), else as the far end. */
export function sipp(profile: SipProfile, scenario: string, r?: SipRun): Promise<SippRun> {
  return startSipp(scenario, {
    transport: profile.transport,
    extra: profile.sippExtra,
    timeoutSeconds: profile.sippTimeoutSeconds,
    ...(r ? { target: `127.0.0.1:${r.port}` } : {}),
  });
}

/** A SIP network listening on a free port of 127.0.0.1, with `voicemail` and the gateway at `farEnd`'s port. */
export async function startRun(transport: Transport, farEnd: SippRun): Promise<SipRun> {
  const t = transport === 'tcp' ? ';transport=tcp' : '';
  const network = createSipNetwork({
    listen: [`${transport}:127.0.0.1:0`],
    services: { voicemail: `sip:voicemail@127.0.0.2:${farEnd.port}${t}` },
    gateway: `sip:127.0.0.2:${farEnd.port}${t}`,
  });
  const [bound] = await network.listening;
  const sb = createSwitchboard({ network });
  const callbacks: BandwidthCallback[] = [];
  sb.on('callback', (c) => callbacks.push(c));
  const a = new Promise<Channel>((resolve) => sb.once('incomingCall', resolve));
  const run = { sb, network, callbacks, a, port: bound.port };
  open.push(run);
  return run;
}

/** Closes every Switchboard started since the last call (for afterEach). */
export async function closeRuns(): Promise<void> {
  for (const run of open.splice(0)) await run.sb.close();
}

/** The callbacks so far as [eventType, cause] (cause undefined for the callbacks that have none). */
export const summary = (r: SipRun): Array<[string, string | undefined]> =>
  r.callbacks.map((c) => [c.eventType, 'cause' in c ? c.cause : undefined]);

/** Everything has ended: no leg, transfer or timer in the engine, no leg or dialog in the network. */
export function expectClean(r: SipRun): void {
  expect(r.sb.stats()).toEqual({ legs: 0, agentCalls: 0, transfers: 0, timers: 0, terminalEvents: 2 });
  expect(r.network.legCount).toBe(0);
  expect(r.network.dialogCount).toBe(0);
}

/** Resolves when an outgoing leg (B) rings; listen before the call that makes it ring starts. */
export function outgoingRings(r: SipRun): Promise<void> {
  return new Promise<void>((resolve) =>
    r.sb.on('legState', (c) => {
      if (c.state === State.RING_OUTGOING) resolve();
    }),
  );
}
