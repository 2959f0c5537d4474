// The SIP dialog layer (RFC 3261 12-15) over any SipStack: inbound and outbound INVITE, 2xx retransmission until
// ACK, ACK for 2xx, CANCEL (and the CANCEL/200 race), re-INVITE with 491 glare retry, BYE with a Q.850 Reason
// (RFC 3326), 481 for requests in no known dialog. Timers come from an injectable clock.
import { randomHex } from './randomHex';
import { realClock, type SipClock, type TimerHandle } from './clock';
import { makeResponse, type NameAddr, type Remote, type SipRequest, type SipResponse } from './message';
import { answerDirection, parseSdp, withDirection } from './sdp';
import type { SipStack } from './stack';

export interface DialogLayerOptions {
  stack: SipStack;
  clock?: SipClock;
  /** RFC 3261 T1 and T2 in ms (500 and 4000). */
  t1?: number;
  t2?: number;
  /** The clock of the 491 retry delay (a SIP network passes the engine's); default `clock`. */
  retryClock?: SipClock;
  /** Random source in [0,1) for tags and the 491 retry delay. */
  random?: () => number;
  /** User part of our Contact. */
  user?: string;
}

/** A Q.850 cause carried in a Reason header. */
export interface ReasonCause {
  cause: number;
  text?: string;
}

export type UacOutcome =
  | { kind: 'answered'; dialog: Dialog; response: SipResponse }
  | { kind: 'failed'; status: number; reason: string; response: SipResponse }
  /** We cancelled; `crossed` when a 200 crossed the CANCEL (we ACKed and BYEd it). */
  | { kind: 'cancelled'; crossed: boolean };

export interface InviteOptions {
  /** Request-URI; `;transport=tcp` selects TCP. */
  uri: string;
  from?: string;
  to?: string;
  sdp?: string;
  headers?: Record<string, string>;
  /** Each provisional response (101-199), with its SDP when it has one (early media). */
  onProvisional?: (status: number, sdp: string | undefined, response: SipResponse) => void;
}

export interface ReinviteResult {
  status: number;
  /** The final response's reason phrase (absent when no response came). */
  reason?: string;
  sdp?: string;
}

const tag = (random: () => number) => Math.floor(random() * 2 ** 48).toString(36) + randomHex(3);

export function parseReason(value: unknown): ReasonCause | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /Q\.850\s*;\s*cause\s*=\s*(\d+)(?:.*?;\s*text\s*=\s*"([^"]*)")?/i.exec(value);
  if (!m) return undefined;
  return m[2] === undefined ? { cause: Number(m[1]) } : { cause: Number(m[1]), text: m[2] };
}

export function formatReason(r: ReasonCause): string {
  return `Q.850;cause=${r.cause}` + (r.text ? `;text="${r.text.replace(/"/g, "'")}"` : '');
}

/**
 * An ACK for a 2xx with a top Via of its own, made once per INVITE: every retransmission of that 2xx gets the very
 * same ACK (RFC 3261 13.2.2.4), which a peer recognises as a retransmission. `send` gets a fresh copy each time
 * (the stack may rewrite the Via's host and the route set of what it sends).
 */
function fixedAck(ack: SipRequest): () => SipRequest {
  ack.headers.via = [{ protocol: 'UDP', host: '', params: { branch: `z9hG4bK${randomHex(6)}` } }];
  return () => ({
    ...ack,
    headers: {
      ...ack.headers,
      via: ack.headers.via!.map((v) => ({ ...v, params: { ...v.params } })),
      ...(ack.headers.route ? { route: ack.headers.route.map((r) => ({ ...r, params: { ...r.params } })) } : {}),
    },
  });
}

function sdpOf(m: SipRequest | SipResponse): string | undefined {
  return m.content && m.content.length > 0 ? m.content : undefined;
}

