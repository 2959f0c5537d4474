/**
 * The kept `callback-error` records: a ring buffer of the newest `capacity`, with the totals of those ever
 * recorded and of those dropped to make room, so a long-running server's memory stays flat.
 */
export class FailureLog<T> {
  private readonly slots: T[] = [];
  /** Where the next record goes once the buffer is full (the oldest one's slot). */
  private next = 0;
  recorded = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new TypeError(`failureLogSize must be a positive integer, got ${capacity}`);
  }

  get dropped(): number {
    return this.recorded - this.slots.length;
  }

  add(record: T): void {
    this.recorded++;
    if (this.slots.length < this.capacity) {
      this.slots.push(record);
      return;
    }
    this.slots[this.next] = record;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Every kept record, oldest first. */
  all(): T[] {
    return [...this.slots.slice(this.next), ...this.slots.slice(0, this.next)];
  }

  /** The newest `limit` records, newest first. */
  recent(limit: number): T[] {
    const out: T[] = [];
    const n = this.slots.length;
    for (let i = 1; i <= Math.min(limit, n); i++) out.push(this.slots[(this.next - i + n) % n]);
    return out;
  }
}
