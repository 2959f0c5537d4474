/**
 * The HTTP server (fastify): the agent API of docs/behaviour.md §4 over HTTP Basic authentication, each user bound
 * to one agent device; the simulator API that drives the embedded network; `/healthz`. Bodies are validated by
 * JSON schema; malformed JSON, wrong types and oversized bodies get a Genesys-format error and change nothing.
 * Logs are pino's (fastify's own), with credentials redacted.
 */
import secureJson from 'secure-json-parse';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { SimulatedNetwork, type AgentDevice, type Network, type OperationResponse, type Switchboard } from '../index';
import { attachCometd, type CometdNotifications } from '../cometd/notifications';
import { WebhookDeliverer } from '../webhooks/deliverer';
import { webhookRoutes } from '../webhooks/routes';
import { authenticate } from './auth';
import { guardLogins } from './loginGuard';
import { LoginLimiter } from './loginLimiter';
import { SessionStore } from './sessions';
import { simulatorRoutes } from './simulator';
import { InspectorHub } from '../inspect/hub';
import { inspectorRoutes } from '../inspect/routes';
import type { ServerConfig, UserConfig } from './config';
import { DIAL_BODY_SCHEMA, OPERATION_BODY_SCHEMA } from '../engine/agent/validation';
import { RequestLogController } from './requestLog';
import { stored } from './stored';
import type { Outbox } from '../webhooks/outbox';
import { OwnerUnavailableError, RouteFailedError, RouteTimeoutError, type Cluster, type Routed } from '../cluster';

export interface ServerOptions {
  /** A switchboard on any network; the simulator routes exist only when it is the simulated one. */
  switchboard: Switchboard<Network>;
  config: ServerConfig;
  /** Where webhook callbacks wait until acknowledged (default: in memory; the Redis store's outlives the process). */
  outbox?: Outbox;
  /**
   * Pino logging: off (`false`, what tests use), or its level (default SWITCHBOARD_LOG_LEVEL, else info) and
   * where the lines go (default standard output, one JSON object a line). One line per request at debug only.
   */
  logger?: false | { level?: string; stream?: { write(line: string): void } };
  /** The clock of login limits and sessions, in ms (default Date.now); tests inject one. */
  now?: () => number;
  /** On a cluster node (several nodes on one Redis): reaches the agent's calls and notifications on every node. */
  cluster?: Pick<Cluster, 'routing' | 'notifications'>;
}

export interface SwitchboardServer {
  app: FastifyInstance;
  /** Agent devices by username. */
  devices: Map<string, AgentDevice>;
  /** CometD notifications at /api/v2/notifications. */
  cometd: CometdNotifications;
  /** Webhook delivery of the callbacks. */
  webhooks: WebhookDeliverer;
  /** The live inspector's hub (at /inspect); null when the inspector is off. */
  inspector: InspectorHub | null;
  /** Failed logins, limited (REST API, inspector, CometD handshakes). */
  logins: LoginLimiter;
  /** Sessions set by the agent API (their cookie authenticates a CometD handshake). */
  sessions: SessionStore;
  /** Let the simulator API serve calls taken over from another node (src/cluster/takeover.ts). */
  resumeSimulatorCalls(): void;
}

/** Genesys statusCode → HTTP status. */
const HTTP_STATUS: Record<number, number> = { 0: 200, 1: 400, 2: 409, 3: 403, 4: 500, 5: 403, 6: 404, 20: 401 };

const reply = (res: FastifyReply, body: OperationResponse | Record<string, unknown>) =>
  res.code(HTTP_STATUS[(body as { statusCode: number }).statusCode] ?? 500).send(body);

declare module 'fastify' {
  interface FastifyRequest {
    user?: UserConfig;
  }
}

const callIdParams = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 128 } } } as const;
// The bounds of every parameter come from the engine's rules (src/engine/agent/validation.ts), which also
// check the characters and answer with the field and the reason.
const operationSchema = { body: OPERATION_BODY_SCHEMA, params: callIdParams } as const;