/** Retransmits a 2xx with T1 doubling up to T2 until stopped; gives up after 64*T1 (RFC 3261 13.3.1.4). */
class Retransmitter {
  private timer: TimerHandle | undefined;
  private giveUp: TimerHandle | undefined;
  constructor(
    private readonly layer: DialogLayer,
    private readonly send: () => void,
    onTimeout: () => void,
  ) {
    const { clock, t1, t2 } = layer;
    const step = (interval: number) => {
      this.timer = clock.setTimeout(() => {
        send();
        step(Math.min(interval * 2, t2));
      }, interval);
    };
    send();
    step(t1);
    this.giveUp = clock.setTimeout(() => {
      this.stop();
      onTimeout();
    }, 64 * t1);
  }
  stop(): void {
    this.layer.clock.clearTimeout(this.timer);
    this.layer.clock.clearTimeout(this.giveUp);
  }
}

type DialogEvents = {
  /** The far end sent BYE (with its Reason cause when it had one). */
  bye: (reason: ReasonCause | undefined) => void;
  /** The far end changed the session with a re-INVITE (its SDP). */
  modified: (remoteSdp: string | undefined) => void;
};

/** A confirmed dialog (RFC 3261 12): identifiers, CSeq numbering, route set and remote target. */
export class Dialog {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  localSeq: number;
  remoteSeq: number;
  readonly routeSet: NameAddr[];
  remoteTarget: string;
  localSdp: string | undefined;
  remoteSdp: string | undefined;
  state: 'confirmed' | 'terminated' = 'confirmed';
  /**
   * Answers a far-end re-INVITE's offer (throwing gets 488). By default: our current SDP with the direction the
   * offer asks for (hold: sendonly → recvonly, RFC 3264 6.1); an offer that does not parse gets 488.
   */
  onReinvite: (offer: string | undefined) => string | undefined | Promise<string | undefined> = (offer) =>
    offer === undefined || this.localSdp === undefined
      ? this.localSdp
      : withDirection(this.localSdp, answerDirection(parseSdp(offer).direction));
  private listeners: { [K in keyof DialogEvents]: DialogEvents[K][] } = { bye: [], modified: [] };
  /** Our re-INVITE's transaction is outstanding (a far-end re-INVITE meanwhile gets 491). */
  private pendingOut = false;
  /** reinvite() has not resolved yet (it may be waiting to retry after a 491). */
  private reinviting = false;
  private retryTimer: TimerHandle | undefined;
  /** Ends a reinvite() waiting to retry after a 491 (the dialog ended meanwhile). */
  private retryAbort: (() => void) | undefined;
  private pendingIn = false;
  private retransmit: Retransmitter | undefined;
  private pendingAck: ((ack: SipRequest) => void) | undefined;
  /** Our BYE, held until our outstanding re-INVITE has its final response (and its 2xx its ACK). */
  private byeAfterReinvite: (() => void) | undefined;

  constructor(
    private readonly layer: DialogLayer,
    readonly role: 'uac' | 'uas',
    init: {
      callId: string;
      localTag: string;
      remoteTag: string;
      localUri: NameAddr;
      remoteUri: NameAddr;
      localSeq: number;
      remoteSeq: number;
      routeSet: NameAddr[];
      remoteTarget: string;
      localSdp?: string;
      remoteSdp?: string;
    },
  ) {
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.routeSet = init.routeSet;
    this.remoteTarget = init.remoteTarget;
    this.localSdp = init.localSdp;
    this.remoteSdp = init.remoteSdp;
  }
  /** Our From/To (with no tag) and the far end's (dialogRecords.ts stores them). */
  readonly localUri: NameAddr;
  readonly remoteUri: NameAddr;

  get id(): string {
    return `${this.callId};${this.localTag};${this.remoteTag}`;
  }

  on<K extends keyof DialogEvents>(event: K, fn: DialogEvents[K]): this {
    this.listeners[event].push(fn);
    return this;
  }

  private emit<K extends keyof DialogEvents>(event: K, ...args: Parameters<DialogEvents[K]>): void {
    for (const fn of this.listeners[event]) (fn as (...a: Parameters<DialogEvents[K]>) => void)(...args);
  }

