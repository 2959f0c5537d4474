/**
 * `GET /api/v2/webhooks/errors`: the newest kept callback-error records, newest first (`limit`, default 100),
 * with the totals ever recorded and dropped from the buffer. Registered inside the authenticated `/api/v2`
 * scope, so any configured user may read it (the records name every call's id, like the inspector).
 */
import type { FastifyPluginAsync } from 'fastify';
import { redact, type WebhookDeliverer } from './deliverer';

export interface WebhookRoutesOptions {
  webhooks: WebhookDeliverer;
}

const DEFAULT_LIMIT = 100;

export const webhookRoutes: FastifyPluginAsync<WebhookRoutesOptions> = async (api, { webhooks }) => {
  api.get<{ Querystring: { limit?: unknown } }>('/webhooks/errors', async (request, res) => {
    const { limit = String(DEFAULT_LIMIT) } = request.query;
    if (typeof limit !== 'string' || !/^[1-9][0-9]{0,8}$/.test(limit)) {
      return res
        .code(400)
        .send({ statusCode: 1, statusMessage: 'Missing or invalid parameter: limit must be a whole number from 1' });
    }
    const { failed, failuresDropped } = webhooks.stats();
    const errors = webhooks.recentFailures(Number(limit)).map((failure) => ({ ...failure, url: redact(failure.url) }));
    return { statusCode: 0, recorded: failed, dropped: failuresDropped, errors };
  });
};
