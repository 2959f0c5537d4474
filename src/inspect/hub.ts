/**
 * The inspector's hub: what the live inspector page shows, fed from the engine's inspection (XState's
 * inspect API) and the supervisor's callbacks. It keeps, for each call seen while recording, a bounded
 * timeline of machine steps and Bandwidth-format callbacks, and the last state of each of its actors; it
 * pushes every new entry to the connected pages.
 *
 * Recording: `on-demand` (the default) records only while at least one page is connected, so nothing is
 * attached to any actor while nobody watches; `always` records from the start (a page opened later shows
 * what happened before); `off` serves no inspector.
 */
import type { ActorState, BandwidthCallback, LiveCall, MachineStep, Switchboard } from '../index';
import type { SipLegFacts } from '../engine/network';

export type InspectorMode = 'on-demand' | 'always' | 'off';
export const INSPECTOR_MODES: readonly InspectorMode[] = ['on-demand', 'always', 'off'];

export type TimelineEntry =
  | ({ kind: 'step'; seq: number } & Omit<MachineStep, 'callIds'>)
  | { kind: 'callback'; seq: number; time: number; eventType: string; callId: string; payload: BandwidthCallback }
  | { kind: 'watching'; seq: number; time: number; actors: ActorState[] };

export interface InspectedCall {
  callId: string;
  direction?: string;
  from?: string;
  to?: string;
  parentCallId?: string;
  /** Live calls: whether the far end holds the call (its own re-INVITE). */
  remoteHold?: boolean;
  /** A SIP leg: its Call-ID, far end and transport (kept after the call ends). */
  sip?: SipLegFacts;
  /** The channel state now (live) or at the end. */
  state: string;
  startTime?: number;
  live: boolean;
  /** Engine-clock ms of the last entry. */
  updated: number;
}

export interface CallDetail {
  call: InspectedCall;
  /** Where each of the call's actors is (live actors now; ended ones as last seen). */
  actors: ActorState[];
  timeline: TimelineEntry[];
  /** Entries dropped from the front of the timeline (it keeps the last `maxEntries`). */
  dropped: number;
}

export type HubMessage =
  { type: 'entry'; callIds: string[]; entry: TimelineEntry } | { type: 'call'; call: InspectedCall };

interface Record_ {
  call: InspectedCall;
  actors: Map<string, ActorState>;
  timeline: TimelineEntry[];
  dropped: number;
}

export interface HubOptions {
  mode?: Exclude<InspectorMode, 'off'>;
  /** Calls kept (live ones are never dropped; the oldest ended ones go first). Default 200. */
  maxCalls?: number;
  /** Entries kept per call. Default 1000. */
  maxEntries?: number;
}

export class InspectorHub {
  readonly mode: Exclude<InspectorMode, 'off'>;
  private readonly records = new Map<string, Record_>();
  private readonly clients = new Set<(message: HubMessage) => void>();
  private stopWatching: (() => void) | null = null;
  private seq = 0;
  private readonly maxCalls: number;
  private readonly maxEntries: number;
  private readonly onCallback = (payload: BandwidthCallback) => this.callback(payload);

  constructor(
    private readonly sb: Switchboard,
    options: HubOptions = {},
  ) {
    this.mode = options.mode ?? 'on-demand';
    this.maxCalls = options.maxCalls ?? 200;
    this.maxEntries = options.maxEntries ?? 1000;
    if (this.mode === 'always') this.startRecording();
  }

  /** Whether steps and callbacks are being recorded now. */
  get recording(): boolean {
    return this.stopWatching !== null;
  }

  /** A page connected: it receives every new entry until it calls the returned function. */
  connect(send: (message: HubMessage) => void): () => void {
    this.clients.add(send);
    this.startRecording();
    return () => {
      if (!this.clients.delete(send)) return;
      if (this.clients.size === 0 && this.mode === 'on-demand') this.stopRecording();
    };
  }

  get connected(): number {
    return this.clients.size;
  }

  /** Live calls, then recorded ones, most recent first. */
  calls(): InspectedCall[] {
    const live = new Map(this.sb.inspection.liveCalls().map((c) => [c.callId, c]));
    const out = new Map<string, InspectedCall>();
    for (const c of live.values())
      out.set(c.callId, {
        ...this.records.get(c.callId)?.call,
        ...fromLive(c),
        live: true,
        updated: this.records.get(c.callId)?.call.updated ?? c.startTime,
      });
    for (const r of this.records.values())
      if (!out.has(r.call.callId)) out.set(r.call.callId, { ...r.call, live: false });
    return [...out.values()].sort((a, b) => (b.startTime ?? b.updated) - (a.startTime ?? a.updated));
  }

  /** One call: its actors and its timeline; undefined if the call is neither live nor recorded. */
  call(callId: string): CallDetail | undefined {
    const record = this.records.get(callId);
    const live = this.sb.inspection.liveCall(callId);
    if (!record && !live) return undefined;
    const actors = new Map<string, ActorState>(record?.actors);
    for (const a of this.sb.inspection.actorsOf(callId)) actors.set(a.actorId, a);
    const call: InspectedCall = live
      ? { ...record?.call, ...fromLive(live), live: true, updated: record?.call.updated ?? live.startTime }
      : { ...(record as Record_).call, live: false };
    return { call, actors: [...actors.values()], timeline: record?.timeline ?? [], dropped: record?.dropped ?? 0 };
  }

