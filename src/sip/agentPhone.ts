/**
 * An agent's SIP phone for one call (the `agents` option of createSipNetwork: agent DN → the phone's URI). A call
 * for a mapped DN rings the phone with the caller's SDP offer, so the caller and the phone talk directly once
 * answered. The phone's provisional responses ring the caller; its 200 is the agent answering (the engine makes
 * the agent call Established, and the caller gets the phone's SDP in our 200); a final failure ends the caller's
 * leg with the phone's cause; its BYE is the agent hanging up. Hold and retrieve of the call re-INVITE the phone
 * too (sendonly / sendrecv); the phone gets BYE (or CANCEL) when the agent leaves the call or the call ends.
 * While the agent consults, the phone talks to the consult target instead (`talkTo`, RFC 3725: the phone is
 * re-INVITEd with the target's SDP and the target with the phone's), the caller staying on hold; back with the
 * caller, the phone is re-INVITEd with the caller's SDP again; in a joined conference it is `inactive` (no mixer).
 * If the caller hangs up meanwhile, the phone stays with the target (`handOver`): the consult call goes on.
 * The desk's decisions stay in the engine's charts: this module only carries SIP to and from the phone.
 */
import type { EndCause } from '../../machines/vocabulary';
import { fromSipResponse, toQ850 } from '../causes';
import type { Dialog, DialogLayer, OutboundCall } from './dialog';
import { withDirection } from './sdp';
import type { SdpSession } from './sdpSession';

/** What the phone's signalling means for the call (the SIP network turns these into engine indications). */
export interface AgentPhoneEvents {
  /** The phone rings (180/183): the caller hears ringing. */
  ringing(): void;
  /** The phone answered (200, ACKed) with its SDP. */
  answered(sdp: string | undefined): void;
  /** The phone refused or did not answer: the call ends with this cause. */
  failed(cause: EndCause, message: string): void;
  /** The phone hung up (BYE). */
  hungUp(): void;
}

/** Another leg the phone talks to (the consult target), as the SIP network gives it. */
export interface PhonePeer {
  /** The leg's call id. */
  readonly id: string;
  /** The SDP of the leg's far end: what the phone is re-INVITEd with. */
  readonly sdp: string;
  /** Point the leg's session at the phone's media (a re-INVITE with the phone's SDP). */
  connect(phoneSdp: string): void;
  /** The phone has turned away (or ended): the leg's session is ours again for its next re-INVITE. */
  disconnect(): void;
}

export class AgentPhone {
  private readonly call: OutboundCall;
  private dialog: Dialog | undefined;
  private ended = false;
  /** Re-INVITEs of the phone, one at a time. */
  private chain: Promise<unknown> = Promise.resolve();
  /** BYE or CANCEL in flight (the network's close waits for it). */
  ending: Promise<unknown> | undefined;
  /** Set by the network: gives the caller's leg back its own SDP once the phone has left. */
  restore: (() => void) | undefined;
  /** Whom the phone talks to: the caller (the call's own far end), another leg, or nobody. */
  private talk: PhonePeer | 'caller' | 'nobody' = 'caller';
  /** The caller's side of the call: held (sendonly) or not. */
  private callerDirection: 'sendonly' | 'sendrecv' = 'sendrecv';

  constructor(
    layer: DialogLayer,
    readonly uri: string,
    from: string,
    /** The SDP offered to the phone (the caller's offer): what we re-offer with another direction on hold. */
    private sdp: string,
    private events: AgentPhoneEvents,
    /** Our SDP session towards the phone: every body sent to it carries our o= line (sdpSession.ts). */
    private readonly session: SdpSession,
  ) {
    this.call = layer.invite({
      uri,
      from,
      sdp: session.stamp(sdp),
      onProvisional: () => {
        if (!this.ended) this.events.ringing();
      },
    });
    void this.call.outcome.then((o) => {
      if (o.kind === 'answered') {
        this.dialog = o.dialog;
        if (this.ended) return this.bye('normal');
        o.dialog.on('bye', () => {
          if (this.ended) return;
          this.ended = true;
          this.events.hungUp();
        });
        this.events.answered(o.dialog.remoteSdp);
      } else if (o.kind === 'failed' && !this.ended) {
        this.ended = true;
        this.events.failed(fromSipResponse(o.status), `the agent's phone answered ${o.status} ${o.reason}`.trim());
      }
    });
  }

