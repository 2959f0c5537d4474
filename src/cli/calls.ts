/**
 * `switchboard calls`: the calls a running server knows, one line each, from its inspector's API
 * (`GET /inspect/api/calls`, Basic auth with a configured user): call id, direction, state, from → to, the
 * transferred call of a transfer's target, and for a SIP leg its Call-ID, far end and transport, as the
 * inspector's call view shows them. Ended calls the inspector still records are marked `ended`.
 */
import type { InspectedCall } from '../inspect/hub';
import { CommandError } from './args';

export interface CallsOptions {
  /** The server's base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  /** `username:password` of a configured user. */
  user: string;
  /** Print the API's JSON as it is. */
  json: boolean;
}

/** One call as a line: `c-… inbound ANSWERED sipp → 5005 SIP 1-2@127.0.0.2 with sip:… (UDP 127.0.0.2:5064)`. */
export function callLine(c: InspectedCall): string {
  const parts = [
    c.callId,
    c.direction ?? '?',
    c.live ? c.state : `${c.state} (ended)`,
    `${c.from ?? '?'} → ${c.to ?? '?'}`,
  ];
  if (c.parentCallId) parts.push(`transfer of ${c.parentCallId}`);
  if (c.remoteHold) parts.push('held by the far end');
  if (c.sip) parts.push(`SIP ${c.sip.callId} with ${c.sip.remoteUri} (${c.sip.transport} ${c.sip.remoteAddress})`);
  return parts.join('  ');
}

export async function callsCommand(options: CallsOptions, out: (line: string) => void): Promise<number> {
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    throw new CommandError(`--url must be an absolute URL like http://127.0.0.1:8080; got '${options.url}'`);
  }
  const url = new URL('/inspect/api/calls', base);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Basic ${Buffer.from(options.user).toString('base64')}` },
    });
  } catch (error) {
    throw new CommandError(`cannot reach ${url.origin}: ${(error as Error).cause ?? (error as Error).message}`);
  }
  if (response.status === 401) throw new CommandError(`${url.origin} refused the user (401): check --user`);
  if (!response.ok) throw new CommandError(`${url} answered ${response.status}`);
  const body = (await response.json()) as { calls: InspectedCall[] };
  if (options.json) {
    out(JSON.stringify(body.calls, null, 2));
    return 0;
  }
  if (body.calls.length === 0) out('no calls');
  for (const call of body.calls) out(callLine(call));
  return 0;
}