  /** A new in-dialog request (RFC 3261 12.2.1.1); ACK reuses the INVITE's CSeq number. */
  request(
    method: string,
    extra: { content?: string; headers?: Record<string, unknown>; seq?: number } = {},
  ): SipRequest {
    const seq = extra.seq ?? ++this.localSeq;
    return {
      method,
      uri: this.remoteTarget,
      headers: {
        to: { uri: this.remoteUri.uri, params: { tag: this.remoteTag } },
        from: { uri: this.localUri.uri, params: { tag: this.localTag } },
        'call-id': this.callId,
        cseq: { seq, method },
        'max-forwards': 70,
        ...(this.routeSet.length > 0 ? { route: this.routeSet.map((r) => ({ ...r, params: { ...r.params } })) } : {}),
        contact: [this.layer.contact()],
        ...(extra.content ? { 'content-type': 'application/sdp' } : {}),
        ...extra.headers,
      },
      content: extra.content ?? '',
    };
  }

  /**
   * Sends BYE with `Reason: Q.850;cause=N` and ends the dialog; resolves with the BYE's final status. While a
   * re-INVITE of ours is outstanding, the BYE waits for its final response (a 2xx is ACKed first), so the far end
   * never gets a BYE between its 200 and our ACK (RFC 5407 3.1; a peer may count that as a broken call).
   */
  bye(reason?: ReasonCause): Promise<number> {
    if (this.state === 'terminated') return Promise.resolve(0);
    this.end();
    const rq = this.request('BYE', reason ? { headers: { reason: formatReason(reason) } } : {});
    return new Promise((resolve) => {
      const send = () =>
        this.layer.stack.sendRequest(rq, (rs) => {
          if (rs.status >= 200) resolve(rs.status);
        });
      if (this.pendingOut) this.byeAfterReinvite = send;
      else send();
    });
  }

  /**
   * Sends a re-INVITE with `sdp` (hold: a=sendonly or inactive; unhold: sendrecv). On 491 it retries after the
   * RFC 3261 14.1 delay (2.1-4 s if we own the Call-ID, else 0-2 s), at most `retries` times. A failure leaves the
   * dialog up; a 481 or 408 ends it (RFC 3261 14.1).
   */
  reinvite(sdp: string, retries = 3): Promise<ReinviteResult> {
    if (this.state === 'terminated') return Promise.reject(new Error('dialog terminated'));
    if (this.reinviting || this.pendingIn) return Promise.reject(new Error('a re-INVITE is already in progress'));
    this.reinviting = true;
    return new Promise((resolve) => {
      const done = (r: ReinviteResult) => {
        this.pendingOut = false;
        this.reinviting = false;
        const bye = this.byeAfterReinvite;
        this.byeAfterReinvite = undefined;
        bye?.();
        resolve(r);
      };
      const attempt = (left: number) => {
        this.retryTimer = undefined;
        this.retryAbort = undefined;
        // The dialog ended while we waited to retry after a 491.
        if (this.state === 'terminated') return done({ status: 481 });
        this.pendingOut = true;
        const rq = this.request('INVITE', { content: sdp });
        let ack: (() => SipRequest) | undefined;
        this.layer.stack.sendRequest(rq, (rs) => {
          if (rs.status < 200) return;
          if (rs.status < 300) {
            if (ack) return this.layer.stack.sendRequest(ack()); // a retransmitted 2xx: the same ACK again
            ack = fixedAck(this.request('ACK', { seq: rq.headers.cseq?.seq }));
            this.layer.stack.sendRequest(ack());
            this.refreshTarget(rs);
            this.localSdp = sdp;
            this.remoteSdp = sdpOf(rs) ?? this.remoteSdp;
            done({ status: rs.status, sdp: sdpOf(rs) });
          } else if (rs.status === 491 && left > 0 && this.state === 'confirmed') {
            // No INVITE of ours is outstanding while we wait, so the far end's re-INVITE is answered meanwhile.
            this.pendingOut = false;
            const r = this.layer.random();
            const delay = this.role === 'uac' ? 2100 + Math.floor(r * 191) * 10 : Math.floor(r * 201) * 10;
            this.retryTimer = this.layer.retryClock.setTimeout(() => attempt(left - 1), delay);
            this.retryAbort = () => done({ status: 481 });
          } else {
            if (rs.status === 481 || rs.status === 408) {
              this.end();
              this.emit('bye', undefined);
            }
            done({ status: rs.status, reason: rs.reason });
          }
        });
      };
      attempt(retries);
    });
  }

