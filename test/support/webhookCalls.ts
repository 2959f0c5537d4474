// The sending side of the webhook tests: a deliverer config whose six call callback URLs are paths of one
// receiver (`{base}/{eventType}`), a logger that says nothing, and a scenario of three call families on a
// simulated clock whose 11 callbacks the deliverer is attached to.
import { createSwitchboard, SimulatedClock, type BandwidthCallback } from '../../src';
import type { WebhookConfig, WebhookDeliverer } from '../../src/webhooks/deliverer';

export const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Every call callback URL at `base`, by its event type: `{base}/initiate`, `{base}/answer`, … */
export const urls = (base: string): WebhookConfig => ({
  initiateUrl: `${base}/initiate`,
  answerUrl: `${base}/answer`,
  disconnectUrl: `${base}/disconnect`,
  transferAnswerUrl: `${base}/transferAnswer`,
  transferCompleteUrl: `${base}/transferComplete`,
  transferDisconnectUrl: `${base}/transferDisconnect`,
});

/**
 * Three call families, their callbacks through `deliverer`: an IVR transfer answered and retrieved (row 1b), a
 * busy transfer (row 2), and an outbound call. Returns the callbacks in bus order.
 */
export async function threeFamilies(deliverer: WebhookDeliverer): Promise<BandwidthCallback[]> {
  const clock = new SimulatedClock();
  const sb = createSwitchboard({ clock });
  deliverer.attach(sb);
  const emitted: BandwidthCallback[] = [];
  sb.on('callback', (p) => emitted.push(p));
  sb.network.addEndpoint('+1777', { outcome: 'answer', ringFor: 1 });
  sb.network.addEndpoint('+1888', { outcome: 'busy' });
  for (const target of ['+1777', '+1888']) {
    const { channel: a } = sb.network.placeCall({ from: '+1555', to: '+1666' });
    await a.answer();
    a.createTonePlayer();
    const transfer = a.retrievableTransfer(sb.createChannel(), target);
    clock.increment(1000);
    if ((await transfer) === 'TRANSFERRED') await a.retrieveTransferredCall();
    await a.hangUp();
  }
  const out = sb.createChannel();
  const call = out.call('+1777');
  clock.increment(1000);
  await call;
  await out.hangUp();
  return emitted;
}