export function createServer(options: ServerOptions): SwitchboardServer {
  const { switchboard: sb, config } = options;
  // The webhook deliverer and the inspector hub use nothing of the network (their parameter types still
  // name the simulated one's switchboard).
  const anySb = sb as Switchboard;
  const app = Fastify({
    logger:
      options.logger === false
        ? false
        : {
            level: options.logger?.level ?? process.env.SWITCHBOARD_LOG_LEVEL ?? 'info',
            redact: ['req.headers.authorization', 'req.headers.cookie'],
            ...(options.logger?.stream ? { stream: options.logger.stream } : {}),
          },
    // fastify's two lines per request (at info) would flood a terminal: one line at debug instead.
    logController: new RequestLogController(),
    bodyLimit: 64 * 1024,
    // fastify's own request errors (a malformed URL, for one) in the Genesys shape too.
    frameworkErrors: (error, _request, res) => {
      void (res as unknown as FastifyReply).code(400).send({ statusCode: 1, statusMessage: error.message });
    },
    // Wrong types are errors, not values to convert ("operationName": 5 is not "5").
    // Union types (a user-data value is a string, number or boolean) are allowed in schemas.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allowUnionTypes: true } },
    // Every error, including fastify's own, in the Genesys shape.
    schemaErrorFormatter: (errors, dataVar) => {
      const first = errors[0];
      const where = `${dataVar}${first?.instancePath ?? ''}`;
      return Object.assign(new Error(`Missing or invalid parameter: ${where} ${first?.message ?? ''}`.trim()), {
        statusCode: 400,
      });
    },
  });

  // JSON bodies; an empty one is no body (a bodyless POST sent with the JSON content type is fine).
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, secureJson.parse(body as string, { protoAction: 'remove', constructorAction: 'remove' }));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  // One agent device per configured user, bound to its DN.
  const devices = new Map<string, AgentDevice>();
  for (const user of config.users) devices.set(user.username, sb.agent({ phoneNumber: user.deviceDn }));

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, res) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return res.code(413).send({ statusCode: 1, statusMessage: 'Request body too large (limit 64 KiB)' });
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
      return res.code(400).send({ statusCode: 1, statusMessage: 'Malformed JSON in the request body' });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return res.code(415).send({ statusCode: 1, statusMessage: 'The request body must be application/json' });
    if (error.statusCode && error.statusCode < 500)
      return res.code(error.statusCode).send({ statusCode: 1, statusMessage: error.message });
    request.log.error({ err: error }, 'request failed');
    return res.code(500).send({ statusCode: 4, statusMessage: 'Internal error' });
  });
  app.setNotFoundHandler((request, res) =>
    res
      .code(404)
      .send({ statusCode: 1, statusMessage: `No such endpoint: ${request.method} ${request.url.split('?')[0]}` }),
  );

  const webhooks = new WebhookDeliverer(config.webhooks, app.log, options.outbox).attach(anySb);
  app.get('/healthz', async () => ({ status: 'ok', ...sb.stats(), webhooks: webhooks.stats() }));

  // Declared up front so every request keeps one shape (assigning an undeclared property deoptimizes fastify).
  app.decorateRequest('user', undefined);

  // Failed logins are limited per user and address (429 with Retry-After), for the API and the inspector.
  const logins = new LoginLimiter(config.loginLimits, options.now);
  guardLogins(app, logins, (header) => authenticate(config.users, header) !== null);
  const secure = config.publicUrl?.startsWith('https:') ?? false;
  const sessions = new SessionStore({ ttlSeconds: config.sessionSeconds, secure, now: options.now });

  // A cluster node answers for the agent's calls on every node: the owner's answer; 504 if it does not come, 503
  // (Retry-After) for an operation on a dead owner's call inside its lease, whose reads answer from Redis marked
  // stale (X-Switchboard-Stale: the call ids; src/cluster/routing.ts).
  const routing = options.cluster?.routing;
  const routed = async (res: FastifyReply, answer: () => Promise<OperationResponse | Record<string, unknown>>) => {
    try {
      return reply(res, await answer());
    } catch (error) {
      if (error instanceof OwnerUnavailableError) {
        void res.header('retry-after', String(error.retryAfterSeconds));
        return res.code(503).send({ statusCode: 4, statusMessage: error.message });
      }
      if (!(error instanceof RouteTimeoutError) && !(error instanceof RouteFailedError)) throw error;
      return res
        .code(error instanceof RouteTimeoutError ? 504 : 502)
        .send({ statusCode: 4, statusMessage: error.message });
    }
  };
  const read = <T>(res: FastifyReply, routedRead: Routed<T>): T => {
    if (routedRead.stale.length) void res.header('x-switchboard-stale', routedRead.stale.join(', '));
    return routedRead.value;
  };

  /** The simulator's calls, resumed again after a takeover brought calls (none without the simulator). */
  let resumeSimulator = () => undefined as void;

  // Everything under /api/v2 needs HTTP Basic authentication.
  app.register(
    async (api) => {
      api.addHook('onRequest', async (request: FastifyRequest, res: FastifyReply) => {
        const user = authenticate(config.users, request.headers.authorization);
        // No WWW-Authenticate: browsers would prompt and then send the credentials on their own.
        if (!user) return res.code(401).send({ statusCode: 20, statusMessage: 'Authentication failed' });
        request.user = user;
        const cookie = sessions.cookieFor(request.headers.cookie, user, request.ip); // for the CometD handshake
        if (cookie) void res.header('set-cookie', cookie);
      });
      const deviceOf = (request: FastifyRequest) => devices.get((request.user as UserConfig).username) as AgentDevice;

      api.get('/me', async (request) => {
        const device = deviceOf(request);
        return {
          statusCode: 0,
          user: {
            userName: request.user?.username,
            phoneNumber: device.phoneNumber,
            deviceId: device.deviceId,
            deviceUri: device.deviceUri,
          },
        };
      });
      api.get('/me/calls', async (request, res) =>
        routing
          ? routed(res, async () => ({ statusCode: 0, calls: read(res, await routing.calls(deviceOf(request))) }))
          : { statusCode: 0, calls: deviceOf(request).calls() },
      );
      api.get<{ Params: { id: string } }>(
        '/me/calls/:id',
        { schema: { params: callIdParams } },
        async (request, res) =>
          routing
            ? routed(res, async () => read(res, await routing.call(deviceOf(request), request.params.id)))
            : reply(res, deviceOf(request).call(request.params.id)),
      );
      api.post<{ Params: { id: string }; Body: Record<string, unknown> }>(
        '/me/calls/:id',
        { schema: operationSchema },
        async (request, res) =>
          routing
            ? routed(res, async () =>
                stored(sb, await routing.operation(deviceOf(request), request.params.id, request.body)),
              )
            : reply(res, await stored(sb, await deviceOf(request).operation(request.params.id, request.body))),
      );
      api.post<{ Params: { deviceId: string }; Body: Record<string, unknown> }>(
        '/me/devices/:deviceId/calls',
        { schema: { body: DIAL_BODY_SCHEMA } },
        async (request, res) => {
          const device = deviceOf(request);
          if (request.params.deviceId !== device.deviceId) {
            return reply(res, {
              statusCode: 5,
              statusMessage: `No permission: device '${request.params.deviceId}' is not yours`,
            });
          }
          return reply(res, await stored(sb, await device.dial(request.body)));
        },
      );

      if (config.simulator && sb.network instanceof SimulatedNetwork)
        resumeSimulator = simulatorRoutes(api, sb as Switchboard<SimulatedNetwork>, reply);
      void api.register(webhookRoutes, { webhooks });
    },
    { prefix: '/api/v2' },
  );

  // The live inspector at /inspect, for any configured user (it shows every call: turn it off where that matters).
  const inspector = config.inspector === 'off' ? null : new InspectorHub(anySb, { mode: config.inspector });
  if (inspector)
    inspectorRoutes(app, { hub: inspector, authorized: (header) => authenticate(config.users, header) != null });

  // CometD shares the HTTP server: faye answers its own path and WebSocket upgrades, fastify the rest.
  const cometd = attachCometd(app.server, {
    users: config.users,
    devices,
    allowedOrigins: config.allowedOrigins,
    limiter: logins,
    sessions,
    remote: options.cluster?.notifications,
    written: sb.durable ? () => sb.written() : undefined,
  });
  // Before the server waits for its connections to end: CometD holds some open (long polls, WebSockets).
  app.addHook('preClose', async () => cometd.close());

  return {
    app,
    devices,
    cometd,
    webhooks,
    inspector,
    logins,
    sessions,
    resumeSimulatorCalls: () => resumeSimulator(),
  };
}
