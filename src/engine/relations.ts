/**
 * The relations between the engine's live records, held as ids in one registry (no record points at another):
 * which transfer or consult each leg belongs to (a leg's call id → the transfer's registry id), which agent call
 * shows each leg on a desk (leg call id ↔ agent call id), and which consult each agent call is part of, as its
 * caller's call (C1, side `parent`) or its consult call (C2, side `consult`). The one place a relation is set
 * or cleared; a record that ends leaves every relation it had (`forgetLeg`, `forgetCall`, `forgetTransfer`).
 * The store writes these ids as they are and a restarted node sets them back (durable.ts).
 */

/** An agent call's side of its consult: the caller's call (C1) or the consult call (C2). */
export type ConsultSide = 'parent' | 'consult';

export class Relations {
  private readonly transferOfLeg = new Map<string, string>();
  private readonly legsOfTransfer = new Map<string, Set<string>>();
  private readonly callOfLeg = new Map<string, string>();
  private readonly legOfCall = new Map<string, string>();
  private readonly consultOfCall = new Map<string, { consult: string; side: ConsultSide }>();
  private readonly callsOfConsult = new Map<string, Partial<Record<ConsultSide, string>>>();

  // ---- leg → transfer ----

  /** The registry id of the transfer the leg belongs to, if any. */
  transferOf(legId: string): string | undefined {
    return this.transferOfLeg.get(legId);
  }

  /** The leg belongs to this transfer from now on (leaving any transfer it belonged to). */
  joinTransfer(legId: string, transferId: string): void {
    this.leaveTransfer(legId);
    this.transferOfLeg.set(legId, transferId);
    let legs = this.legsOfTransfer.get(transferId);
    if (!legs) this.legsOfTransfer.set(transferId, (legs = new Set()));
    legs.add(legId);
  }

  /** The leg belongs to no transfer any more; with `only`, just if it belonged to that one. */
  leaveTransfer(legId: string, only?: string): void {
    const transferId = this.transferOfLeg.get(legId);
    if (transferId === undefined || (only !== undefined && only !== transferId)) return;
    this.transferOfLeg.delete(legId);
    const legs = this.legsOfTransfer.get(transferId) as Set<string>;
    legs.delete(legId);
    if (legs.size === 0) this.legsOfTransfer.delete(transferId);
  }

  // ---- leg ↔ agent call ----

  /** The agent call that shows the leg on a desk, if any. */
  callOf(legId: string): string | undefined {
    return this.callOfLeg.get(legId);
  }

  /** The leg the agent call shows, while it does. */
  legOf(callId: string): string | undefined {
    return this.legOfCall.get(callId);
  }

  /** The agent call shows the leg from now on (each of them shows, or is shown by, nothing else). */
  show(legId: string, callId: string): void {
    this.unshowLeg(legId);
    this.unshowCall(callId);
    this.callOfLeg.set(legId, callId);
    this.legOfCall.set(callId, legId);
  }

  // ---- agent call → consult ----

  /** The consult the agent call is part of, if any. */
  consultOf(callId: string): string | undefined {
    return this.consultOfCall.get(callId)?.consult;
  }

  /** The consult's agent call on that side, if any. */
  callIn(consultId: string, side: ConsultSide): string | undefined {
    return this.callsOfConsult.get(consultId)?.[side];
  }

  /** The agent call is the consult's call on that side from now on (leaving any consult it was part of). */
  joinConsult(callId: string, consultId: string, side: ConsultSide): void {
    this.leaveConsult(callId);
    const previous = this.callIn(consultId, side);
    if (previous !== undefined) this.leaveConsult(previous);
    this.consultOfCall.set(callId, { consult: consultId, side });
    const calls = this.callsOfConsult.get(consultId) ?? {};
    calls[side] = callId;
    this.callsOfConsult.set(consultId, calls);
  }

  /** The agent call is part of no consult any more. */
  leaveConsult(callId: string): void {
    const entry = this.consultOfCall.get(callId);
    if (!entry) return;
    this.consultOfCall.delete(callId);
    const calls = this.callsOfConsult.get(entry.consult) as Partial<Record<ConsultSide, string>>;
    delete calls[entry.side];
    if (calls.parent === undefined && calls.consult === undefined) this.callsOfConsult.delete(entry.consult);
  }

  // ---- a record ends ----

  /** A leg has ended: it belongs to no transfer and no agent call shows it. */
  forgetLeg(legId: string): void {
    this.leaveTransfer(legId);
    this.unshowLeg(legId);
  }

  /** An agent call has left the desk: it shows no leg and is part of no consult. */
  forgetCall(callId: string): void {
    this.unshowCall(callId);
    this.leaveConsult(callId);
  }

  /** A transfer or consult has finished: no leg belongs to it, no agent call is part of it. */
  forgetTransfer(transferId: string): void {
    for (const legId of [...(this.legsOfTransfer.get(transferId) ?? [])]) this.leaveTransfer(legId);
    const calls = this.callsOfConsult.get(transferId);
    if (calls?.parent !== undefined) this.leaveConsult(calls.parent);
    if (calls?.consult !== undefined) this.leaveConsult(calls.consult);
  }

  /** How many relations are held (none once every record has ended). */
  get size(): number {
    return this.transferOfLeg.size + this.callOfLeg.size + this.consultOfCall.size;
  }

  private unshowLeg(legId: string): void {
    const callId = this.callOfLeg.get(legId);
    if (callId === undefined) return;
    this.callOfLeg.delete(legId);
    this.legOfCall.delete(callId);
  }

  private unshowCall(callId: string): void {
    const legId = this.legOfCall.get(callId);
    if (legId === undefined) return;
    this.legOfCall.delete(callId);
    this.callOfLeg.delete(legId);
  }
}
