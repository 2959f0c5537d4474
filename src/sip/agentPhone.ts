/**
 * An agent's SIP phone for one call (the `agents` option of createSipNetwork: agent DN → the phone's URI). A call
 * for a mapped DN rings the phone with the caller's SDP offer, so the caller and the phone talk directly once
 * answered. The phone's provisional responses ring the caller; its 200 is the agent answering (the engine makes
 * the agent call Established, and the caller gets the phone's SDP in our 200); a final failure ends the caller's
 * leg with the phone's cause; its BYE is the agent hanging up. Hold and retrieve of the call re-INVITE the phone
 * too (sendonly / sendrecv); the phone gets BYE (or CANCEL) when the agent leaves the call or the call ends.
 * The desk's decisions stay in the engine's charts: this module only carries SIP to and from the phone.
 */
import type { EndCause } from '../../machines/vocabulary';
import { fromSipResponse, toQ850 } from '../causes';
import type { Dialog, DialogLayer, OutboundCall } from './dialog';
import { withDirection } from './sdp';

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

  constructor(
    layer: DialogLayer,
    readonly uri: string,
    from: string,
    /** The SDP offered to the phone (the caller's offer): what we re-offer with another direction on hold. */
    private readonly sdp: string,
    private readonly events: AgentPhoneEvents,
  ) {
    this.call = layer.invite({
      uri,
      from,
      sdp,
      onProvisional: () => {
        if (!this.ended) events.ringing();
      },
    });
    void this.call.outcome.then((o) => {
      if (o.kind === 'answered') {
        this.dialog = o.dialog;
        if (this.ended) return this.bye('normal');
        o.dialog.on('bye', () => {
          if (this.ended) return;
          this.ended = true;
          events.hungUp();
        });
        events.answered(o.dialog.remoteSdp);
      } else if (o.kind === 'failed' && !this.ended) {
        this.ended = true;
        events.failed(fromSipResponse(o.status), `the agent's phone answered ${o.status} ${o.reason}`.trim());
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

  /** Hold (`sendonly`) or retrieve (`sendrecv`): a re-INVITE of the phone, after any other. */
  direction(direction: 'sendonly' | 'sendrecv'): void {
    if (!this.up) return;
    const run = () => (this.up ? this.dialog!.reinvite(withDirection(this.sdp, direction)).catch(() => null) : null);
    this.chain = this.chain.then(run, run);
  }

  /** The agent has left the call, or the call ended: BYE the phone (CANCEL while it rings). */
  end(cause: EndCause): void {
    if (this.ended) return;
    this.ended = true;
    if (this.dialog) return this.bye(cause);
    this.call.cancel({ cause: toQ850(cause) });
    this.ending = this.call.outcome;
  }

  private bye(cause: EndCause): void {
    this.ending = this.dialog!.bye({ cause: toQ850(cause) });
  }
}
