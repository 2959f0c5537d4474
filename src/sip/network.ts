/**
 * `createSipNetwork`: the engine's Network port on the SIP dialog layer (dialog.ts over the `sip` stack), so real
 * calls go through the same statecharts as simulated ones (SPEC §8). Inbound INVITEs become offers; `dial` sends
 * an INVITE to a service URI or `sip:{to}@gateway`; responses map to states and causes through the one cause
 * table (src/causes). Media: each leg has an RTP port of `media.ports` (media/legMedia.ts); tones play over RTP
 * to the far end (media/rtpTone.ts); `bridge` re-INVITEs the caller with the target's SDP (RFC 3725), its early
 * SDP while it rings, then the target with the caller's answer; a far end's re-INVITE while bridged is passed on
 * to the other; `reconnect` re-INVITEs a leg back to our SDP.
 */
import type { EndCause } from '../../machines/vocabulary';
import { fromSipResponse, toQ850, toSip } from '../causes';
import type { EngineClock } from '../engine/clock';
import { realClock, type SipClock } from './clock';
import type {
  AgentTalk,
  CommandResult,
  Destination,
  Network,
  NetworkIndications,
  RestoredLeg,
  SipLegFacts,
} from '../engine/network';
import { AgentPhone } from './agentPhone';
import { continuable, dialogRecord, endRestoredLegs, probe, restoredDialog, restoredFacts } from './dialogRecords';
import type { SipDialogRecord } from './dialogRecords';
import { legFacts } from './legFacts';
import { DialogLayer, type Dialog, type InboundCall, type OutboundCall } from './dialog';
import { checkLimits, InviteRateLimiter, type SipLimits } from './limits';
import { LegMedia, rtpTarget } from './media/legMedia';
import { RtpPortPool } from './media/ports';
import { TONES } from './media/tones';
import { DEFAULT_RINGBACK_TONE } from '../engine/tonePlayer';
import { answerSdp, buildSdp, offerSdp, parseSdp, withDirection } from './sdp';
import { SdpSession } from './sdpSession';
import { SipJsStack } from './sipJsStack';
import type { ListenAddress } from './stack';

export interface SipNetworkOptions {
  /** Transports and the address to bind, e.g. `['udp:127.0.0.1:5060', 'tcp:127.0.0.1:5060']` (port 0: a free one). */
  listen: readonly string[];
  /** Inbound-service name → SIP URI (the target of `transferToInboundService`). */
  services?: Readonly<Record<string, string>>;
  /** Where addresses (numbers) go: `sip:{to}@` the gateway's host and port, e.g. `sip:127.0.0.2:5080`. */
  gateway?: string;
  /** The RTP address and port range put in our SDP. Default: the listen host, ports 20000-20999. */
  media?: { host?: string; ports?: readonly [number, number] };
  /** The largest message, and new INVITEs per source address (limits.ts; docs/sip.md "Bad and hostile input"). */
  limits?: SipLimits;
  /** Agent DN → the SIP URI of the agent's phone (see agentPhone.ts): a call to that DN rings the phone. */
  agents?: Readonly<Record<string, string>>;
  /** The ringback a transfer plays when it names no `ringbackTone` (one of `network.tones`; default `RINGBACK`). */
  ringbackTone?: string;
}

/** What the SIP network's media is doing for one live leg. */
export interface SipMedia {
  /** The tone playing to the leg over RTP, or null. */
  tone: string | null;
  bridgedTo: string | null;
  /** The leg's RTP port (the one our SDP names), or null once it has ended. */
  rtpPort: number | null;
  /** RTP packets sent to the leg so far. */
  rtpPacketsSent: number;
  /** Datagrams received on the leg's RTP port so far (read and dropped: we relay no media). */
  rtpPacketsReceived: number;
  /** The last re-INVITE of the leg that failed (the dialog stays up), e.g. `bridge: 488 Not Acceptable Here`. */
  lastReinviteFailure: string | null;
}

interface SipLeg {
  callId: string;
  inbound?: InboundCall;
  outbound?: OutboundCall;
  dialog?: Dialog;
  /** Our own SDP for this leg (what we offer, or answered with). */
  ourSdp: string;
  /** Our SDP session towards this leg: every body sent to it is stamped with our o= line (sdpSession.ts). */
  session: SdpSession;
  /** The leg's RTP port and tone player. */
  rtp: LegMedia | undefined;
  /** The SDP of the far end's 183 (its early media). */
  earlySdp?: string;
  /** The SDP this leg was last re-INVITEd with by `bridge` (another leg's). */
  bridgedSdp?: string;
  released: boolean;
  /** The cause the leg was released with (the Reason of a BYE sent once a late ACK arrives). */
  endCause: EndCause;
  /** The far end holds the leg (its last re-INVITE was sendonly/inactive). */
  remoteHeld: boolean;
  /** The leg's session currently points at another leg's media (after `bridge`). */
  bridged: boolean;
  media: { bridgedTo: string | null };
  /** Re-INVITEs of this leg, one at a time. */
  chain: Promise<unknown>;
  /** The agent's phone, for a call to an agent DN mapped to a SIP URI (agentPhone.ts). */
  phone?: AgentPhone;
  /** The record a dialog continued after a restart came from (dialogRecords.ts). */
  restored?: SipDialogRecord;
  lastReinviteFailure?: string;
}

