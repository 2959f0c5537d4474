/**
 * One MULTI per engine turn: the turn's state changes (HSET/HDEL on the node's state hash) and the outbox
 * appends (XADD) of the callbacks that turn emitted, sent together once the turn's deliveries have been handed
 * over. Redis applies a MULTI all or nothing, so a callback is never in the outbox without the state that
 * produced it, nor that state without its callbacks. Between `write` (the turn ended) and `flush` (its deliveries
 * were handed over) an append joins the batch; outside that window (recovery, a call from outside any turn) it
 * goes alone. Nothing leaves the process until `exec`, so a callback is never attempted before its turn is stored.
 */
import type { ChainableCommander, Redis } from 'ioredis';

interface Waiting {
  index: number;
  resolve: (ref: string) => void;
  reject: (error: Error) => void;
}

export class TurnBatch {
  private multi: ChainableCommander | null = null;
  private commands = 0;
  private waiting: Waiting[] = [];
  private open = false;
  /** Batches sent, and their commands (for tests and the store benchmark). */
  readonly sent = { batches: 0, commands: 0 };
  /** The last batch sent, answered or failed (one connection answers in order: every earlier one is too). */
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly stateKey: string,
    private readonly onError: (error: Error) => void,
  ) {}

  /** A turn's changed records and removed keys. */
  write(put: ReadonlyMap<string, string>, del: readonly string[]): void {
    this.open = true;
    if (put.size === 0 && del.length === 0) return;
    const multi = this.begin();
    if (put.size) {
      multi.hset(this.stateKey, ...[...put].flat());
      this.commands++;
    }
    if (del.length) {
      multi.hdel(this.stateKey, ...del);
      this.commands++;
    }
  }

  /** XADD in the current turn's batch if one is open, else at once; resolves to the entry id. */
  xadd(key: string, fields: string[]): Promise<string> {
    if (!this.open) {
      return this.redis.xadd(key, '*', ...fields).then((ref) => {
        if (ref === null) throw new Error(`XADD to ${key} returned no entry id`);
        return ref;
      });
    }
    const multi = this.begin();
    multi.xadd(key, '*', ...fields);
    return new Promise<string>((resolve, reject) => this.waiting.push({ index: this.commands++, resolve, reject }));
  }

  /** The turn's deliveries have been handed over: send the batch. */
  flush(): void {
    this.open = false;
    const multi = this.multi;
    if (!multi) return;
    const waiting = this.waiting;
    this.sent.batches++;
    this.sent.commands += this.commands;
    this.multi = null;
    this.waiting = [];
    this.commands = 0;
    this.last = multi.exec().then(
      (results) => {
        for (const w of waiting) {
          const [error, ref] = results?.[w.index] ?? [new Error('the MULTI was discarded'), null];
          if (error || typeof ref !== 'string') w.reject(error ?? new Error('XADD returned no entry id'));
          else w.resolve(ref);
        }
      },
      (error: Error) => {
        this.onError(error);
        for (const w of waiting) w.reject(error);
      },
    );
  }

  /** Resolves once every batch sent so far has been answered by Redis (or failed). */
  settled(): Promise<void> {
    return this.last.then(() => undefined);
  }

  private begin(): ChainableCommander {
    this.multi ??= this.redis.multi();
    return this.multi;
  }
}