  /** Its INVITE and dialog while it has not ended (dialogRecords.ts stores them with the caller's leg). */
  get signalling(): { call: OutboundCall; dialog?: Dialog } | undefined {
    return this.ended ? undefined : { call: this.call, dialog: this.dialog };
  }

  /** The phone has answered and not hung up. */
  get up(): boolean {
    return !this.ended && this.dialog !== undefined;
  }

  /** The call's far end now has `sdp` (click-to-dial: the destination answered): the phone talks to it. */
  farEnd(sdp: string): void {
    this.sdp = sdp;
    if (this.talk === 'caller') this.reinvite(withDirection(sdp, this.callerDirection));
  }

  /** The caller is held (`sendonly`) or retrieved (`sendrecv`): re-INVITEs the phone if it talks to the caller. */
  direction(direction: 'sendonly' | 'sendrecv'): void {
    this.callerDirection = direction;
    if (this.talk === 'caller') this.reinvite(withDirection(this.sdp, direction));
  }

  /**
   * The agent talks to another leg (the phone gets its SDP, it gets the phone's), to the caller again (with the
   * caller's hold state), or to nobody (`inactive`). Nothing is sent when it changes nothing.
   */
  talkTo(to: PhonePeer | 'caller' | 'nobody'): void {
    const was = this.talk;
    if (!this.up || to === was || (typeof to === 'object' && typeof was === 'object' && to.id === was.id)) return;
    if (typeof was === 'object') was.disconnect();
    this.talk = to;
    if (to === 'caller') return this.reinvite(withDirection(this.sdp, this.callerDirection));
    if (to === 'nobody') return this.reinvite(withDirection(this.sdp, 'inactive'));
    this.reinvite(withDirection(to.sdp, 'sendrecv'));
    // The phone's last SDP may be its answer to our hold (recvonly): the peer gets it to talk both ways.
    const phoneSdp = this.dialog!.remoteSdp;
    if (phoneSdp) to.connect(withDirection(phoneSdp, 'sendrecv'));
  }

  /** The leg the phone talks to instead of the call's far end (the consult target), if any. */
  get peer(): PhonePeer | undefined {
    return typeof this.talk === 'object' ? this.talk : undefined;
  }

  /**
   * The call's far end is gone while the phone talks to another leg (the caller hung up during a consult): the
   * phone stays up and that leg becomes its call (`sdp`: its far end's; `events`: what the phone's signalling
   * means for it from now on). Nothing is sent: the phone and that leg already talk to each other.
   */
  handOver(sdp: string, events: AgentPhoneEvents): void {
    this.sdp = sdp;
    this.events = events;
    this.talk = 'caller';
    this.callerDirection = 'sendrecv';
  }

  /** A re-INVITE of the phone with `sdp`, after any other. */
  private reinvite(sdp: string): void {
    if (!this.up) return;
    const run = () => (this.up ? this.dialog!.reinvite(this.session.stamp(sdp)).catch(() => null) : null);
    this.chain = this.chain.then(run, run);
  }

  /** The agent has left the call, or the call ended: BYE the phone (CANCEL while it rings). */
  end(cause: EndCause): void {
    if (this.ended) return;
    this.ended = true;
    if (typeof this.talk === 'object') this.talk.disconnect();
    this.talk = 'caller';
    if (this.dialog) return this.bye(cause);
    this.call.cancel({ cause: toQ850(cause) });
    this.ending = this.call.outcome;
  }

  /** BYE once the phone's re-INVITEs in flight have been answered (and ACKed). */
  private bye(cause: EndCause): void {
    const dialog = this.dialog!;
    const send = () => dialog.bye({ cause: toQ850(cause) });
    this.ending = this.chain.then(send, send);
  }
}
