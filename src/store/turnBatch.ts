/**
 * One atomic write per engine turn: the turn's state changes (HSET/HDEL on the node's state hash) and the outbox
 * appends (XADD) of the callbacks that turn emitted, sent together once the turn's deliveries have been handed
 * over: a MULTI when there are several commands, the command alone when there is one (a single command is atomic
 * by itself; most turns change records and remove none, and emit no callback). Redis applies either all or
 * nothing, so a callback is never in the outbox without the state that produced it, nor that state without its
 * callbacks. Between `write` (the turn ended) and `flush` (its deliveries were handed over) an append joins the
 * batch; outside that window (recovery, a call from outside any turn) it goes alone. Nothing leaves the process
 * until the batch is answered, so a callback is never attempted before its turn is stored. `written()` resolves
 * once the turns ended so far are confirmed (an agent operation's reply waits for it).
 */
import type { Redis } from 'ioredis';
import type { OutboxFencedError } from '../webhooks/outbox';

interface Waiting {
  index: number;
  resolve: (ref: string) => void;
  reject: (error: Error) => void;
}

type Command = { name: 'hset' | 'hdel' | 'xadd'; args: string[] };

/** The node lease as the batch sees it (lease.ts): whether it is surely held, and a renewal that says so. */
export interface LeaseCheck {
  fresh(): boolean;
  confirm(): Promise<boolean>;
}
type Replies = Array<[Error | null, unknown]> | null;

export class TurnBatch {
  private commands: Command[] = [];
  private waiting: Waiting[] = [];
  private open = false;
  /** Set once the node's lease is lost: nothing is sent any more. */
  private fenced: Error | null = null;
  /** Asked before anything is sent by a process whose lease is not surely held (it was paused, say). */
  private lease: LeaseCheck | undefined;
  /** Waiting for the batch being built (or the next flush) to be confirmed. */
  private confirming: Array<(error: Error | null) => void> = [];
  /** Batches sent, and their commands (MULTI and EXEC not counted; for tests and the store benchmark). */
  readonly sent = { batches: 0, commands: 0 };
  /**
   * How the last batch sent ended (null: confirmed); never rejects. One connection answers in order, so every
   * earlier batch has been answered too.
   */
  private last: Promise<Error | null> = Promise.resolve(null);

  constructor(
    private readonly redis: Redis,
    private readonly stateKey: string,
    private readonly onError: (error: Error) => void,
  ) {}

  /** A turn's changed records and removed keys. */
  write(put: ReadonlyMap<string, string>, del: readonly string[]): void {
    this.open = true;
    if (put.size) this.commands.push({ name: 'hset', args: [this.stateKey, ...[...put].flat()] });
    if (del.length) this.commands.push({ name: 'hdel', args: [this.stateKey, ...del] });
  }

  /**
   * The node's lease is lost (another node owns its calls now): no batch is sent any more, and every append
   * not yet sent is refused with `reason`, so its callback is never attempted.
   */
  fence(reason: OutboxFencedError): void {
    this.fenced = reason;
  }

  /** Send nothing while the lease is not fresh before `lease` confirms it (and nothing once it is lost). */
  guard(lease: LeaseCheck): void {
    this.lease = lease;
  }

  /** Run `send` now if the lease is surely held, else once a renewal has answered. */
  private leased<T>(send: () => T): T | Promise<T> {
    if (!this.lease || this.lease.fresh()) return send();
    return this.lease.confirm().then(send);
  }

  /** XADD in the current turn's batch if one is open, else at once; resolves to the entry id. */
  xadd(key: string, fields: string[]): Promise<string> {
    if (this.fenced) return Promise.reject(this.fenced);
    if (!this.open) {
      return Promise.resolve(
        this.leased(async () => {
          if (this.fenced) throw this.fenced;
          const ref = await this.redis.xadd(key, '*', ...fields);
          if (ref === null) throw new Error(`XADD to ${key} returned no entry id`);
          return ref;
        }),
      );
    }
    this.commands.push({ name: 'xadd', args: [key, '*', ...fields] });
    return new Promise<string>((resolve, reject) =>
      this.waiting.push({ index: this.commands.length - 1, resolve, reject }),
    );
  }

  /**
   * Resolves once every turn ended so far is in Redis: the batch being built once it is confirmed, else the last
   * one sent. Rejects with the reason when that batch failed (Redis unreachable, or a command refused).
   */
  written(): Promise<void> {
    const outcome =
      this.open || this.commands.length
        ? new Promise<Error | null>((resolve) => this.confirming.push(resolve))
        : this.last;
    return outcome.then((error) => {
      if (error) throw error;
    });
  }

  /** The turn's deliveries have been handed over: send the batch (once the lease is confirmed, if need be). */
  flush(): void {
    void this.leased(() => this.sendBatch());
  }

  private sendBatch(): void {
    this.open = false;
    const commands = this.commands;
    const confirming = this.confirming;
    this.confirming = [];
    if (commands.length === 0) {
      if (confirming.length) void this.last.then((error) => confirming.forEach((c) => c(error)));
      return;
    }
    const waiting = this.waiting;
    if (this.fenced) {
      const reason = this.fenced;
      this.commands = [];
      this.waiting = [];
      for (const w of waiting) w.reject(reason);
      confirming.forEach((c) => c(reason));
      return;
    }
    this.sent.batches++;
    this.sent.commands += commands.length;
    this.commands = [];
    this.waiting = [];
    this.last = this.send(commands).then(
      (results) => {
        for (const w of waiting) {
          const [error, ref] = results?.[w.index] ?? [new Error('the MULTI was discarded'), null];
          if (error || typeof ref !== 'string') w.reject(error ?? new Error('XADD returned no entry id'));
          else w.resolve(ref);
        }
        const refused = results ? results.find(([error]) => error)?.[0] : new Error('the MULTI was discarded');
        if (refused) this.onError(refused);
        return refused ?? null;
      },
      (error: Error) => {
        this.onError(error);
        for (const w of waiting) w.reject(error);
        return error;
      },
    );
    if (confirming.length) void this.last.then((error) => confirming.forEach((c) => c(error)));
  }

  private send(commands: Command[]): Promise<Replies> {
    if (commands.length === 1) {
      const [{ name, args }] = commands;
      return this.redis.call(name, ...args).then((reply): Replies => [[null, reply]]);
    }
    const multi = this.redis.multi();
    for (const { name, args } of commands) multi.call(name, ...args);
    return multi.exec();
  }

  /** Resolves once every batch sent so far has been answered by Redis (or failed). */
  settled(): Promise<void> {
    return this.last.then(() => undefined);
  }
}