  private refreshTarget(m: SipRequest | SipResponse): void {
    const contact = m.headers.contact?.[0];
    if (contact?.uri) this.remoteTarget = contact.uri;
  }

  /** Starts retransmitting a 2xx we sent until its ACK arrives (initial INVITE or re-INVITE). */
  awaitAck(rs: SipResponse, onAck: (ack: SipRequest) => void, onTimeout: () => void): void {
    this.retransmit?.stop();
    this.pendingAck = (ack) => {
      this.retransmit?.stop();
      this.retransmit = undefined;
      this.pendingAck = undefined;
      onAck(ack);
    };
    this.retransmit = new Retransmitter(
      this.layer,
      () => this.layer.stack.sendResponse(rs),
      () => {
        this.retransmit = undefined;
        this.pendingAck = undefined;
        onTimeout();
      },
    );
  }

  /** An in-dialog request from the far end. */
  async handle(rq: SipRequest): Promise<void> {
    const stack = this.layer.stack;
    const seq = rq.headers.cseq?.seq ?? 0;
    if (rq.method === 'ACK') {
      this.pendingAck?.(rq);
      return;
    }
    if (seq <= this.remoteSeq && rq.method !== 'CANCEL') {
      stack.sendResponse(makeResponse(rq, 500, 'Server Internal Error'));
      return;
    }
    this.remoteSeq = seq;
    if (rq.method === 'BYE') {
      stack.sendResponse(makeResponse(rq, 200, 'OK'));
      this.end();
      this.emit('bye', parseReason(rq.headers.reason));
    } else if (rq.method === 'INVITE') {
      if (this.pendingOut) {
        stack.sendResponse(makeResponse(rq, 491, 'Request Pending'));
        return;
      }
      if (this.pendingIn) {
        stack.sendResponse(makeResponse(rq, 500, 'Server Internal Error', { headers: { 'retry-after': '1' } }));
        return;
      }
      this.pendingIn = true;
      const offer = sdpOf(rq);
      let answer: string | undefined;
      try {
        answer = await this.onReinvite(offer);
      } catch {
        this.pendingIn = false;
        stack.sendResponse(makeResponse(rq, 488, 'Not Acceptable Here'));
        return;
      }
      this.refreshTarget(rq);
      this.remoteSdp = offer ?? this.remoteSdp;
      if (answer !== undefined) this.localSdp = answer;
      const rs = this.layer.okResponse(rq, this.localTag, answer);
      this.awaitAck(
        rs,
        () => {
          this.pendingIn = false;
        },
        () => {
          this.pendingIn = false;
          void this.bye({ cause: 41, text: 'no ACK' });
          this.emit('bye', undefined);
        },
      );
      this.emit('modified', offer);
    } else if (rq.method === 'INFO' || rq.method === 'UPDATE' || rq.method === 'OPTIONS') {
      stack.sendResponse(makeResponse(rq, 200, 'OK'));
    } else {
      stack.sendResponse(notSupported(rq));
    }
  }

  /** Marks the dialog terminated and forgets it (no message sent). */
  end(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    if (this.retryTimer !== undefined) this.layer.retryClock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryAbort?.();
    this.retryAbort = undefined;
    this.retransmit?.stop();
    this.retransmit = undefined;
    this.layer.forget(this);
  }
}

