/**
 * The engine's running transfers and consults, by registry id (`transfer:<id>`, `consult:<n>`): the ids the
 * relations registry (relations.ts) and the store hold resolve to the live run here.
 */
import type { LegTransfer } from './leg';

export class LiveTransfers implements Iterable<LegTransfer> {
  private readonly byId = new Map<string, LegTransfer>();

  add(run: LegTransfer): void {
    this.byId.set(run.registryId, run);
  }

  delete(run: LegTransfer): void {
    if (this.byId.get(run.registryId) === run) this.byId.delete(run.registryId);
  }

  has(run: LegTransfer): boolean {
    return this.byId.get(run.registryId) === run;
  }

  /** The running transfer with this registry id, if any. */
  get(id: string): LegTransfer | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }

  [Symbol.iterator](): Iterator<LegTransfer> {
    return this.byId.values();
  }
}
