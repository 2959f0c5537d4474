/**
 * The simulator API (under /api/v2/simulator): drives the embedded simulated network, and plays the IVR
 * application's part on the calls it places, so that every path can be tried from curl or a test:
 * - far ends: `PUT /endpoints/:address`, `PUT /services/:name` (how a dialled number or service behaves);
 * - callers: `POST /calls` (an inbound call), `POST /calls/:callId/hangup` (the far end hangs up);
 * - what became of them: `GET /calls` and `GET /calls/:callId` (state, causes, the transfer and its target);
 * - the application, on a call placed here (Aculab channel methods): `POST /calls/:callId/answer`,
 *   `POST /calls/:callId/transfer` (a retrievable transfer) and `POST /calls/:callId/retrieve`.
 * Calls placed to an agent's DN ring that agent's desk instead; the application routes refuse them.
 * docs/simulator.md has the table of routes, bodies, answers and errors.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CallChannelError, HangupError, State, type Channel, type OperationResponse, type Switchboard } from '../index';
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
      earlyMedia: { type: 'boolean' },
    },
  },
} as const;

const number = NUMBER_SCHEMA;

type Behaviour = { outcome: (typeof OUTCOMES)[number]; ringFor?: number; hangUpAfter?: number; earlyMedia?: boolean };

/** How many ended calls `GET /calls` and `GET /calls/:callId` still describe (the oldest are forgotten). */
export const ENDED_CALLS_KEPT = 200;

/** A call placed with the simulator, or the target leg of a transfer started here. */
interface SimulatorCall {
  callId: string;
  from: string;
  to: string;
  channel: Channel;
  /** The far end's script when it was dialled (a transfer target); null for a caller, driven by /hangup. */
  farEnd: Behaviour | null;
  /** For a transfer's target leg: the call transferred. */
  transferOf: string | null;
  /** This call's last transfer: its target leg and, once it settled, what it resolved. */
  transfer: { callId: string; to: string; result: { state: string; transferCause: string } | null } | null;
}

/**
 * A restarted node's calls (docs/durability.md): the live calls placed here before the restart, and their
 * transfers' target legs, as this application knew them. Its promises did not survive its process, so the
 * outcome of a transfer still ringing is taken from the parent's state change out of TRANSFERRING.
 */
function resumeCalls(sb: Switchboard, calls: Map<string, SimulatorCall>): void {
  const live = sb.inspection.liveCalls();
  const ours = (callId: string) => {
    const channel = sb.channel(callId);
    return channel && channel.agentLock === null ? channel : undefined;
  };
  for (const leg of live) {
    const channel = ours(leg.callId);
    if (calls.has(leg.callId)) continue; // known already (a takeover resumes only the calls it brought)
    if (channel && leg.direction === 'inbound' && leg.parentCallId === undefined) {
      const { callId, from, to } = leg;
      calls.set(callId, { callId, from, to, channel, farEnd: null, transferOf: null, transfer: null });
    }
  }
  const pending = new Map<string, NonNullable<SimulatorCall['transfer']>>();
  for (const leg of live) {
    const parent = leg.parentCallId === undefined ? undefined : calls.get(leg.parentCallId);
    const channel = ours(leg.callId);
    if (!parent || !channel || parent.transferOf !== null || calls.has(leg.callId)) continue;
    const transfer: NonNullable<SimulatorCall['transfer']> = { callId: leg.callId, to: leg.to, result: null };
    parent.transfer = transfer;
    if (parent.channel.state === State.TRANSFERRING) pending.set(parent.callId, transfer);
    const farEnd = sb.network.endpoint(leg.to) ?? null;
    const { callId, from, to } = leg;
    calls.set(callId, { callId, from, to, channel, farEnd, transferOf: parent.callId, transfer: null });
  }
  if (pending.size === 0) return;
  sb.on('legState', ({ callId, previous, state }) => {
    const transfer = pending.get(callId);
    if (!transfer || previous !== State.TRANSFERRING || state === State.TRANSFERRING) return;
    pending.delete(callId);
    transfer.result = { state, transferCause: (calls.get(callId) as SimulatorCall).channel.transferCause() };
  });
}

