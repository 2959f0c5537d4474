/**
 * The nodes' messages over Redis pub/sub (two ioredis connections per node: one publishes and runs commands, one
 * is subscribed). Requests: a node sends `{ id, from, op, args }` on the owner's channel `<prefix>rpc:<nodeId>`
 * and waits for the reply with that correlation id on its own channel, at most `timeoutMs` (then
 * RouteTimeoutError, naming the node). Notifications: every agent notification a node emits is published on
 * `<prefix>agent:<dn>:notifications` tagged with the node's id; a node whose CometD clients follow that agent
 * subscribes and passes on the other nodes' (its own it has already delivered). One connection publishes, one
 * receives, so one node's notifications arrive in the order they were emitted. See docs/durability.md.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The node that owns a call did not answer in time. */
export class RouteTimeoutError extends Error {
  override readonly name = 'RouteTimeoutError';
}

/** The owner answered with an error (its handler threw). */
export class RouteFailedError extends Error {
  override readonly name = 'RouteFailedError';
}

interface RequestMessage {
  t: 'req';
  id: string;
  from: string;
  op: string;
  args: unknown;
}

interface ReplyMessage {
  t: 'res';
  id: string;
  value?: unknown;
  error?: string;
}

interface NotificationMessage {
  node: string;
  data: unknown;
}

type Handler = (args: unknown) => Promise<unknown> | unknown;
type Listener = (data: unknown) => void;

interface Waiting {
  node: string;
  op: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface BusOptions {
  url: string;
  prefix: string;
  nodeId: string;
  /** How long a request waits for its reply (default 5,000 ms). */
  timeoutMs?: number;
  onError?: (error: Error) => void;
}

export class ClusterBus {
  /** Commands and publications. */
  readonly redis: Redis;
  private readonly sub: Redis;
  private readonly waiting = new Map<string, Waiting>();
  private readonly handlers = new Map<string, Handler>();
  private readonly listeners = new Map<string, Set<Listener>>();
  readonly timeoutMs: number;
  private readonly own: string;

  constructor(private readonly options: BusOptions) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    const redisOptions = { lazyConnect: true, maxRetriesPerRequest: 20, connectTimeout: 5000 };
    this.redis = new Redis(options.url, redisOptions);
    this.sub = new Redis(options.url, redisOptions);
    const report = (error: Error) => options.onError?.(error);
    this.redis.on('error', report);
    this.sub.on('error', report);
    this.own = this.rpcChannel(options.nodeId);
    this.sub.on('message', (channel: string, raw: string) => this.received(channel, raw));
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  rpcChannel(nodeId: string): string {
    return `${this.options.prefix}rpc:${nodeId}`;
  }

  notificationChannel(dn: string): string {
    return `${this.options.prefix}agent:${dn}:notifications`;
  }

  async start(): Promise<void> {
    await Promise.all([this.redis.connect(), this.sub.connect()]);
    await this.sub.subscribe(this.own);
  }

  /** Answer requests of kind `op` (the value returned, or awaited, is the reply). */
  handle(op: string, handler: Handler): void {
    this.handlers.set(op, handler);
  }

  /** Send a request to node `nodeId` and wait for its reply. */
  request(nodeId: string, op: string, args: unknown): Promise<unknown> {
    const id = randomUUID();
    const message: RequestMessage = { t: 'req', id, from: this.options.nodeId, op, args };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(
          new RouteTimeoutError(
            `node '${nodeId}' did not answer ${op} within ${this.timeoutMs / 1000} s (it may be down: ` +
              'its calls are taken over once its lease expires)',
          ),
        );
      }, this.timeoutMs);
      this.waiting.set(id, { node: nodeId, op, resolve, reject, timer });
      this.redis.publish(this.rpcChannel(nodeId), JSON.stringify(message)).catch((error: Error) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        reject(error);
      });
    });
  }

  /** Publish one of this node's agent notifications for the other nodes. */
  publishNotification(dn: string, data: unknown): void {
    const message: NotificationMessage = { node: this.options.nodeId, data };
    this.redis.publish(this.notificationChannel(dn), JSON.stringify(message)).catch((error: Error) => {
      this.options.onError?.(error);
    });
  }

  /** Receive the other nodes' notifications for agent `dn` (subscribed while it has a listener). */
  listen(dn: string, listener: Listener): void {
    const channel = this.notificationChannel(dn);
    const set = this.listeners.get(channel) ?? new Set<Listener>();
    if (set.size === 0) {
      this.listeners.set(channel, set);
      this.sub.subscribe(channel).catch((error: Error) => this.options.onError?.(error));
    }
    set.add(listener);
  }

  unlisten(dn: string, listener: Listener): void {
    const channel = this.notificationChannel(dn);
    const set = this.listeners.get(channel);
    if (!set?.delete(listener) || set.size > 0) return;
    this.listeners.delete(channel);
    this.sub.unsubscribe(channel).catch((error: Error) => this.options.onError?.(error));
  }

  /** Notification channels subscribed now, and requests waiting for their reply (for tests). */
  stats(): { channels: number; waiting: number } {
    return { channels: this.listeners.size, waiting: this.waiting.size };
  }

  async close(): Promise<void> {
    for (const [id, w] of this.waiting) {
      clearTimeout(w.timer);
      w.reject(new Error(`request ${w.op} to node '${w.node}' cut short: this node is stopping`));
      this.waiting.delete(id);
    }
    for (const connection of [this.sub, this.redis]) {
      try {
        await connection.quit();
      } catch {
        connection.disconnect();
      }
    }
  }

  private received(channel: string, raw: string): void {
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      return this.options.onError?.(new Error(`unreadable message on ${channel}`));
    }
    if (channel === this.own) {
      const m = message as RequestMessage | ReplyMessage;
      if (m.t === 'res') return this.replied(m);
      if (m.t === 'req') return void this.answer(m);
      return;
    }
    const listeners = this.listeners.get(channel);
    const n = message as NotificationMessage;
    if (!listeners || n.node === this.options.nodeId) return; // ours went out locally already
    for (const listener of listeners) listener(n.data);
  }

  private replied(reply: ReplyMessage): void {
    const w = this.waiting.get(reply.id);
    if (!w) return; // timed out already
    this.waiting.delete(reply.id);
    clearTimeout(w.timer);
    if (reply.error !== undefined) w.reject(new RouteFailedError(`node '${w.node}' failed ${w.op}: ${reply.error}`));
    else w.resolve(reply.value);
  }

  private async answer(request: RequestMessage): Promise<void> {
    const handler = this.handlers.get(request.op);
    const reply: ReplyMessage = { t: 'res', id: request.id };
    try {
      if (!handler) throw new Error(`no handler for ${request.op}`);
      reply.value = await handler(request.args);
    } catch (error) {
      reply.error = (error as Error).message;
    }
    await this.redis
      .publish(this.rpcChannel(request.from), JSON.stringify(reply))
      .catch((error: Error) => this.options.onError?.(error));
  }
}
