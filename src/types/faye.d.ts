/** The part of faye 1.4's API Switchboard uses (faye ships no type declarations). */
declare module 'faye' {
  import type { IncomingMessage, Server } from 'node:http';

  /** A server extension; `M` is the caller's own description of Bayeux messages. */
  export interface Extension<M> {
    incoming?(message: M, request: IncomingMessage | undefined, callback: (message: M) => void): void;
    outgoing?(message: M, request: IncomingMessage | undefined, callback: (message: M) => void): void;
  }

  export interface ClientExtension<M> {
    incoming?(message: M, callback: (message: M) => void): void;
    outgoing?(message: M, callback: (message: M) => void): void;
  }

  export class Client {
    publish(channel: string, data: unknown): Promise<void>;
    addExtension<M>(extension: ClientExtension<M>): void;
    disconnect(): void;
  }

  export class NodeAdapter {
    constructor(options: { mount: string; timeout?: number; ping?: number });
    attach(server: Server): void;
    addExtension<M>(extension: Extension<M>): void;
    getClient(): Client;
    on(event: 'handshake' | 'disconnect', listener: (clientId: string) => void): void;
    on(
      event: 'subscribe' | 'unsubscribe' | 'publish',
      listener: (clientId: string, channel: string, data?: unknown) => void,
    ): void;
    close(): void;
  }

  const faye: { NodeAdapter: typeof NodeAdapter; Client: typeof Client };
  export default faye;
}
