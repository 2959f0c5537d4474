/**
 * A SIP leg's dialog as data, for a durable switchboard: `dialogRecord` is what the SIP network stores with the
 * leg's record in each turn's write (`Network.persistLeg`), and `endRestored` is what a restarted node, or one
 * taking over a dead node's calls, does with it (`Network.restoreLegs`): the process that held the dialog's
 * transactions, sockets and RTP media is gone (docs/sip.md "After a restart or a takeover"). A restart of the
 * same node keeps the A–B calls whose media flows end to end (`continuable`: their dialogs are matched again,
 * each far end is asked with an in-dialog OPTIONS whether it is still there, and later BYEs and re-INVITEs are
 * answered as before). Every other dialog is ended from the stored data:
 * - a confirmed dialog (the INVITE answered, either side) gets a BYE with `Reason: Q.850;cause=N`, its CSeq above
 *   any the dead process can have used;
 * - our own unanswered INVITE gets a CANCEL copying its Request-URI, top Via (branch), From, To, Call-ID and
 *   CSeq number (RFC 3261 9.1), so the far end matches it to the INVITE and ends it with 487;
 * - an incoming INVITE we had not answered gets nothing: its server transaction died with the process, and a
 *   response the stack cannot send in that transaction would not be one (RFC 3261 17.2.1), while a callee must
 *   not BYE an early dialog (RFC 3261 15). The caller's own timer or CANCEL ends it (our stack answers that
 *   CANCEL 481, RFC 3261 9.2).
 */
import type { EndCause } from '../../machines/vocabulary';
import { toQ850 } from '../causes';
import type { NetworkIndications, RestoredLeg, SipLegFacts } from '../engine/network';
import {
  Dialog,
  formatReason,
  type DialogLayer,
  type InboundCall,
  type OutboundCall,
  type ReasonCause,
} from './dialog';
import type { NameAddr, Via } from './message';

/** The record's version (a record of another version is ended as if it had no dialog data). */
const VERSION = 1;

/**
 * How far above the stored CSeq a restored dialog's next request goes: a re-INVITE the dead process sent after
 * its last write (a bridge's second one) used a higher number, and a request below it would be refused (500).
 */
export const CSEQ_MARGIN = 1000;

export interface SipDialogRecord {
  v: number;
  /** Our side: `uac` sent the INVITE (an outgoing leg), `uas` received it (an incoming one). */
  role: 'uac' | 'uas';
  /** The INVITE got its 2xx (ours, or the far end's): the dialog is confirmed. */
  answered: boolean;
  callId: string;
  localTag: string;
  /** The far end's tag ('' for our INVITE before its answer). */
  remoteTag: string;
  /** From and To without tags, as ours and as the far end's. */
  localUri: NameAddr;
  remoteUri: NameAddr;
  /** Our Contact, and the far end's (the remote target of in-dialog requests). */
  localContact: string;
  remoteTarget: string;
  routeSet: NameAddr[];
  localSeq: number;
  remoteSeq: number;
  transport: 'UDP' | 'TCP';
  /** The far end's address and port (where its INVITE came from, or the host of the URI ours went to). */
  remoteAddress: string;
  /** Our unanswered INVITE (role `uac`): what a CANCEL copies; `via` is absent until the stack has sent it. */
  invite?: {
    uri: string;
    via?: Via;
    to: NameAddr;
    from: NameAddr;
    seq: number;
    route?: NameAddr[];
    provisional: boolean;
  };
  /** The leg whose far end this leg's media goes to (a bridged call), or null. */
  bridgedTo: string | null;
  /** This leg's session points at `bridgedTo`'s far end (re-INVITEd with its SDP): media flows end to end. */
  bridged: boolean;
  /** The confirmed dialog's last SDP each way (a continued dialog answers a re-INVITE from them). */
  localSdp?: string;
  remoteSdp?: string;
  /** The agent's phone this call rings or is answered on (agentPhone.ts): our INVITE to it, as its own record. */
  phone?: SipDialogRecord;
}

/** What is live of one SIP leg (the SIP network's own leg: its INVITE either way, and its dialog once confirmed). */
export interface LiveSipLeg {
  inbound?: InboundCall;
  outbound?: OutboundCall;
  dialog?: Dialog;
  bridgedTo: string | null;
  bridged: boolean;
  /** The record a continued leg was restored from (it has a dialog but no INVITE of this process). */
  restored?: SipDialogRecord;
  /** The agent's phone's INVITE and dialog (`AgentPhone.signalling`). */
  agentPhone?: { call: OutboundCall; dialog?: Dialog };
}

const copy = (a: NameAddr | undefined): NameAddr => ({ ...(a ?? { uri: '' }), params: { ...a?.params } });
const untagged = (a: NameAddr | undefined): NameAddr => {
  const out = copy(a);
  delete out.params.tag;
  return out;
};

