// The few parts of the npm `sip` package (0.0.6, patched: patches/sip+0.0.6.patch) that sipJsStack.ts uses.
declare module 'sip' {
  interface SipJsMessage {
    method?: string;
    uri?: string;
    status?: number;
    reason?: string;
    version?: string;
    headers: Record<string, unknown>;
    content?: string;
  }
  interface SipJsRemote {
    protocol: string;
    address: string;
    port: number;
  }
  interface SipJsOptions {
    address?: string;
    port?: number;
    udp?: boolean;
    tcp?: boolean;
    hostname?: string;
    logger?: { error?: (e: unknown) => void };
    // Added by the patch:
    inspect?: {
      message(raw: string, stream: boolean): string | false | undefined;
      frame(head: string): number | string | false;
    };
    onListening?: (protocol: string, address: unknown) => void;
    onTransportError?: (e: Error, protocol: string) => void;
  }
  interface SipJsStack {
    send(m: SipJsMessage, callback?: (rs: SipJsMessage) => void): void;
    destroy(): void;
    /** Added by the patch: live client + server transactions. */
    transactionCount(): number;
  }
  function create(options: SipJsOptions, callback: (m: SipJsMessage, remote: SipJsRemote) => void): SipJsStack;
  function stringifyUri(uri: unknown): string;
  function stringify(m: SipJsMessage): string;
  function parse(s: string): SipJsMessage | undefined;
  interface SipJsUri {
    schema: string;
    user?: string;
    password?: string;
    host: string;
    port: number;
    params: Record<string, string | null>;
    headers: Record<string, string>;
  }
  function parseUri(s: string): SipJsUri | undefined;
  /** Frames and parses the messages of a stream transport, fed its data as 'binary' strings. */
  function makeStreamParser(onMessage: (m: SipJsMessage) => void): (data: string) => void;
}