const LISTEN = /^(udp|tcp):([^:\s]+|\[[0-9a-f:]+\]):(\d{1,5})$/i;

/** The user part of a SIP URI (a number stays a number); otherwise the whole URI. */
export function userOf(uri: string | undefined): string {
  const m = /^sips?:([^@;?]+)@/i.exec(uri ?? '');
  if (!m) return uri ?? '';
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

export class SipNetwork implements Network {
  /** Resolves with the bound addresses; rejects if a port is taken. */
  readonly listening: Promise<readonly ListenAddress[]>;
  private readonly stack: SipJsStack;
  private readonly layer: DialogLayer;
  private readonly services: Record<string, string>;
  private readonly gateway: string | undefined;
  private readonly agents: Record<string, string>;
  /** The ringback a transfer plays when it names none (the engine asks; `options.ringbackTone`). */
  readonly ringbackTone: string | undefined;
  private readonly mediaHost: string;
  private readonly ports: RtpPortPool;
  private clock: SipClock = realClock;
  private engine: NetworkIndications | null = null;
  private readonly limiter: InviteRateLimiter;
  private readonly legs = new Map<string, SipLeg>();
  /** The inbound call being offered to the engine (its commands may come before `offer` returns its call id). */
  private offering: { call: InboundCall; ourSdp: string; rtp: LegMedia; leg?: SipLeg } | undefined;
  /** BYEs and CANCELs still in flight (close waits for them, briefly). */
  private readonly endings = new Set<Promise<unknown>>();

  constructor(options: SipNetworkOptions) {
    const listen = checkListen(options?.listen);
    this.services = checkServices(options.services);
    this.agents = checkAgents(options.agents);
    this.ringbackTone = checkTone(options.ringbackTone);
    this.gateway = options.gateway === undefined ? undefined : checkUri('gateway', options.gateway);
    const limits = checkLimits(options.limits);
    this.limiter = new InviteRateLimiter(limits, () => this.clock.now());
    const host = listen[0].host;
    this.mediaHost = options.media?.host ?? host;
    const ports = checkPorts(options.media?.ports ?? [20000, 20999]);
    this.ports = new RtpPortPool(ports[0], ports[1]);
    this.stack = new SipJsStack({
      host,
      port: listen[0].port,
      udp: listen.some((l) => l.protocol === 'UDP'),
      tcp: listen.some((l) => l.protocol === 'TCP'),
      maxBytes: limits.maxMessageBytes,
    });
    // The 491 retry delay runs on the engine's clock (attach), so a simulated clock drives it.
    const retryClock: SipClock = {
      now: () => this.clock.now(),
      setTimeout: (fn, ms) => this.clock.setTimeout(fn, ms),
      clearTimeout: (h) => this.clock.clearTimeout(h),
    };
    this.layer = new DialogLayer({ stack: this.stack, retryClock });
    this.layer.onInvite((call) => this.onInvite(call));
    this.listening = this.stack.listening;
  }

  /** Legs this network still tracks (0 once every call has ended). */
  get legCount(): number {
    return this.legs.size;
  }

  /** Confirmed SIP dialogs (0 once every call has ended). */
  get dialogCount(): number {
    return this.layer.dialogCount;
  }

  /** What the media of a leg is doing now. */
  media(callId: string): SipMedia {
    const leg = this.legs.get(callId);
    return {
      tone: leg?.rtp?.tone ?? null,
      bridgedTo: leg?.media.bridgedTo ?? null,
      rtpPort: leg?.rtp?.port ?? null,
      rtpPacketsSent: leg?.rtp?.packetsSent ?? 0,
      rtpPacketsReceived: leg?.rtp?.packetsReceived ?? 0,
      lastReinviteFailure: leg?.lastReinviteFailure ?? null,
    };
  }

  /** RTP ports of `media.ports` in use (0 once every call has ended). */
  get rtpPortsInUse(): number {
    return this.ports.used;
  }

  attach(engine: NetworkIndications, clock: EngineClock): void {
    this.engine = engine;
    this.clock = clock;
  }

  // ---- inbound ----

  private onInvite(call: InboundCall): void {
    const engine = this.engine;
    if (!engine) return call.reject(503, 'Service Unavailable');
    const admitted = this.limiter.admit(call.remote.address);
    if (admitted !== true) return call.reject(503, 'Service Unavailable', { 'retry-after': admitted.retryAfter });
    let rtp: LegMedia;
    try {
      rtp = this.rtp();
    } catch (e) {
      return call.reject(503, 'Service Unavailable', { warning: `399 switchboard "${(e as Error).message}"` });
    }
    let ourSdp: string;
    try {
      const local = { address: this.mediaHost, port: rtp.port };
      ourSdp = call.offer === undefined ? buildSdp(offerSdp(local)) : buildSdp(answerSdp(parseSdp(call.offer), local));
    } catch {
      rtp.close();
      return call.reject(488, 'Not Acceptable Here');
    }
    const rq = call.request;
    this.offering = { call, ourSdp, rtp };
    let callId: string;
    const to = userOf(rq.headers.to?.uri ?? rq.uri);
    const phone = this.agents[to]; // a call for an agent DN mapped to a SIP URI rings the agent's phone
    try {
      callId = engine.offer({ from: userOf(rq.headers.from?.uri), to, ...(phone ? { phone: true } : {}) });
    } catch {
      this.offering = undefined;
      rtp.close();
      if (!call.final) call.reject(503, 'Service Unavailable');
      return;
    }
    const leg = this.offering.leg ?? this.newLeg(callId, ourSdp, rtp);
    this.offering = undefined;
    leg.callId = callId;
    leg.inbound = call;
    if (leg.released) return;
    this.legs.set(callId, leg);
    call.onCancel = () => {
      if (!leg.released) engine.hungUp(callId);
    };
    if (phone && !leg.released) this.ringPhone(leg, call, phone);
    if (phone && !leg.released) engine.legChanged?.(callId); // its phone's INVITE: stored (dialogRecords.ts)
  }

  /** A call for an agent DN mapped to a SIP URI rings the agent's phone (agentPhone.ts). */
  private ringPhone(leg: SipLeg, call: InboundCall, uri: string): void {
    const own = leg.ourSdp;
    const user = userOf(call.request.headers.from?.uri);
    leg.phone = new AgentPhone(
      this.layer,
      uri,
      `sip:${/^[\w+.\-*#]+$/.test(user) ? user : 'switchboard'}@${this.stack.host}:${this.stack.port}`,
      call.offer ?? own, // no offer from the caller: ours (an offer too)
      {
        ringing: () => {
          if (!leg.released) this.engine?.legChanged?.(leg.callId); // the phone rings: a CANCEL may go to it
          if (!leg.released && !call.final) call.progress(180);
        },
        answered: (sdp) => {
          if (leg.released || leg.dialog) return;
          leg.ourSdp = sdp ?? own; // the caller talks to the phone
          this.engine?.agentAnswered(leg.callId);
        },
        failed: (cause, message) => {
          if (!leg.released && !leg.dialog) this.engine?.cleared(leg.callId, cause, message);
        },
        hungUp: () => {
          leg.ourSdp = own;
          if (!leg.released) this.engine?.agentHungUp(leg.callId);
        },
      },
      new SdpSession(this.mediaHost),
    );
    leg.phone.restore = () => (leg.ourSdp = own);
  }

  /** The agent has left a call that goes on (a completed or single-step transfer): the phone gets BYE. */
  agentLeft(callId: string): void {
    const leg = this.legs.get(callId);
    if (!leg?.phone) return;
    leg.phone.restore?.();
    this.endPhone(leg.phone, 'normal');
  }

  /** Whom the agent of `callId`'s call talks to through its phone (agentPhone.ts's talkTo). */
  agentTalksTo(callId: string, to: AgentTalk): void {
    const leg = this.legs.get(callId);
    const phone = leg?.phone;
    if (!leg || !phone) return;
    if (to === 'caller' && leg.bridged && leg.media.bridgedTo === null) {
      // A conference whose target has left (unbridged): the caller's session goes back to the phone's media.
      leg.bridged = false;
      leg.bridgedSdp = undefined;
      void this.reinvite(leg, leg.ourSdp);
    }
    if (typeof to === 'string') return phone.talkTo(to);
    const peer = this.legs.get(to.leg);
    const sdp = peer?.dialog?.remoteSdp;
    if (!peer || !sdp) return;
    const own = peer.ourSdp;
    phone.talkTo({
      id: peer.callId,
      sdp,
      connect: (phoneSdp) => {
        peer.ourSdp = phoneSdp; // its hold and retrieve now re-INVITE it with the phone's SDP
        void this.reinvite(peer, phoneSdp);
      },
      disconnect: () => (peer.ourSdp = own),
    });
  }

  /**
   * `leg` ends while its agent's phone talks to another live leg (the caller hung up during a consult): the phone
   * stays with that leg, which is now its call (its BYE hangs that leg up; that leg's end BYEs it). False when
   * the phone talks to nobody else, and so ends with the leg.
   */
  private handPhoneOver(leg: SipLeg, phone: AgentPhone): boolean {
    const talk = phone.peer;
    const peer = talk && this.legs.get(talk.id);
    const sdp = peer?.dialog?.remoteSdp;
    if (!talk || !phone.up || !peer || peer.released || peer.phone || !sdp) return false;
    leg.phone = undefined;
    peer.phone = phone;
    phone.restore = () => talk.disconnect(); // the peer's own SDP again, once the phone has left
    phone.handOver(sdp, {
      ringing: () => undefined,
      answered: () => undefined,
      failed: () => undefined,
      hungUp: () => {
        talk.disconnect();
        if (!peer.released) this.engine?.agentHungUp(peer.callId);
      },
    });
    this.engine?.legChanged?.(peer.callId); // the phone's dialog is stored with this leg now (dialogRecords.ts)
    return true;
  }

  private endPhone(phone: AgentPhone, cause: EndCause): void {
    phone.end(cause);
    if (phone.ending) this.ending(phone.ending);
  }

  private newLeg(callId: string, ourSdp: string, rtp: LegMedia | undefined): SipLeg {
    return {
      callId,
      ourSdp,
      rtp,
      session: new SdpSession(this.mediaHost),
      released: false,
      endCause: 'normal',
      remoteHeld: false,
      bridged: false,
      media: { bridgedTo: null },
      chain: Promise.resolve(),
    };
  }

  /** The leg of a command; during an offer, the first unknown call id is the offered call's. */
  private leg(callId: string): SipLeg | undefined {
    const known = this.legs.get(callId);
    if (known) return known;
    if (!this.offering) return undefined;
    const leg = this.offering.leg ?? this.newLeg(callId, this.offering.ourSdp, this.offering.rtp);
    leg.callId = callId;
    leg.inbound = this.offering.call;
    this.offering.leg = leg;
    this.legs.set(callId, leg);
    return leg;
  }

  ring(callId: string): void {
    const call = this.leg(callId)?.inbound;
    if (call && !call.final) call.progress(180);
  }

  answer(callId: string): void {
    const leg = this.leg(callId);
    const call = leg?.inbound;
    if (!leg || !call) throw new Error(`answer(): no inbound call ${callId}`);
    call.answer(leg.session.stamp(leg.ourSdp)).then(
      (dialog) => {
        leg.dialog = dialog;
        if (leg.released) return this.bye(leg, leg.endCause);
        this.watch(leg, dialog);
        this.engine?.accepted(callId);
      },
      (e: Error) => {
        if (!leg.released) this.engine?.failed(callId, e.message);
      },
    );
  }

  // ---- outbound ----

  dial(callId: string, destination: Destination, from: string): void {
    const engine = this.indications();
    const uri = this.uriOf(destination);
    if (typeof uri !== 'string') return engine.cleared(callId, 'unobtainable', uri.error);
    const rtp = this.rtp(); // throws when media.ports is exhausted: the engine fails the leg
    const leg = this.newLeg(callId, buildSdp(offerSdp({ address: this.mediaHost, port: rtp.port })), rtp);
    this.legs.set(callId, leg);
    const phone = destination.byAgent ? this.agents[from] : undefined;
    if (phone) return this.clickToDial(leg, phone, uri, from, destination.to);
    this.inviteFarEnd(leg, uri, from);
  }

  /**
   * Click-to-dial (RFC 3725): an agent's Dial rings the agent's phone first (offered our SDP); once it answers,
   * the destination is INVITEd with the phone's SDP (the phone hears our ringback while it rings, until its early
   * media or its answer), and the phone re-INVITEd with the destination's answer. The
   * agent call stays Dialing meanwhile; the phone's refusal ends the attempt with its cause, its BYE hangs up.
   */
  private clickToDial(leg: SipLeg, phoneUri: string, uri: string, from: string, to: string): void {
    const engine = this.indications();
    const own = leg.ourSdp;
    const shown = /^[\w+.\-*#]+$/.test(to) ? to : 'switchboard';
    leg.phone = new AgentPhone(
      this.layer,
      phoneUri,
      `sip:${shown}@${this.stack.host}:${this.stack.port}`,
      own,
      {
        ringing: () => undefined, // the agent call is Dialing already
        answered: (sdp) => {
          if (leg.released) return;
          leg.ourSdp = sdp ?? own; // the destination talks to the phone
          this.inviteFarEnd(leg, uri, from);
          // The agent hears ringback while the destination rings (until its early media or its answer).
          if (sdp && !leg.released) leg.rtp?.play(this.ringbackTone ?? DEFAULT_RINGBACK_TONE, rtpTarget(own, sdp));
        },
        failed: (cause, message) => {
          if (!leg.released) engine.cleared(leg.callId, cause, message);
        },
        hungUp: () => {
          leg.ourSdp = own;
          if (!leg.released) engine.agentHungUp(leg.callId);
        },
      },
      new SdpSession(this.mediaHost),
    );
    leg.phone.restore = () => (leg.ourSdp = own);
  }

  /** The INVITE of an outgoing leg's far end, offered the leg's SDP (ours, or the agent's phone's). */
  private inviteFarEnd(leg: SipLeg, uri: string, from: string): void {
    const engine = this.indications();
    const callId = leg.callId;
    const user = /^[\w+.\-*#]+$/.test(from) ? from : 'switchboard';
    const call = this.layer.invite({
      uri,
      from: `sip:${user}@${this.stack.host}:${this.stack.port}`,
      sdp: leg.session.stamp(leg.ourSdp),
      onProvisional: (_status, sdp) => {
        if (sdp) leg.earlySdp ??= sdp;
        if (sdp && leg.phone) leg.rtp?.stop(); // click-to-dial: the phone hears the destination's early media
        if (!leg.released) engine.progress(callId, sdp ? { earlyMedia: true } : undefined);
      },
    });
    leg.outbound = call;
    void call.outcome.then((o) => {
      if (o.kind === 'answered') {
        leg.dialog = o.dialog;
        if (leg.released) return this.bye(leg, leg.endCause);
        this.watch(leg, o.dialog);
        this.bridgeAnswered(leg);
        if (leg.phone) leg.rtp?.stop(); // click-to-dial: no more ringback, the phone talks to the destination
        if (leg.phone && o.dialog.remoteSdp) leg.phone.farEnd(o.dialog.remoteSdp);
        engine.answered(callId);
      } else if (o.kind === 'failed' && !leg.released) {
        engine.cleared(callId, fromSipResponse(o.status), `${o.status} ${o.reason}`.trim());
      }
    });
  }

  private uriOf(d: Destination): string | { error: string } {
    if (d.kind === 'service') return this.services[d.to] ?? { error: `No inbound service named '${d.to}'` };
    if (Object.hasOwn(this.agents, d.to)) return this.agents[d.to]; // an agent's phone
    if (!this.gateway) return { error: `The number ${d.to} is unobtainable (no SIP gateway configured)` };
    if (!/^[\w+.\-*#]+$/.test(d.to)) return { error: `The number ${d.to} is unobtainable` };
    return this.gateway.replace(/^(sips?:)/i, `$1${d.to}@`);
  }

  // ---- in-dialog ----

  /** Far-end BYE and re-INVITEs of a confirmed dialog. */
  private watch(leg: SipLeg, dialog: Dialog): void {
    const answer = dialog.onReinvite; // our answers to its re-INVITEs are in our session too
    dialog.onReinvite = async (offer) => {
      const sdp = await answer(offer);
      return sdp === undefined ? undefined : leg.session.stamp(sdp);
    };
    dialog.on('bye', () => {
      if (!leg.released) this.engine?.hungUp(leg.callId);
    });
    dialog.on('modified', (sdp) => {
      if (!leg.released) this.engine?.legChanged?.(leg.callId); // the far end's CSeq and target: stored
      if (leg.released || sdp === undefined) return;
      leg.rtp?.retarget(leg.ourSdp, sdp); // a tone playing follows the far end to its new address
      const other = leg.media.bridgedTo === null ? undefined : this.legs.get(leg.media.bridgedTo);
      if (other?.bridged) void other.chain.then(() => this.mirror(leg, other)); // the other side follows it too
      let direction: string;
      try {
        direction = parseSdp(sdp).direction;
      } catch {
        return;
      }
      const held = direction === 'sendonly' || direction === 'inactive';
      if (held === leg.remoteHeld) return;
      leg.remoteHeld = held;
      if (held) this.engine?.remoteHold(leg.callId);
      else this.engine?.remoteUnhold(leg.callId);
    });
  }

  /** A re-INVITE of `leg` with `sdp`, after any other of the leg's. */
  private reinvite(leg: SipLeg, sdp: string): Promise<CommandResult> {
    const run = async (): Promise<CommandResult> => {
      const dialog = leg.dialog;
      if (!dialog || dialog.state === 'terminated') return { ok: false, status: 481, reason: 'no dialog' };
      try {
        const r = await dialog.reinvite(leg.session.stamp(sdp));
        if (!leg.released) this.engine?.legChanged?.(leg.callId); // its CSeq moved: stored (dialogRecords.ts)
        if (r.status >= 200 && r.status < 300) return { ok: true };
        return r.reason === undefined
          ? { ok: false, status: r.status }
          : { ok: false, status: r.status, reason: r.reason };
      } catch (e) {
        return { ok: false, status: 500, reason: (e as Error).message };
      }
    };
    const result = leg.chain.then(run, run);
    leg.chain = result;
    return result;
  }

  hold(callId: string): void {
    const leg = this.leg(callId);
    if (!leg) throw new Error(`hold(): no call ${callId}`);
    leg.phone?.direction('sendonly');
    void this.reinvite(leg, withDirection(leg.ourSdp, 'sendonly')).then((r) => {
      if (!leg.released) this.engine?.holdResult(callId, r);
    });
  }

  unhold(callId: string): void {
    const leg = this.leg(callId);
    if (!leg) throw new Error(`unhold(): no call ${callId}`);
    leg.phone?.direction('sendrecv');
    void this.reinvite(leg, withDirection(leg.ourSdp, 'sendrecv')).then((r) => {
      if (!leg.released) this.engine?.unholdResult(callId, r);
    });
  }

  reconnect(callId: string): void {
    const leg = this.leg(callId);
    if (!leg) throw new Error(`reconnect(): no call ${callId}`);
    if (!leg.bridged) return this.engine?.reconnected(callId);
    leg.bridged = false;
    leg.bridgedSdp = undefined;
    void this.reinvite(leg, leg.ourSdp).then((r) => {
      if (leg.released) return;
      this.reinviteFailed(leg, 'reconnect', r);
      this.engine?.reconnected(callId);
    });
  }

  /**
   * Third-party call control (RFC 3725): re-INVITE `a` with `b`'s SDP, so the two far ends talk directly; while
   * `b` rings, with the SDP of its 183 (`a` hears `b`'s early media), and again with its answer's if that differs.
   */
  bridge(a: string, b: string): void {
    const la = this.legs.get(a);
    const lb = this.legs.get(b);
    if (!la || !lb) return;
    la.media.bridgedTo = b;
    lb.media.bridgedTo = a;
    la.rtp?.stop(); // the far ends' media from now on, not our tone
    const sdp = lb.dialog?.remoteSdp ?? lb.earlySdp;
    if (!la.dialog || !sdp) return;
    if (la.bridgedSdp !== sdp) {
      la.bridged = true;
      la.bridgedSdp = sdp;
      void this.reinvite(la, sdp).then((r) => this.reinviteFailed(la, 'bridge', r));
    }
    // Then B gets A's answer (RFC 3725: each far end must have the other's SDP), once B has a dialog.
    void la.chain.then(() => this.mirror(la, lb));
  }

  /**
   * Re-INVITEs `to` with the far end of `from`'s current SDP, if `to` is up and still bridged to `from` and its
   * media would change (address, port, direction or codecs: a version bump alone sends nothing, so two far ends
   * never re-INVITE each other in a loop). When `to` answers with media other than `from` has, `from` follows.
   */
  private mirror(from: SipLeg, to: SipLeg): void {
    const sdp = from.dialog?.remoteSdp;
    if (!sdp || from.released || to.released || !to.dialog || to.media.bridgedTo !== from.callId) return;
    if (to.bridgedSdp !== undefined && mediaKey(to.bridgedSdp) === mediaKey(sdp)) return;
    to.bridged = true;
    to.bridgedSdp = sdp;
    void this.reinvite(to, sdp).then((r) => {
      if (this.reinviteFailed(to, 'bridge', r)) return;
      void from.chain.then(() => this.mirror(to, from)); // e.g. `to` answered from a new port
    });
  }

  /** Records and reports a failed re-INVITE (the dialog stays up); false when it did not fail. */
  private reinviteFailed(leg: SipLeg, command: string, r: CommandResult): boolean {
    if (r.ok) return false;
    if (leg.released) return true;
    leg.lastReinviteFailure = `${command}: ${r.status}${r.reason ? ` ${r.reason}` : ''}`;
    this.engine?.mediaFailed?.(leg.callId, command, r);
    return true;
  }

  /** `b` answered while a leg is bridged to its early media: re-INVITE that leg with `b`'s answer if it differs. */
  private bridgeAnswered(b: SipLeg): void {
    const a = b.media.bridgedTo === null ? undefined : this.legs.get(b.media.bridgedTo);
    if (a?.bridged && a.media.bridgedTo === b.callId) this.bridge(a.callId, b.callId);
  }

  /** A live leg's Call-ID, far end and transport (the inspector's call view; legFacts.ts). */
  sipFacts(callId: string): SipLegFacts | undefined {
    const leg = this.legs.get(callId);
    return leg && (legFacts(leg.inbound, leg.outbound) ?? (leg.restored && restoredFacts(leg.restored)));
  }

  /** Durable port: the leg's dialog as data (dialogRecords.ts), stored with the leg's record each turn. */
  persistLeg(callId: string): SipDialogRecord | undefined {
    const leg = this.legs.get(callId) ?? (this.offering ? this.leg(callId) : undefined); // the offer's own turn
    return (
      leg && dialogRecord({ ...leg, bridgedTo: leg.media.bridgedTo, agentPhone: leg.phone?.signalling }, this.layer)
    );
  }

  /**
   * Durable port (dialogRecords.ts): after a restart, bridged A–B dialogs go on (`resume`) and are probed; every
   * other restored leg, and every leg of a takeover, has its dialog ended from its record (BYE or CANCEL).
   */
  restoreLegs(legs: readonly RestoredLeg[], how: 'restart' | 'takeover'): number {
    const to = { layer: this.layer, engine: this.indications(), ending: (p: Promise<unknown>) => this.ending(p) };
    const resumed = continuable(legs, how).flatMap((pair) => this.resume(pair));
    const ended = legs.filter((l) => !resumed.some((leg) => leg.callId === l.callId));
    this.clock.setTimeout(() => {
      endRestoredLegs(ended, how, to);
      for (const leg of resumed) {
        void probe(this.layer, leg.dialog!).then((alive) => {
          if (!alive && !leg.released) this.engine?.hungUp(leg.callId);
        });
      }
    }, 0);
    return 0;
  }

  /** Both legs of a continued A–B pair as before the restart (each with a new RTP port), or neither. */
  private resume(pair: readonly SipDialogRecord[]): SipLeg[] {
    const legs: SipLeg[] = [];
    for (const r of pair) {
      const id = pair.find((o) => o !== r)!.bridgedTo as string;
      let rtp: LegMedia;
      try {
        rtp = this.rtp();
      } catch {
        for (const leg of legs) {
          leg.rtp?.close();
          leg.dialog?.end();
          this.legs.delete(leg.callId);
        }
        return [];
      }
      const leg = this.newLeg(id, buildSdp(offerSdp({ address: this.mediaHost, port: rtp.port })), rtp);
      const dialog = restoredDialog(this.layer, r);
      Object.assign(leg, { dialog, restored: r, bridged: true, bridgedSdp: r.localSdp });
      leg.media.bridgedTo = r.bridgedTo;
      this.layer.remember(dialog);
      this.watch(leg, dialog);
      this.legs.set(id, leg);
      legs.push(leg);
    }
    return legs;
  }

  unbridge(a: string, b: string): void {
    for (const [leg, other] of [
      [a, b],
      [b, a],
    ]) {
      const media = this.legs.get(leg)?.media;
      if (media?.bridgedTo === other) media.bridgedTo = null;
    }
  }

  /** The tones `playTone` plays (media/tones.ts). */
  readonly tones: readonly string[] = Object.keys(TONES);

  /** Plays `tone` (media/tones.ts) over RTP to the address and codec of the leg's SDP; throws for an unknown tone. */
  playTone(callId: string, tone: string): void {
    const leg = this.legs.get(callId);
    if (!leg?.rtp) return;
    const remote = leg.dialog?.remoteSdp ?? leg.inbound?.offer;
    if (!remote) throw new Error(`playTone(): the far end of ${callId} has sent no SDP to play ${tone} to`);
    leg.rtp.play(tone, rtpTarget(leg.ourSdp, remote));
  }

  stopTone(callId: string): void {
    this.legs.get(callId)?.rtp?.stop();
  }

  release(callId: string, cause: EndCause, by: 'local' | 'remote'): void {
    // A reject from inside the offer (the application's incomingCall listener) comes before offer returns.
    const leg = this.legs.get(callId) ?? (this.offering ? this.leg(callId) : undefined);
    if (!leg) {
      // An `answered` for a call we had forgotten: the engine asks again to end it.
      return;
    }
    this.legs.delete(callId);
    leg.released = true;
    leg.endCause = cause;
    leg.media = { bridgedTo: null };
    leg.rtp?.close();
    if (leg.phone && !this.handPhoneOver(leg, leg.phone)) this.endPhone(leg.phone, cause);
    if (leg.dialog) {
      if (by === 'local') this.bye(leg, cause);
      return;
    }
    const inbound = leg.inbound;
    if (inbound && !inbound.final) {
      const status = toSip(cause);
      inbound.reject(typeof status === 'number' && status >= 300 ? status : 480, reasonPhrase(cause));
    }
    // An answer not yet ACKed ends with a BYE when its ACK comes (see `answer`).
    if (leg.outbound) {
      leg.outbound.cancel({ cause: toQ850(cause) });
      this.ending(leg.outbound.outcome);
    }
  }

  private bye(leg: SipLeg, cause: EndCause): void {
    this.ending(leg.dialog!.bye({ cause: toQ850(cause) }));
  }

  /** A BYE or CANCEL in flight: `close` waits for it (briefly). */
  private ending(p: Promise<unknown>): void {
    this.endings.add(p);
    void p.then(() => this.endings.delete(p));
  }

  /** Closes the sockets, after giving BYEs and CANCELs in flight up to a second to be answered. */
  async close(): Promise<void> {
    for (const leg of this.legs.values()) leg.rtp?.close();
    if (this.endings.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(this.endings), new Promise((r) => (timer = setTimeout(r, 1000)))]);
      clearTimeout(timer);
    }
    await this.layer.close();
  }

  private indications(): NetworkIndications {
    if (!this.engine) throw new Error('The SIP network is not attached to a switchboard');
    return this.engine;
  }

  /** A new leg's media on the next free RTP port of the range; throws `RtpPortsExhausted` when none is free. */
  private rtp(): LegMedia {
    return new LegMedia(this.ports, this.mediaHost, this.ports.allocate(), this.clock);
  }
}

export function createSipNetwork(options: SipNetworkOptions): SipNetwork {
  return new SipNetwork(options);
}

/** What of an SDP changes where media goes and how: address, port, direction, codecs ('' if it does not parse). */
function mediaKey(sdp: string): string {
  try {
    const s = parseSdp(sdp);
    return `${s.address} ${s.port} ${s.direction} ${s.payloads.join(',')}`;
  } catch {
    return '';
  }
}

function reasonPhrase(cause: EndCause): string {
  const phrases: Partial<Record<EndCause, string>> = {
    busy: 'Busy Here',
    rejected: 'Decline',
    noAnswer: 'Temporarily Unavailable',
    unobtainable: 'Not Found',
    cancel: 'Request Terminated',
    timeout: 'Request Timeout',
    barred: 'Forbidden',
    changed: 'Gone',
  };
  return phrases[cause] ?? 'Service Unavailable';
}

function checkListen(listen: unknown): { protocol: 'UDP' | 'TCP'; host: string; port: number }[] {
  if (!Array.isArray(listen) || listen.length === 0) {
    throw new TypeError(`createSipNetwork(): 'listen' must be a non-empty array like ['udp:127.0.0.1:5060']`);
  }
  const parsed = listen.map((l: unknown) => {
    const m = typeof l === 'string' ? LISTEN.exec(l) : null;
    if (!m || Number(m[3]) > 65535) {
      throw new TypeError(
        `createSipNetwork(): listen entry must be 'udp:HOST:PORT' or 'tcp:HOST:PORT', got ${JSON.stringify(l)}`,
      );
    }
    return { protocol: m[1].toUpperCase() as 'UDP' | 'TCP', host: m[2].replace(/^\[|\]$/g, ''), port: Number(m[3]) };
  });
  if (parsed.some((p) => p.host !== parsed[0].host || p.port !== parsed[0].port)) {
    throw new TypeError('createSipNetwork(): every listen entry must use the same host and port (one per transport)');
  }
  // The listen host is the address we advertise (Via, Contact, SDP): a wildcard would tell peers to send to 0.0.0.0.
  if (['0.0.0.0', '::', '0:0:0:0:0:0:0:0'].includes(parsed[0].host)) {
    throw new TypeError(
      `createSipNetwork(): listen on the address peers reach us at, not ${parsed[0].host}: it is what Via, Contact and SDP carry`,
    );
  }
  return parsed;
}

function checkUri(what: string, uri: unknown): string {
  if (typeof uri !== 'string' || !/^sips?:[^\s]+$/i.test(uri)) {
    throw new TypeError(
      `createSipNetwork(): ${what} must be a SIP URI like 'sip:127.0.0.2:5080', got ${JSON.stringify(uri)}`,
    );
  }
  return uri;
}

function checkServices(services: unknown): Record<string, string> {
  if (services === undefined) return {};
  if (typeof services !== 'object' || services === null || Array.isArray(services)) {
    throw new TypeError(`createSipNetwork(): 'services' must be an object of name → SIP URI`);
  }
  const out: Record<string, string> = Object.create(null);
  for (const [name, uri] of Object.entries(services)) out[name] = checkUri(`service '${name}'`, uri);
  return out;
}

function checkAgents(agents: unknown): Record<string, string> {
  if (agents === undefined) return {};
  if (typeof agents !== 'object' || agents === null || Array.isArray(agents)) {
    throw new TypeError(`createSipNetwork(): 'agents' must be an object of agent DN → SIP URI`);
  }
  const out: Record<string, string> = Object.create(null);
  for (const [dn, uri] of Object.entries(agents)) out[dn] = checkUri(`agent '${dn}'`, uri);
  return out;
}

function checkTone(tone: unknown): string | undefined {
  if (tone === undefined || (typeof tone === 'string' && Object.hasOwn(TONES, tone))) return tone;
  throw new TypeError(
    `createSipNetwork(): ringbackTone must be one of ${Object.keys(TONES).join(', ')}, got ${JSON.stringify(tone)}`,
  );
}

function checkPorts(ports: unknown): readonly [number, number] {
  const ok =
    Array.isArray(ports) &&
    ports.length === 2 &&
    ports.every((p) => Number.isInteger(p) && p > 0 && p < 65536) &&
    ports[0] + (ports[0] % 2) < ports[1];
  if (!ok) {
    throw new TypeError(
      `createSipNetwork(): media.ports must be [low, high] (an even port and the next), got ${JSON.stringify(ports)}`,
    );
  }
  return ports as [number, number];
}