/** The leg's dialog as data; undefined for a leg with no INVITE yet. */
export function dialogRecord(leg: LiveSipLeg, layer: DialogLayer): SipDialogRecord | undefined {
  const { inbound, outbound, dialog } = leg;
  const phone = leg.agentPhone;
  const media = {
    bridgedTo: leg.bridgedTo,
    bridged: leg.bridged,
    ...(phone
      ? { phone: dialogRecord({ outbound: phone.call, dialog: phone.dialog, bridgedTo: null, bridged: false }, layer) }
      : {}),
    ...(dialog?.localSdp ? { localSdp: dialog.localSdp } : {}),
    ...(dialog?.remoteSdp ? { remoteSdp: dialog.remoteSdp } : {}),
  };
  if (!inbound && !outbound && dialog && leg.restored) {
    const { localSeq, remoteSeq, remoteTarget } = dialog;
    return { ...leg.restored, localSeq, remoteSeq, remoteTarget, ...media };
  }
  if (inbound) {
    const rq = inbound.request;
    const remote = inbound.remote;
    return {
      v: VERSION,
      role: 'uas',
      answered: inbound.final && dialog !== undefined,
      callId: inbound.callId,
      localTag: inbound.localTag,
      remoteTag: String(rq.headers.from?.params.tag ?? ''),
      localUri: untagged(rq.headers.to),
      remoteUri: untagged(rq.headers.from),
      localContact: layer.contact(remote.protocol).uri,
      remoteTarget: dialog?.remoteTarget ?? rq.headers.contact?.[0]?.uri ?? rq.uri,
      routeSet: (dialog?.routeSet ?? rq.headers['record-route'] ?? []).map(copy),
      localSeq: dialog?.localSeq ?? 0,
      remoteSeq: dialog?.remoteSeq ?? rq.headers.cseq?.seq ?? 0,
      transport: remote.protocol,
      remoteAddress: `${remote.address}:${remote.port}`,
      ...media,
    };
  }
  if (!outbound) return undefined;
  const inv = outbound.invite;
  const tcp = /;transport=tcp/i.test(outbound.uri);
  const host = /^sips?:(?:[^@]*@)?([^;?]+)/i.exec(outbound.uri)?.[1] ?? '';
  const via = inv.headers.via?.[0];
  return {
    v: VERSION,
    role: 'uac',
    answered: dialog !== undefined,
    callId: outbound.callId,
    localTag: outbound.localTag,
    remoteTag: dialog?.remoteTag ?? '',
    localUri: untagged(inv.headers.from),
    remoteUri: untagged(dialog?.remoteUri ?? inv.headers.to),
    localContact: inv.headers.contact?.[0]?.uri ?? layer.contact(tcp ? 'TCP' : 'UDP').uri,
    remoteTarget: dialog?.remoteTarget ?? outbound.uri,
    routeSet: (dialog?.routeSet ?? []).map(copy),
    localSeq: dialog?.localSeq ?? inv.headers.cseq?.seq ?? 1,
    remoteSeq: dialog?.remoteSeq ?? 0,
    transport: tcp ? 'TCP' : 'UDP',
    remoteAddress: /:\d+$/.test(host) ? host : `${host}:5060`,
    invite: dialog
      ? undefined
      : {
          uri: inv.uri,
          ...(via?.params.branch ? { via: { ...via, params: { ...via.params } } } : {}),
          to: copy(inv.headers.to),
          from: copy(inv.headers.from),
          seq: inv.headers.cseq?.seq ?? 1,
          ...(inv.headers.route ? { route: inv.headers.route.map(copy) } : {}),
          provisional: outbound.provisional,
        },
    ...media,
  };
}

/** Whether stored leg data is a dialog record this version reads. */
export function isDialogRecord(data: unknown): data is SipDialogRecord {
  const r = data as Partial<SipDialogRecord> | null;
  return typeof r === 'object' && r !== null && r.v === VERSION && typeof r.callId === 'string';
}

/** What ending a restored dialog sent: a BYE, a CANCEL, or nothing (see the header). */
export type Ending = { sent: 'BYE' | 'CANCEL'; done: Promise<unknown> } | { sent: 'nothing' };

/** End a dialog a previous process (or a dead node) left, from its record, with `reason` (see the header). */
export function endRestored(layer: DialogLayer, record: SipDialogRecord, reason: ReasonCause): Ending {
  if (record.answered) return { sent: 'BYE', done: restoredDialog(layer, record).bye(reason) };
  const inv = record.invite;
  if (record.role === 'uac' && inv?.via) {
    const done = new Promise((resolve) => {
      layer.stack.sendRequest(
        {
          method: 'CANCEL',
          uri: inv.uri,
          headers: {
            via: [{ ...inv.via!, params: { ...inv.via!.params } }],
            to: copy(inv.to),
            from: copy(inv.from),
            'call-id': record.callId,
            cseq: { seq: inv.seq, method: 'CANCEL' },
            'max-forwards': 70,
            ...(inv.route ? { route: inv.route.map(copy) } : {}),
            reason: formatReason(reason),
          },
          content: '',
        },
        (rs) => {
          if (rs.status >= 200) resolve(rs.status);
        },
      );
    });
    return { sent: 'CANCEL', done };
  }
  return { sent: 'nothing' };
}

