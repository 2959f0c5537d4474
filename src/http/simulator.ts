/**
 * The simulator API (under /api/v2/simulator): drives the embedded simulated network, and plays the IVR
 * application's part on the calls it places, so that every path can be tried from curl or a test:
 * - far ends: `PUT /endpoints/:address`, `PUT /services/:name` (how a dialled number or service behaves);
 * - callers: `POST /calls` (an inbound call), `POST /calls/:callId/hangup` (the far end hangs up);
 * - the application, on a call placed here (Aculab channel methods): `POST /calls/:callId/answer`,
 *   `POST /calls/:callId/transfer` (a retrievable transfer) and `POST /calls/:callId/retrieve`.
 * Calls placed to an agent's DN ring that agent's desk instead; the application routes refuse them.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CallChannelError, HangupError, type Channel, type OperationResponse, type Switchboard } from '../index';
import { OUTCOMES } from '../network/simulated';
import { NUMBER_SCHEMA } from '../engine/numbers';

const behaviourSchema = {
  body: {
    type: 'object',
    required: ['outcome'],
    additionalProperties: false,
    properties: {
      outcome: { type: 'string', enum: [...OUTCOMES] },
      ringFor: { type: 'number', minimum: 0, maximum: 86400 },
      hangUpAfter: { type: 'number', minimum: 0, maximum: 86400 },
    },
  },
} as const;

const number = NUMBER_SCHEMA;

type Behaviour = { outcome: (typeof OUTCOMES)[number]; ringFor?: number; hangUpAfter?: number };

export function simulatorRoutes(api: FastifyInstance, sb: Switchboard, reply: (res: FastifyReply, body: OperationResponse | Record<string, unknown>) => FastifyReply): void {
  /** Application channels of the calls placed here, while they are up. */
  const channels = new Map<string, Channel>();
  sb.on('hangup', (event) => channels.delete(event.callId));

  const simulate = (res: FastifyReply, fn: () => unknown) => {
    try {
      fn();
      return reply(res, { statusCode: 0 });
    } catch (error) {
      return reply(res, { statusCode: 1, statusMessage: (error as Error).message });
    }
  };

  api.put<{ Params: { address: string }; Body: Behaviour }>('/simulator/endpoints/:address', { schema: behaviourSchema }, async (request, res) =>
    simulate(res, () => sb.network.addEndpoint(request.params.address, request.body)),
  );
  api.put<{ Params: { name: string }; Body: Behaviour }>('/simulator/services/:name', { schema: behaviourSchema }, async (request, res) =>
    simulate(res, () => sb.network.addInboundService(request.params.name, request.body)),
  );
  api.post<{ Body: { from: string; to: string } }>(
    '/simulator/calls',
    { schema: { body: { type: 'object', required: ['from', 'to'], additionalProperties: false, properties: { from: number, to: number } } } },
    async (request, res) => {
      const { channel } = sb.network.placeCall(request.body);
      const callId = channel.callId as string;
      if (sb.hasCall(callId)) channels.set(callId, channel);
      return res.code(201).send({ statusCode: 0, callId });
    },
  );
  api.post<{ Params: { callId: string } }>('/simulator/calls/:callId/hangup', async (request, res) => {
    if (!sb.hasCall(request.params.callId)) return reply(res, { statusCode: 6, statusMessage: `Call '${request.params.callId}' not found` });
    sb.network.farEnd(request.params.callId).hangUp();
    return reply(res, { statusCode: 0 });
  });

  /** Run an application method on a call placed here; answers with the channel's state once it settles. */
  const application = async (res: FastifyReply, callId: string, method: (channel: Channel) => Promise<unknown>) => {
    const channel = channels.get(callId);
    if (!channel || !sb.hasCall(callId)) return reply(res, { statusCode: 6, statusMessage: `Call '${callId}' not found among the calls placed with the simulator` });
    try {
      // Started now; the answer does not wait for the far end (a transfer may ring for a long time).
      const done = method(channel);
      done.catch(() => undefined);
      await Promise.race([done, new Promise((resolve) => setImmediate(resolve))]);
      return reply(res, { statusCode: 0, state: channel.state });
    } catch (error) {
      if (error instanceof CallChannelError || error instanceof HangupError) {
        return reply(res, { statusCode: 2, statusMessage: `${error.message} (the call is ${channel.state})` });
      }
      return reply(res, { statusCode: 1, statusMessage: (error as Error).message });
    }
  };

  api.post<{ Params: { callId: string } }>('/simulator/calls/:callId/answer', async (request, res) =>
    application(res, request.params.callId, (channel) => channel.answer()),
  );
  api.post<{ Params: { callId: string }; Body: { to: string; secondsTimeout?: number | null } }>(
    '/simulator/calls/:callId/transfer',
    {
      schema: {
        body: {
          type: 'object',
          required: ['to'],
          additionalProperties: false,
          properties: { to: number, secondsTimeout: { type: ['number', 'null'], exclusiveMinimum: 0, maximum: 86400 } },
        },
      },
    },
    async (request, res) =>
      application(res, request.params.callId, (channel) => {
        const options = request.body.secondsTimeout === undefined ? {} : { secondsTimeout: request.body.secondsTimeout };
        if (!channel.tonePlayer) channel.createTonePlayer(); // the caller hears ringback while the target rings
        return channel.retrievableTransfer(sb.createChannel(), request.body.to, options);
      }),
  );
  api.post<{ Params: { callId: string } }>('/simulator/calls/:callId/retrieve', async (request, res) =>
    application(res, request.params.callId, (channel) => channel.retrieveTransferredCall()),
  );
}