  /** Stop recording and forget every page (the server is closing). */
  close(): void {
    this.clients.clear();
    this.stopRecording();
  }

  private startRecording(): void {
    if (this.stopWatching) return;
    const stop = this.sb.inspection.watch((step) => this.step(step));
    this.sb.on('callback', this.onCallback);
    this.stopWatching = () => {
      stop();
      this.sb.off('callback', this.onCallback);
    };
    // Where every live call is at this moment: the first entry of each timeline recorded from now on.
    const now = this.sb.clock.now();
    for (const live of this.sb.inspection.liveCalls()) {
      const actors = this.sb.inspection.actorsOf(live.callId);
      const record = this.record(live.callId, now);
      for (const a of actors) record.actors.set(a.actorId, a);
      this.add([live.callId], { kind: 'watching', seq: ++this.seq, time: now, actors });
    }
  }

  private stopRecording(): void {
    this.stopWatching?.();
    this.stopWatching = null;
  }

  private step(step: MachineStep): void {
    const { callIds, ...rest } = step;
    const entry: TimelineEntry = { kind: 'step', seq: ++this.seq, ...rest };
    const state: ActorState = {
      machine: step.machine,
      actorId: step.actorId,
      callIds,
      value: step.value,
      active: step.active,
      status: step.status,
    };
    for (const callId of callIds) {
      const record = this.record(callId, step.time);
      record.actors.set(step.actorId, state);
      if (step.machine === 'channel' && step.actorId === callId && typeof step.value === 'string')
        record.call.state = step.value;
    }
    this.add(callIds, entry);
  }

  private callback(payload: BandwidthCallback): void {
    const time = Date.parse(payload.eventTime);
    const callIds = [payload.callId];
    if ('parentCallId' in payload && typeof payload.parentCallId === 'string') callIds.push(payload.parentCallId);
    for (const callId of callIds) this.record(callId, time);
    this.add(callIds, {
      kind: 'callback',
      seq: ++this.seq,
      time,
      eventType: payload.eventType,
      callId: payload.callId,
      payload,
    });
  }

  private record(callId: string, time: number): Record_ {
    let record = this.records.get(callId);
    if (!record) {
      const live = this.sb.inspection.liveCall(callId);
      // What changes during a live call (remoteHold) is read afresh from the engine, never kept in the record.
      const kept = live && (({ remoteHold: _now, ...rest }) => rest)(fromLive(live));
      record = {
        call: kept ? { ...kept, live: true, updated: time } : { callId, state: 'IDLE', live: false, updated: time },
        actors: new Map(),
        timeline: [],
        dropped: 0,
      };
      this.records.set(callId, record);
      this.prune();
    }
    return record;
  }

  /**
   * Each timeline is in time order, and in arrival order among entries at the same time. Steps arrive as the
   * actors take them; a callback arrives when the engine's turn ends (src/engine/turns.ts), so on a real clock
   * it can come after steps a millisecond later than its eventTime: it goes before them.
   */
  private add(callIds: string[], entry: TimelineEntry): void {
    for (const callId of callIds) {
      const record = this.records.get(callId) as Record_;
      let at = record.timeline.length;
      while (at > 0 && record.timeline[at - 1].time > entry.time) at--;
      record.timeline.splice(at, 0, entry);
      record.call.updated = Math.max(record.call.updated, entry.time);
      // A SIP leg's facts exist once the network has sent (or taken) its INVITE: kept for after the call.
      if (!record.call.sip) {
        const sip = this.sb.inspection.liveCall(callId)?.sip;
        if (sip) record.call.sip = sip;
      }
      if (record.timeline.length > this.maxEntries) {
        record.timeline.shift();
        record.dropped++;
      }
    }
    if (this.clients.size === 0) return;
    const message: HubMessage = { type: 'entry', callIds, entry };
    for (const send of [...this.clients]) send(message);
    for (const callId of callIds) {
      const call = this.records.get(callId)?.call as InspectedCall;
      for (const send of [...this.clients]) send({ type: 'call', call: { ...call, live: this.sb.hasCall(callId) } });
    }
  }

  /** Keep at most `maxCalls` records: drop the oldest ended calls. */
  private prune(): void {
    if (this.records.size <= this.maxCalls) return;
    for (const [callId, record] of this.records) {
      if (this.records.size <= this.maxCalls) return;
      if (!this.sb.hasCall(callId) && record) this.records.delete(callId);
    }
  }
}

function fromLive(c: LiveCall): Omit<InspectedCall, 'live' | 'updated'> {
  return {
    callId: c.callId,
    direction: c.direction,
    from: c.from,
    to: c.to,
    state: c.state,
    startTime: c.startTime,
    ...(c.parentCallId ? { parentCallId: c.parentCallId } : {}),
    remoteHold: c.remoteHold,
    ...(c.sip ? { sip: c.sip } : {}),
  };
}
