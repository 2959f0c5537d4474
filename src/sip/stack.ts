// The SIP stack interface the dialog layer runs on: transactions (retransmissions, timers) and transports,
// no dialogs. One implementation, on the npm `sip` package, is in sipJsStack.ts; another stack can replace it.
import type { Remote, SipRequest, SipResponse } from './message';

export interface ListenAddress {
  protocol: 'UDP' | 'TCP';
  host: string;
  port: number;
}

export interface SipStack {
  /** Resolves with the bound addresses once every transport listens; rejects if one cannot bind. */
  readonly listening: Promise<readonly ListenAddress[]>;
  /** The host and port put in Via and Contact. */
  readonly host: string;
  readonly port: number;
  /**
   * Sends a request in a new client transaction (an ACK goes without one). `onResponse` gets every response,
   * provisional and final, and further 2xx to an INVITE (for which the caller sends ACK again); a timeout or a
   * transport failure arrives as a locally made 408 or 503.
   */
  sendRequest(rq: SipRequest, onResponse?: (rs: SipResponse) => void): void;
  /** Sends a response in the server transaction of the request it answers (its Via branch and CSeq). */
  sendResponse(rs: SipResponse): void;
  /** Every valid incoming request outside an existing server transaction, ACKs for 2xx included. */
  onRequest(handler: (rq: SipRequest, remote: Remote) => void): void;
  /** Ends every transaction and closes every socket. */
  close(): Promise<void>;
}
