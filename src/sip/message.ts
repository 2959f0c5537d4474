// The SIP message model shared by the stack interface and the dialog layer (URIs are strings; headers by
// lower-case name). Independent of the npm stack behind it.

export type Params = Record<string, string | null>;

export interface NameAddr {
  name?: string;
  uri: string;
  params: Params;
}

export interface Via {
  version?: string;
  protocol: string;
  host: string;
  port?: number;
  params: Params;
}

export interface CSeq {
  seq: number;
  method: string;
}

export interface SipHeaders {
  via?: Via[];
  from?: NameAddr;
  to?: NameAddr;
  'call-id'?: string;
  cseq?: CSeq;
  contact?: NameAddr[];
  route?: NameAddr[];
  'record-route'?: NameAddr[];
  'content-type'?: string;
  'max-forwards'?: number;
  /** Any other header, as its raw value (repeated lines joined with commas). */
  [name: string]: unknown;
}

export interface SipRequest {
  method: string;
  uri: string;
  headers: SipHeaders;
  content?: string;
}

export interface SipResponse {
  status: number;
  reason: string;
  headers: SipHeaders;
  content?: string;
}

/** Where a message came from. */
export interface Remote {
  protocol: 'UDP' | 'TCP';
  address: string;
  port: number;
}

/** A response to `rq` echoing its Via, From, To, Call-ID and CSeq (RFC 3261 8.2.6.2). */
export function makeResponse(
  rq: SipRequest,
  status: number,
  reason: string,
  extra: Partial<SipResponse> = {},
): SipResponse {
  const headers: SipHeaders = {
    via: rq.headers.via,
    from: rq.headers.from,
    to: rq.headers.to,
    'call-id': rq.headers['call-id'],
    cseq: rq.headers.cseq,
    ...extra.headers,
  };
  return { status, reason, headers, content: extra.content ?? '' };
}
