/**
 * What the inspector shows of a SIP leg (`LiveCall.sip`): the dialog's Call-ID, the far end's URI and address,
 * and the transport. Inbound: the INVITE's Call-ID, its From URI and where it came from. Outbound: our INVITE's
 * Call-ID, its Request-URI and that URI's host and port (`;transport=tcp` for TCP).
 */
import type { SipLegFacts } from '../engine/network';
import type { InboundCall, OutboundCall } from './dialog';

export function legFacts(
  inbound: InboundCall | undefined,
  outbound: OutboundCall | undefined,
): SipLegFacts | undefined {
  if (inbound) {
    const { remote } = inbound;
    return {
      callId: inbound.callId,
      remoteUri: inbound.request.headers.from?.uri ?? '',
      remoteAddress: `${remote.address}:${remote.port}`,
      transport: remote.protocol,
    };
  }
  if (!outbound) return undefined;
  const host = /^sips?:(?:[^@]*@)?([^;?]+)/i.exec(outbound.uri)?.[1] ?? '';
  return {
    callId: outbound.callId,
    remoteUri: outbound.uri,
    remoteAddress: /:\d+$/.test(host) ? host : `${host}:5060`,
    transport: /;transport=tcp/i.test(outbound.uri) ? 'TCP' : 'UDP',
  };
}
