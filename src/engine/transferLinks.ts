/**
 * Which running transfer (retrievable or consult) each leg belongs to, held as ids in the engine's registry:
 * a leg's call id → its transfer's id, and the transfers that legs belong to by that id. The one place a leg
 * joins or leaves a transfer; the engine reads it to route a leg's ends and states to its transfer.
 */
import type { Leg, LegTransfer } from './leg';

export class TransferLinks {
  private readonly transferOf = new Map<string, string>();
  private readonly transfers = new Map<string, { run: LegTransfer; legs: number }>();

  /** The transfer `leg` belongs to, if any. */
  of(leg: Leg): LegTransfer | null {
    const id = this.transferOf.get(leg.callId);
    return id === undefined ? null : (this.transfers.get(id)?.run ?? null);
  }

  /** `leg` belongs to `run` from now on (leaving any transfer it belonged to). */
  join(leg: Leg, run: LegTransfer): void {
    this.leave(leg);
    const entry = this.transfers.get(run.inspectedId) ?? { run, legs: 0 };
    entry.legs++;
    this.transfers.set(run.inspectedId, entry);
    this.transferOf.set(leg.callId, run.inspectedId);
  }

  /** `leg` belongs to no transfer any more; with `only`, just if it belonged to that one. */
  leave(leg: Leg, only?: LegTransfer): void {
    const id = this.transferOf.get(leg.callId);
    if (id === undefined || (only && only.inspectedId !== id)) return;
    this.transferOf.delete(leg.callId);
    const entry = this.transfers.get(id) as { legs: number };
    if (--entry.legs === 0) this.transfers.delete(id);
  }
}