export function simulatorRoutes(
  api: FastifyInstance,
  sb: Switchboard,
  reply: (res: FastifyReply, body: OperationResponse | Record<string, unknown>) => FastifyReply,
): () => void {
  /** The calls placed here and their transfers' target legs: live ones, then the last ENDED_CALLS_KEPT ended. */
  const calls = new Map<string, SimulatorCall>();
  const ended: string[] = [];
  const hungUp = (callId: string) => {
    if (!calls.has(callId) || ended.includes(callId)) return;
    ended.push(callId);
    while (ended.length > ENDED_CALLS_KEPT) calls.delete(ended.shift() as string);
  };
  sb.on('hangup', (event) => hungUp(event.callId));
  resumeCalls(sb, calls);
  const resume = () => resumeCalls(sb, calls);

  const view = (call: SimulatorCall) => {
    const target = call.transfer && calls.get(call.transfer.callId);
    return {
      callId: call.callId,
      from: call.from,
      to: call.to,
      state: call.channel.state,
      cause: call.channel.cause(),
      transferCause: call.channel.transferCause(),
      farEnd: call.farEnd,
      transferOf: call.transferOf,
      transfer: call.transfer && { ...call.transfer, state: target ? target.channel.state : null },
    };
  };
  const unknown = (res: FastifyReply, callId: string) =>
    reply(res, {
      statusCode: 6,
      statusMessage: `Call '${callId}' not found among the calls placed with the simulator`,
    });

  const simulate = (res: FastifyReply, fn: () => unknown) => {
    try {
      fn();
      return reply(res, { statusCode: 0 });
    } catch (error) {
      return reply(res, { statusCode: 1, statusMessage: (error as Error).message });
    }
  };

  api.put<{ Params: { address: string }; Body: Behaviour }>(
    '/simulator/endpoints/:address',
    { schema: behaviourSchema },
    async (request, res) =>
      simulate(res, () => {
        sb.network.addEndpoint(request.params.address, request.body);
      }),
  );
  api.put<{ Params: { name: string }; Body: Behaviour }>(
    '/simulator/services/:name',
    { schema: behaviourSchema },
    async (request, res) =>
      simulate(res, () => {
        sb.network.addInboundService(request.params.name, request.body);
      }),
  );
  api.post<{ Body: { from: string; to: string } }>(
    '/simulator/calls',
    {
      schema: {
        body: {
          type: 'object',
          required: ['from', 'to'],
          additionalProperties: false,
          properties: { from: number, to: number },
        },
      },
    },
    async (request, res) => {
      const { channel } = sb.network.placeCall(request.body);
      const callId = channel.callId as string;
      if (sb.hasCall(callId)) {
        calls.set(callId, { callId, ...request.body, channel, farEnd: null, transferOf: null, transfer: null });
      }
      return res.code(201).send({ statusCode: 0, callId });
    },
  );
  api.get('/simulator/calls', async (_request, res) =>
    reply(res, { statusCode: 0, calls: [...calls.values()].map(view) }),
  );
  api.get<{ Params: { callId: string } }>('/simulator/calls/:callId', async (request, res) => {
    const call = calls.get(request.params.callId);
    return call ? reply(res, { statusCode: 0, call: view(call) }) : unknown(res, request.params.callId);
  });
  api.post<{ Params: { callId: string } }>('/simulator/calls/:callId/hangup', async (request, res) => {
    if (!sb.hasCall(request.params.callId))
      return reply(res, { statusCode: 6, statusMessage: `Call '${request.params.callId}' not found` });
    sb.network.farEnd(request.params.callId).hangUp();
    return reply(res, { statusCode: 0 });
  });

  /**
   * Run an application method on a live call placed here; answers with the channel's state once it settles
   * (and `outcome`'s fields: what a transfer or a retrieval came to).
   */
  const application = async (
    res: FastifyReply,
    callId: string,
    method: (call: SimulatorCall) => Promise<unknown>,
    outcome: (call: SimulatorCall) => Record<string, unknown> = () => ({}),
  ) => {
    const call = calls.get(callId);
    if (!call || !sb.hasCall(callId)) return unknown(res, callId);
    if (call.transferOf !== null) {
      return reply(res, {
        statusCode: 2,
        statusMessage: `Call '${callId}' is the target leg of ${call.transferOf}'s transfer; it has no application`,
      });
    }
    const { channel } = call;
    try {
      // Started now; the answer does not wait for the far end (a transfer may ring for a long time).
      const done = method(call);
      done.catch(() => undefined);
      await Promise.race([done, new Promise((resolve) => setImmediate(resolve))]);
      return reply(res, { statusCode: 0, state: channel.state, ...outcome(call) });
    } catch (error) {
      if (error instanceof CallChannelError || error instanceof HangupError) {
        return reply(res, { statusCode: 2, statusMessage: `${error.message} (the call is ${channel.state})` });
      }
      return reply(res, { statusCode: 1, statusMessage: (error as Error).message });
    }
  };

  api.post<{ Params: { callId: string } }>('/simulator/calls/:callId/answer', async (request, res) =>
    application(res, request.params.callId, (call) => call.channel.answer()),
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
      application(
        res,
        request.params.callId,
        (call) => {
          const { to } = request.body;
          const options =
            request.body.secondsTimeout === undefined ? {} : { secondsTimeout: request.body.secondsTimeout };
          if (!call.channel.tonePlayer) call.channel.createTonePlayer(); // the caller hears ringback while the target rings
          const target = sb.createChannel();
          const settled = call.channel.retrievableTransfer(target, to, options);
          // The target leg is dialled as the transfer starts (a refused transfer has thrown by now).
          const targetId = target.callId as string;
          const transfer: NonNullable<SimulatorCall['transfer']> = { callId: targetId, to, result: null };
          call.transfer = transfer;
          const farEnd = sb.network.endpoint(to) ?? null;
          calls.set(targetId, {
            callId: targetId,
            from: call.from,
            to,
            channel: target,
            farEnd,
            transferOf: call.callId,
            transfer: null,
          });
          if (!sb.hasCall(targetId)) hungUp(targetId); // refused by the network at once (unobtainable, busy)
          void settled.then(
            (state) => (transfer.result = { state, transferCause: call.channel.transferCause() }),
            () => undefined,
          );
          return settled;
        },
        (call) => ({ transferCause: call.channel.transferCause(), transferCallId: call.transfer?.callId }),
      ),
  );
  api.post<{ Params: { callId: string } }>('/simulator/calls/:callId/retrieve', async (request, res) =>
    application(
      res,
      request.params.callId,
      (call) => call.channel.retrieveTransferredCall(),
      (call) => ({ transferCause: call.channel.transferCause() }),
    ),
  );
  return resume;
}
