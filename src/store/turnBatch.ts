/**
 * One atomic write per engine turn: the turn's state changes (HSET/HDEL on the node's state hash) and the outbox
 * appends (XADD) of the callbacks that turn emitted, sent together once the turn's deliveries have been handed
 * over: a MULTI when there are several commands, the command alone when there is one (a single command is atomic
 * by itself; most turns change records and remove none, and emit no callback). Redis applies either all or
 * nothing, so a callback is never in the outbox without the state that produced it, nor that state without its
 * callbacks. Between `write` (the turn ended) and `flush` (its deliveries were handed over) an append joins the
 * batch; outside that window (recovery, a call from outside any turn) it goes alone. Nothing leaves the process
 * until the batch is answered, so a callback is never attempted before its turn is stored.
 */
import type { Redis } from 'ioredis';

interface Waiting {
  index: number;
  resolve: (ref: string) => void;
  reject: (error: Error) => void;
}

type Command = { name: 'hset' | 'hdel' | 'xadd'; args: string[] };
type Replies = Array<[Error | null, unknown]> | null;

export class TurnBatch {
  private commands: Command[] = [];
  private waiting: Waiting[] = [];
  private open = false;
  /** Batches sent, and their commands (MULTI and EXEC not counted; for tests and the store benchmark). */
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
    if (put.size) this.commands.push({ name: 'hset', args: [this.stateKey, ...[...put].flat()] });
    if (del.length) this.commands.push({ name: 'hdel', args: [this.stateKey, ...del] });
  }

  /** XADD in the current turn's batch if one is open, else at once; resolves to the entry id. */
  xadd(key: string, fields: string[]): Promise<string> {
    if (!this.open) {
      return this.redis.xadd(key, '*', ...fields).then((ref) => {
        if (ref === null) throw new Error(`XADD to ${key} returned no entry id`);
        return ref;
      });
    }
    this.commands.push({ name: 'xadd', args: [key, '*', ...fields] });
    return new Promise<string>((resolve, reject) =>
      this.waiting.push({ index: this.commands.length - 1, resolve, reject }),
    );
  }

  /** The turn's deliveries have been handed over: send the batch. */
  flush(): void {
    this.open = false;
    const commands = this.commands;
    if (commands.length === 0) return;
    const waiting = this.waiting;
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
      },
      (error: Error) => {
        this.onError(error);
        for (const w of waiting) w.reject(error);
      },
    );
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