/** An inbound INVITE before it is answered (RFC 3261 13.3): ring, answer, reject; the caller may CANCEL. */
export class InboundCall {
  readonly localTag: string;
  readonly callId: string;
  readonly offer: string | undefined;
  final = false;
  /** Called when the caller CANCELs before our final response (we already sent 200 + 487). */
  onCancel: (reason: ReasonCause | undefined) => void = () => {};

  constructor(
    private readonly layer: DialogLayer,
    readonly request: SipRequest,
    readonly remote: Remote,
  ) {
    this.localTag = tag(layer.random);
    this.callId = request.headers['call-id'] ?? '';
    this.offer = sdpOf(request);
    layer.stack.sendResponse(makeResponse(request, 100, 'Trying'));
  }

  private response(status: number, reason: string, sdp?: string, headers: Record<string, unknown> = {}): SipResponse {
    const rq = this.request;
    const to = { ...rq.headers.to!, params: { ...rq.headers.to!.params, tag: this.localTag } };
    return makeResponse(rq, status, reason, {
      headers: {
        to,
        contact: [this.layer.contact(this.remote.protocol)],
        ...(rq.headers['record-route'] ? { 'record-route': rq.headers['record-route'] } : {}),
        ...(sdp ? { 'content-type': 'application/sdp' } : {}),
        ...headers,
      },
      content: sdp ?? '',
    });
  }

  /** 180 Ringing, or 183 Session Progress with early-media SDP. */
  progress(status: 180 | 183 = 180, sdp?: string): void {
    if (this.final) throw new Error('final response already sent');
    this.layer.stack.sendResponse(this.response(status, status === 180 ? 'Ringing' : 'Session Progress', sdp));
  }

  /** 200 with our SDP, retransmitted until ACK; resolves with the dialog on ACK, rejects after 64*T1 (BYE sent). */
  answer(sdp: string): Promise<Dialog> {
    if (this.final) return Promise.reject(new Error('final response already sent'));
    this.final = true;
    const rq = this.request;
    const rs = this.response(200, 'OK', sdp);
    const dialog = new Dialog(this.layer, 'uas', {
      callId: this.callId,
      localTag: this.localTag,
      remoteTag: String(rq.headers.from?.params.tag ?? ''),
      localUri: rq.headers.to!,
      remoteUri: rq.headers.from!,
      localSeq: Math.floor(this.layer.random() * 10000),
      remoteSeq: rq.headers.cseq?.seq ?? 0,
      routeSet: (rq.headers['record-route'] ?? []).map((r) => ({ ...r })),
      remoteTarget: rq.headers.contact?.[0]?.uri ?? rq.uri,
      localSdp: sdp,
      remoteSdp: this.offer,
    });
    this.layer.remember(dialog);
    this.layer.settleInvite(this);
    return new Promise((resolve, reject) => {
      dialog.awaitAck(
        rs,
        () => resolve(dialog),
        () => {
          void dialog.bye({ cause: 41, text: 'no ACK' });
          reject(new Error('no ACK for 200 after 64*T1'));
        },
      );
    });
  }

  /** A final 3xx-6xx response. */
  reject(status: number, reason = 'Rejected', headers: Record<string, unknown> = {}): void {
    if (this.final) throw new Error('final response already sent');
    if (status < 300 || status > 699) throw new Error(`not a rejection status: ${status}`);
    this.final = true;
    this.layer.settleInvite(this);
    this.layer.stack.sendResponse(this.response(status, reason, undefined, headers));
  }

  /** The caller's CANCEL (matched on Call-ID and top Via branch); after our final response it changes nothing. */
  cancelled(cancel: SipRequest): void {
    // The To tag is the one of our responses to the INVITE (RFC 3261 9.2).
    const to = { ...cancel.headers.to!, params: { ...cancel.headers.to?.params, tag: this.localTag } };
    this.layer.stack.sendResponse(makeResponse(cancel, 200, 'OK', { headers: { to } }));
    if (this.final) return;
    this.final = true;
    this.layer.settleInvite(this);
    this.layer.stack.sendResponse(this.response(487, 'Request Terminated'));
    this.onCancel(parseReason(cancel.headers.reason));
  }
}

