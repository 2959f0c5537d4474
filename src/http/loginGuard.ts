/**
 * The login limiter in front of every HTTP Basic login of the fastify routes (the agent API under /api/v2 and
 * the inspector under /inspect). It looks at every request that carries Basic credentials, whatever its URL:
 * deciding by the raw URL would let `/api/v%32/me`, which fastify routes to /api/v2, guess unlimited. A
 * request whose user or address has failed too often is answered 429 with `Retry-After` before its password
 * is looked at; each answer is counted as it is sent (a 401 to credentials
 * that are wrong is a failure; right credentials are a success, whatever the answer). Counting when the answer
 * is sent, in the same turn as the check, means parallel guesses cannot slip past the limit.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { basicUsername, type LoginLimiter } from './loginLimiter';

/** `valid(header)`: whether an `Authorization` header holds a configured user's right password. */
export function guardLogins(app: FastifyInstance, limiter: LoginLimiter, valid: (header: string) => boolean): void {
  app.addHook('onRequest', async (request: FastifyRequest, res: FastifyReply) => {
    const user = basicUsername(request.headers.authorization);
    if (user === null) return;
    const wait = limiter.retryAfter(request.ip, user);
    if (wait > 0) {
      return res
        .code(429)
        .header('retry-after', String(wait))
        .send({ statusCode: 20, statusMessage: `Too many failed logins: try again in ${wait} s` });
    }
  });
  app.addHook('onSend', async (request: FastifyRequest, res: FastifyReply, payload: unknown) => {
    if (res.statusCode === 429) return payload;
    const user = basicUsername(request.headers.authorization);
    if (user === null) return payload;
    if (valid(request.headers.authorization as string)) limiter.succeeded(request.ip, user);
    else if (res.statusCode === 401) limiter.failed(request.ip, user);
    return payload;
  });
}