/** The confirmed dialog of a record, as the dialog layer's own (its next CSeq above any used before). */
export function restoredDialog(layer: DialogLayer, r: SipDialogRecord): Dialog {
  return new Dialog(layer, r.role, {
    callId: r.callId,
    localTag: r.localTag,
    remoteTag: r.remoteTag,
    localUri: copy(r.localUri),
    remoteUri: copy(r.remoteUri),
    localSeq: r.localSeq + CSEQ_MARGIN,
    remoteSeq: r.remoteSeq,
    routeSet: r.routeSet.map(copy),
    remoteTarget: r.remoteTarget,
    localSdp: r.localSdp,
    remoteSdp: r.remoteSdp,
  });
}

/**
 * The restored legs whose dialogs go on after a restart of the same node (same SIP address): pairs of confirmed
 * dialogs bridged to each other, the media of each far end going to the other's (RFC 3725), so nothing of the
 * dead process carried them. Every other leg, and every leg of a takeover (the far ends' requests go to the
 * dead node's address), is ended by `endRestoredLegs`.
 */
export function continuable(
  legs: readonly RestoredLeg[],
  how: 'restart' | 'takeover',
): Array<[SipDialogRecord, SipDialogRecord]> {
  if (how !== 'restart') return [];
  const byId = new Map<string, SipDialogRecord>();
  for (const leg of legs) if (isDialogRecord(leg.data)) byId.set(leg.callId, leg.data);
  const pairs: Array<[SipDialogRecord, SipDialogRecord]> = [];
  for (const [callId, a] of byId) {
    const b = a.bridgedTo === null ? undefined : byId.get(a.bridgedTo);
    const bridged = (r: SipDialogRecord) => r.answered && r.bridged && r.localSdp !== undefined && !r.phone;
    if (b && b.bridgedTo === callId && bridged(a) && bridged(b) && callId < a.bridgedTo!) pairs.push([a, b]);
  }
  return pairs;
}

/**
 * Asks a continued dialog's far end whether it is still there (an in-dialog OPTIONS, RFC 3261 11): one that
 * hung up while the node was down answers 481 (or nothing: 408), and the leg is hung up; any other answer keeps it.
 */
export function probe(layer: DialogLayer, dialog: Dialog): Promise<boolean> {
  return new Promise((resolve) => {
    layer.stack.sendRequest(dialog.request('OPTIONS'), (rs) => {
      if (rs.status < 200) return;
      const gone = rs.status === 481 || rs.status === 408;
      if (gone) dialog.end();
      resolve(!gone);
    });
  });
}

/** A continued leg's SIP facts for the inspector (`LiveCall.sip`), from its record. */
export function restoredFacts(r: SipDialogRecord): SipLegFacts {
  return { callId: r.callId, remoteUri: r.remoteUri.uri, remoteAddress: r.remoteAddress, transport: r.transport };
}

/** The cause a restored leg that cannot be continued ends with (Q.850 41, in the BYE or CANCEL and the callback). */
export const RESTART_CAUSE: EndCause = 'temporaryFailure';

/**
 * A restarted node's (or a taking-over node's) restored SIP legs: each dialog is ended from its record (see the
 * header) and each leg is cleared with `RESTART_CAUSE`, so it emits its terminal callback; `ending` is told of
 * each BYE or CANCEL in flight. Runs on a later macrotask (`later`), once the switchboard and its server are up.
 */
export function endRestoredLegs(
  legs: readonly RestoredLeg[],
  how: 'restart' | 'takeover',
  to: { layer: DialogLayer; engine: NetworkIndications; ending: (p: Promise<unknown>) => void },
): void {
  const reason = { cause: toQ850(RESTART_CAUSE) as number, text: how === 'restart' ? 'restarted' : 'taken over' };
  // Callers before the legs dialled for them: a caller's end ends its transfer, which releases the target (its
  // BYE or CANCEL is sent here all the same), so every leg emits one terminal callback with its transfer's cause.
  const ordered = [...legs.filter((l) => l.parent === null), ...legs.filter((l) => l.parent !== null)];
  for (const leg of ordered) {
    const ending = isDialogRecord(leg.data) ? endRestored(to.layer, leg.data, reason) : { sent: 'nothing' as const };
    if (ending.sent !== 'nothing') to.ending(ending.done);
    const phone =
      isDialogRecord(leg.data) && leg.data.phone ? endRestored(to.layer, leg.data.phone, reason) : undefined;
    if (phone && phone.sent !== 'nothing') to.ending(phone.done); // the agent's phone ends with the call
    const what = ending.sent === 'nothing' ? 'nothing could be sent' : `${ending.sent} sent`;
    const who = how === 'restart' ? 'the node restarted' : "another node took this node's calls over";
    to.engine.cleared(leg.callId, RESTART_CAUSE, `The SIP dialog could not be continued (${who}; ${what})`);
  }
}