/** An outbound INVITE (RFC 3261 13.2): provisional responses, the final outcome (once), CANCEL on request. */
export class OutboundCall {
  readonly callId: string;
  readonly localTag: string;
  readonly outcome: Promise<UacOutcome>;
  private settle!: (o: UacOutcome) => void;
  private settled = false;
  private cancelRequested: ReasonCause | null | undefined;
  private cancelSent = false;
  /** A provisional response has arrived (a CANCEL may be sent). */
  provisional = false;
  /** The INVITE as sent (the stack fills in its Via): a CANCEL copies it (dialogRecords.ts stores it). */
  readonly invite: SipRequest;
  /** The Request-URI of the INVITE. */
  readonly uri: string;
  private readonly acks = new Map<string, () => SipRequest>();

  constructor(
    private readonly layer: DialogLayer,
    private readonly options: InviteOptions,
  ) {
    this.uri = options.uri;
    this.callId = `${tag(layer.random)}@${layer.stack.host}`;
    this.localTag = tag(layer.random);
    this.outcome = new Promise((resolve) => (this.settle = resolve));
    const tcp = /;transport=tcp/i.test(options.uri);
    this.invite = {
      method: 'INVITE',
      uri: options.uri,
      headers: {
        to: { uri: options.to ?? options.uri.replace(/;.*$/, ''), params: {} },
        from: {
          uri: options.from ?? `sip:${layer.user}@${layer.stack.host}:${layer.stack.port}`,
          params: { tag: this.localTag },
        },
        'call-id': this.callId,
        cseq: { seq: 1, method: 'INVITE' },
        'max-forwards': 70,
        contact: [layer.contact(tcp ? 'TCP' : 'UDP')],
        ...(options.sdp ? { 'content-type': 'application/sdp' } : {}),
        ...options.headers,
      },
      content: options.sdp ?? '',
    };
    layer.stack.sendRequest(this.invite, (rs) => this.onResponse(rs));
  }

  private finish(o: UacOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(o);
  }

  private onResponse(rs: SipResponse): void {
    if (rs.status < 200) {
      this.provisional = true; // before the callback: what it does next may store it (dialogRecords.ts)
      if (rs.status > 100) this.options.onProvisional?.(rs.status, sdpOf(rs), rs);
      if (this.cancelRequested !== undefined) this.sendCancel();
      return;
    }
    if (rs.status < 300) return this.onSuccess(rs);
    this.finish(
      this.cancelRequested !== undefined
        ? { kind: 'cancelled', crossed: false }
        : { kind: 'failed', status: rs.status, reason: rs.reason, response: rs },
    );
  }

  private onSuccess(rs: SipResponse): void {
    const remoteTag = String(rs.headers.to?.params.tag ?? '');
    const known = this.acks.get(remoteTag);
    if (known) {
      this.layer.stack.sendRequest(known()); // a retransmitted 2xx: the same ACK again
      return;
    }
    const dialog = new Dialog(this.layer, 'uac', {
      callId: this.callId,
      localTag: this.localTag,
      remoteTag,
      localUri: this.invite.headers.from!,
      remoteUri: rs.headers.to!,
      localSeq: 1,
      remoteSeq: 0,
      routeSet: [...(rs.headers['record-route'] ?? [])].reverse(),
      remoteTarget: rs.headers.contact?.[0]?.uri ?? this.options.uri,
      localSdp: this.options.sdp,
      remoteSdp: sdpOf(rs),
    });
    const ack = fixedAck(dialog.request('ACK', { seq: 1 }));
    this.acks.set(remoteTag, ack);
    this.layer.stack.sendRequest(ack());
    if (this.settled || this.cancelRequested !== undefined) {
      // The 200 crossed our CANCEL (or is a second fork): confirm it, then end it.
      void dialog.bye({ cause: 16, text: 'cancelled' });
      this.finish({ kind: 'cancelled', crossed: true });
      return;
    }
    this.layer.remember(dialog);
    this.finish({ kind: 'answered', dialog, response: rs });
  }

