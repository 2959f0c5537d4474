/**
 * The SIP benchmark's "no engine" baseline: a minimal B2BUA on the same SIP stack and dialog layer as
 * createSipNetwork (src/sip), with the same messages per call as the Switchboard application in bench/sip/sut.ts.
 * An inbound INVITE gets 180 and 200 with our SDP; on its ACK we INVITE the far end; when the far end answers,
 * the caller is re-INVITEd with the far end's SDP, then the far end with the caller's answer (RFC 3725, as
 * `bridge` does: media both ways); a BYE on either side BYEs the other. No statecharts, channels, transfers, timers or callbacks.
 */
import { DialogLayer, type Dialog } from '../src/sip/dialog';
import { answerSdp, buildSdp, offerSdp, parseSdp } from '../src/sip/sdp';
import { SipJsStack } from '../src/sip/sipJsStack';

export interface BareB2bua {
  port: number;
  /** Confirmed dialogs (two per connected call). */
  readonly dialogs: number;
  /** Calls that went wrong (a far end that did not answer, a failed re-INVITE). */
  readonly errors: number;
  close(): Promise<void>;
}

/** Starts the B2BUA on `host` (a free port), sending every call on to `farEnd` (a SIP URI). */
export async function startBareB2bua(host: string, farEnd: string): Promise<BareB2bua> {
  const stack = new SipJsStack({ host, tcp: false });
  const [bound] = await stack.listening;
  const layer = new DialogLayer({ stack });
  const media = { address: host, port: 20000 };
  const offer = buildSdp(offerSdp(media));
  let errors = 0;
  const end = (d: Dialog | undefined) => {
    if (d && d.state !== 'terminated') void d.bye({ cause: 16 });
  };
  layer.onInvite((call) => {
    call.progress(180);
    const ours = buildSdp(call.offer === undefined ? offerSdp(media) : answerSdp(parseSdp(call.offer), media));
    let b: Dialog | undefined;
    let aEnded = false;
    call.answer(ours).then(
      (a) => {
        a.on('bye', () => {
          aEnded = true;
          end(b);
        });
        const out = layer.invite({ uri: farEnd, from: `sip:switchboard@${host}:${bound.port}`, sdp: offer });
        void out.outcome.then((o) => {
          if (o.kind !== 'answered') {
            errors++;
            return end(a);
          }
          b = o.dialog;
          if (aEnded) return end(b);
          b.on('bye', () => end(a));
          // Then B gets A's answer, so that media flow both ways (as Switchboard's `bridge` does).
          a.reinvite(o.dialog.remoteSdp ?? ours)
            .then((r) => {
              if (r.status >= 300) throw new Error(`re-INVITE of the caller: ${r.status}`);
              if (aEnded || !b || b.state === 'terminated' || a.remoteSdp === undefined) return;
              return b.reinvite(a.remoteSdp).then((rb) => {
                if (rb.status >= 300) throw new Error(`re-INVITE of the far end: ${rb.status}`);
              });
            })
            .catch(() => errors++);
        });
      },
      () => errors++,
    );
  });
  return {
    port: bound.port,
    get dialogs() {
      return layer.dialogCount;
    },
    get errors() {
      return errors;
    },
    close: () => layer.close(),
  };
}
