/**
 * The node lease: which process is node `nodeId` right now. Taken with `SET key token NX PX leaseMs` (the token
 * is this process's own), renewed every third of the lease by a script that extends it only while the key
 * holds our token (or takes it again if it expired and nobody else took it), so no other holder's lease is
 * ever extended; it is lost when another process holds it, or when it expired and another node took this node's
 * calls over meanwhile (the key `<prefix>node:<id>:takenOver`, which a new start clears). Released on close the
 * same way. `fresh()` says whether the lease is surely still ours by this process's clock (confirmed less than
 * two thirds of a lease ago); a process that was paused is not, and `confirm()` asks Redis. A node renews
 * long before its lease runs out, so a lease that stays held for a whole lease length belongs to a live
 * process: `acquire()` waits that long for the lease of a killed predecessor to expire, then gives up with
 * NodeIdInUseError.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';

/** Another live process holds this node id. */
export class NodeIdInUseError extends Error {
  override readonly name = 'NodeIdInUseError';
}

// Ours: extended. Expired with nobody else holding it (this process was paused past its lease): taken again,
// unless another node has taken this node's calls over meanwhile. Someone else's: lost.
const RENEW = `local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if holder == false and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export class NodeLease {
  /** Names this process: host, pid and a random part (two processes never share one). */
  readonly token = `${hostname()}:${process.pid}:${randomUUID()}`;
  private timer: NodeJS.Timeout | undefined;
  private held = false;
  /** When the request that last confirmed the lease was sent (Date.now()). */
  private confirmedAt = 0;
  private renewing: Promise<boolean> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    /** Set when another node took this node's calls over. */
    private readonly takenOverKey: string,
    private readonly nodeId: string,
    private readonly leaseMs: number,
    private readonly onLost: () => void,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Takes the lease, waiting up to one lease length (and a little) for a dead holder's to expire. */
  async acquire(): Promise<void> {
    const deadline = Date.now() + this.leaseMs + Math.max(250, this.leaseMs / 5);
    const poll = Math.min(250, Math.max(10, this.leaseMs / 20));
    for (;;) {
      const sent = Date.now();
      if ((await this.redis.set(this.key, this.token, 'PX', this.leaseMs, 'NX')) === 'OK') {
        this.confirmedAt = sent;
        break;
      }
      if (Date.now() >= deadline) {
        const holder = await this.redis.get(this.key);
        throw new NodeIdInUseError(
          `node id '${this.nodeId}' is in use by a live node (its lease ${this.key} is held and renewed` +
            `${holder ? ` by ${holder.split(':').slice(0, 2).join(' pid ')}` : ''}): give this node another node id`,
        );
      }
      await new Promise((r) => setTimeout(r, poll));
    }
    await this.redis.del(this.takenOverKey); // a new process of this node: its calls are its own again
    this.held = true;
    this.timer = setInterval(() => void this.confirm(), Math.floor(this.leaseMs / 3));
    this.timer.unref();
  }

  /** Whether the lease is surely still ours: confirmed less than two thirds of a lease ago by this clock. */
  fresh(): boolean {
    return this.held && Date.now() - this.confirmedAt < (this.leaseMs * 2) / 3;
  }

  /** Renew now (one request for concurrent callers); resolves to whether the lease is still ours. */
  confirm(): Promise<boolean> {
    this.renewing ??= this.renew().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  private async renew(): Promise<boolean> {
    if (!this.held) return false;
    const sent = Date.now();
    try {
      const renewed = await this.redis.eval(RENEW, 2, this.key, this.takenOverKey, this.token, this.leaseMs);
      if (!this.held) return false;
      if (renewed === 1) {
        this.confirmedAt = sent;
        return true;
      }
      this.stop();
      this.onLost();
      return false;
    } catch (error) {
      this.onError(error as Error); // Redis unreachable for now: the next renewal tries again
      return this.held;
    }
  }

  private stop(): void {
    this.held = false;
    clearInterval(this.timer);
  }

  /** Stops renewing and deletes the lease if it is still ours (another start need not wait for it). */
  async release(): Promise<void> {
    const held = this.held;
    this.stop();
    if (held) await this.redis.eval(RELEASE, 1, this.key, this.token);
  }
}