  /** CANCELs the INVITE (sent when the first provisional response has arrived, RFC 3261 9.1). */
  cancel(reason?: ReasonCause): void {
    if (this.settled || this.cancelRequested !== undefined) return;
    this.cancelRequested = reason ?? null;
    if (this.provisional) this.sendCancel();
  }

  private sendCancel(): void {
    if (this.cancelSent) return;
    this.cancelSent = true;
    const inv = this.invite;
    const reason = this.cancelRequested ? { reason: formatReason(this.cancelRequested) } : {};
    this.layer.stack.sendRequest(
      {
        method: 'CANCEL',
        uri: inv.uri,
        headers: {
          via: inv.headers.via?.slice(0, 1),
          to: inv.headers.to,
          from: inv.headers.from,
          'call-id': inv.headers['call-id'],
          cseq: { seq: inv.headers.cseq!.seq, method: 'CANCEL' },
          'max-forwards': 70,
          ...(inv.headers.route ? { route: inv.headers.route } : {}),
          ...reason,
        },
        content: '',
      },
      () => {},
    );
  }
}

/** The user agent: inbound calls to `onInvite`, outbound calls with `invite()`, dialogs matched by id. */
export class DialogLayer {
  readonly stack: SipStack;
  readonly clock: SipClock;
  readonly retryClock: SipClock;
  readonly t1: number;
  readonly t2: number;
  readonly random: () => number;
  readonly user: string;
  private readonly dialogs = new Map<string, Dialog>();
  private readonly invites = new Map<string, InboundCall>();
  /** INVITE transactions (Call-ID;branch) answered or rejected in the last 64*T1. */
  private readonly answered = new Map<string, { timer: TimerHandle; call: InboundCall }>();
  private inviteHandler: ((call: InboundCall) => void) | undefined;
  /** The branch of each initial INVITE by Call-ID, From tag and CSeq, until it is forgotten (RFC 3261 8.2.2.2). */
  private readonly branches = new Map<string, string>();

  constructor(options: DialogLayerOptions) {
    this.stack = options.stack;
    this.clock = options.clock ?? realClock;
    this.retryClock = options.retryClock ?? this.clock;
    this.t1 = options.t1 ?? 500;
    this.t2 = options.t2 ?? 4000;
    this.random = options.random ?? Math.random;
    this.user = options.user ?? 'switchboard';
    this.stack.onRequest((rq, remote) => this.onRequest(rq, remote));
  }

  /** Dialogs currently confirmed. */
  get dialogCount(): number {
    return this.dialogs.size;
  }

  /** Inbound INVITEs not yet answered or rejected. */
  get pendingInvites(): number {
    return this.invites.size;
  }

  onInvite(handler: (call: InboundCall) => void): void {
    this.inviteHandler = handler;
  }

  invite(options: InviteOptions): OutboundCall {
    return new OutboundCall(this, options);
  }

  contact(protocol: 'UDP' | 'TCP' = 'UDP'): NameAddr {
    const t = protocol === 'TCP' ? ';transport=tcp' : '';
    return { uri: `sip:${this.user}@${this.stack.host}:${this.stack.port}${t}`, params: {} };
  }

  okResponse(rq: SipRequest, localTag: string, sdp: string | undefined): SipResponse {
    const tcp = /;transport=tcp/i.test(rq.headers.contact?.[0]?.uri ?? '');
    return makeResponse(rq, 200, 'OK', {
      headers: {
        to: { ...rq.headers.to!, params: { ...rq.headers.to!.params, tag: localTag } },
        contact: [this.contact(tcp ? 'TCP' : 'UDP')],
        ...(sdp ? { 'content-type': 'application/sdp' } : {}),
      },
      content: sdp ?? '',
    });
  }

  remember(d: Dialog): void {
    this.dialogs.set(d.id, d);
  }

  forget(d: Dialog): void {
    this.dialogs.delete(d.id);
  }

  /**
   * The INVITE got its final response. Its transaction is remembered for 64*T1 more (as RFC 6026's Accepted and
   * Completed states), so a CANCEL that crosses the final response still gets 200 and changes nothing.
   */
  settleInvite(call: InboundCall): void {
    for (const [k, v] of this.invites) {
      if (v !== call) continue;
      this.invites.delete(k);
      const timer = this.clock.setTimeout(() => {
        this.answered.delete(k);
        this.branches.delete(mergeKey(call.request));
      }, 64 * this.t1);
      this.answered.set(k, { timer, call });
    }
  }

  private onRequest(rq: SipRequest, remote: Remote): void {
    const callId = rq.headers['call-id'] ?? '';
    const toTag = rq.headers.to?.params.tag;
    const fromTag = rq.headers.from?.params.tag;
    const branch = rq.headers.via?.[0]?.params.branch ?? '';
    if (rq.method === 'CANCEL') {
      const call = this.invites.get(`${callId};${branch}`);
      if (call) call.cancelled(rq);
      else if (this.answered.has(`${callId};${branch}`)) this.answered.get(`${callId};${branch}`)!.call.cancelled(rq);
      else this.stack.sendResponse(makeResponse(rq, 481, 'Call/Transaction Does Not Exist'));
      return;
    }
    if (toTag) {
      const dialog = this.dialogs.get(`${callId};${toTag};${fromTag}`);
      if (dialog) {
        void dialog.handle(rq);
      } else if (rq.method !== 'ACK') {
        this.stack.sendResponse(makeResponse(rq, 481, 'Call/Transaction Does Not Exist'));
      }
      return;
    }
    if (rq.method === 'INVITE') {
      if (!this.inviteHandler) {
        this.stack.sendResponse(makeResponse(rq, 480, 'Temporarily Unavailable'));
        return;
      }
      // The same INVITE on another branch (forked back to us by a proxy) is a merged request: 482, no second call.
      const first = this.branches.get(mergeKey(rq));
      if (first !== undefined && first !== branch) {
        this.stack.sendResponse(makeResponse(rq, 482, 'Loop Detected'));
        return;
      }
      this.branches.set(mergeKey(rq), branch);
      const call = new InboundCall(this, rq, remote);
      this.invites.set(`${callId};${branch}`, call);
      this.inviteHandler(call);
    } else if (rq.method === 'OPTIONS') {
      this.stack.sendResponse(makeResponse(rq, 200, 'OK', { headers: { allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS' } }));
    } else if (rq.method === 'BYE') {
      this.stack.sendResponse(makeResponse(rq, 481, 'Call/Transaction Does Not Exist'));
    } else if (rq.method !== 'ACK') {
      this.stack.sendResponse(notSupported(rq));
    }
  }

  /** Forgets every dialog (no BYE), stops every timer, closes the stack's sockets. */
  async close(): Promise<void> {
    for (const d of [...this.dialogs.values()]) d.end();
    this.invites.clear();
    for (const { timer } of this.answered.values()) this.clock.clearTimeout(timer);
    this.answered.clear();
    this.branches.clear();
    await this.stack.close();
  }
}

/** What makes two initial INVITEs the same request (RFC 3261 8.2.2.2): Call-ID, From tag and CSeq. */
function mergeKey(rq: SipRequest): string {
  return `${rq.headers['call-id']};${rq.headers.from?.params.tag};${rq.headers.cseq?.seq}`;
}

/** Methods defined by RFC 3261 and its extensions that we know but do not take (405); any other is 501. */
const KNOWN_METHODS = ['REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE'];

/** 405 Method Not Allowed (with Allow) for a known method; 501 Not Implemented for one we do not know (8.2.1). */
function notSupported(rq: SipRequest): SipResponse {
  const allow = { headers: { allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS' } };
  return KNOWN_METHODS.includes(rq.method)
    ? makeResponse(rq, 405, 'Method Not Allowed', allow)
    : makeResponse(rq, 501, 'Not Implemented', allow);
}
