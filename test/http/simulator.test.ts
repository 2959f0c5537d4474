/**
 * The simulator API's call routes: what a placed call became (`GET /simulator/calls[/:callId]`), and what a
 * transfer or a retrieval came to, in the answer of the route that started it.
 */
import { ENDED_CALLS_KEPT } from '../../src/http/simulator';
import { flush } from '../harness';
import { startServer } from './support';

type Server = Awaited<ReturnType<typeof startServer>>;
let s: Server;
beforeEach(async () => (s = await startServer()));
afterEach(() => s.close());

const CALL_ID = expect.stringMatching(/^c-/);

/** A call from +15550001111 to the IVR's number, answered by the simulator's application. */
async function answered(): Promise<string> {
  const placed = await s.request('POST', '/api/v2/simulator/calls', {
    body: { from: '+15550001111', to: '+15559990000' },
  });
  const callId = placed.body.callId as string;
  expect(await s.request('POST', `/api/v2/simulator/calls/${callId}/answer`)).toEqual({
    status: 200,
    body: { statusCode: 0, state: 'ANSWERED' },
  });
  return callId;
}

test('a retrievable transfer over the simulator: each answer says what it came to, GET shows the call and its target', async () => {
  const script = { outcome: 'answer', ringFor: 2, hangUpAfter: 3 };
  await s.request('PUT', '/api/v2/simulator/endpoints/+15557770000', { body: script });
  const a = await answered();
  const started = await s.request('POST', `/api/v2/simulator/calls/${a}/transfer`, { body: { to: '+15557770000' } });
  expect(started).toEqual({
    status: 200,
    body: { statusCode: 0, state: 'TRANSFERRING', transferCause: 'NONE', transferCallId: CALL_ID },
  });
  const b = started.body.transferCallId as string;
  expect(await s.request('GET', `/api/v2/simulator/calls/${a}`)).toEqual({
    status: 200,
    body: {
      statusCode: 0,
      call: {
        callId: a,
        from: '+15550001111',
        to: '+15559990000',
        state: 'TRANSFERRING',
        cause: 'NORMAL',
        transferCause: 'NONE',
        farEnd: null,
        transferOf: null,
        transfer: { callId: b, to: '+15557770000', state: 'RING_OUTGOING', result: null },
      },
    },
  });
  expect((await s.request('GET', `/api/v2/simulator/calls/${b}`)).body.call).toEqual({
    callId: b,
    from: '+15550001111',
    to: '+15557770000',
    state: 'RING_OUTGOING',
    cause: 'NORMAL',
    transferCause: 'NONE',
    farEnd: script,
    transferOf: a,
    transfer: null,
  });

  s.clock.increment(2000); // the target answers
  await flush();
  expect((await s.request('GET', `/api/v2/simulator/calls/${a}`)).body.call).toMatchObject({
    state: 'TRANSFERRED',
    transferCause: 'NORMAL',
    transfer: { callId: b, state: 'ANSWERED', result: { state: 'TRANSFERRED', transferCause: 'NORMAL' } },
  });
  expect(await s.request('POST', `/api/v2/simulator/calls/${a}/retrieve`)).toEqual({
    status: 200,
    body: { statusCode: 0, state: 'ANSWERED', transferCause: 'NORMAL' },
  });
  expect((await s.request('GET', `/api/v2/simulator/calls/${b}`)).body.call).toMatchObject({
    state: 'IDLE',
    cause: 'NORMAL',
  });

  expect(await s.request('POST', `/api/v2/simulator/calls/${a}/hangup`)).toEqual({
    status: 200,
    body: { statusCode: 0 },
  });
  await flush();
  expect((await s.request('GET', `/api/v2/simulator/calls/${a}`)).body.call).toMatchObject({
    state: 'IDLE',
    cause: 'NORMAL',
    transfer: { state: 'IDLE' },
  });
  const listed = (await s.request('GET', '/api/v2/simulator/calls')).body;
  expect(listed).toMatchObject({ statusCode: 0 });
  expect((listed.calls as Array<{ callId: string; state: string }>).map((c) => [c.callId, c.state])).toEqual([
    [a, 'IDLE'],
    [b, 'IDLE'],
  ]);
});

test('a transfer that fails at once answers with its transferCause and the target leg, whose cause GET gives', async () => {
  await s.request('PUT', '/api/v2/simulator/endpoints/+15556660000', { body: { outcome: 'busy' } });
  const a = await answered();
  const busy = await s.request('POST', `/api/v2/simulator/calls/${a}/transfer`, { body: { to: '+15556660000' } });
  expect(busy).toEqual({
    status: 200,
    body: { statusCode: 0, state: 'ANSWERED', transferCause: 'TARGETREJECT', transferCallId: CALL_ID },
  });
  expect(
    (await s.request('GET', `/api/v2/simulator/calls/${busy.body.transferCallId as string}`)).body.call,
  ).toMatchObject({
    state: 'IDLE',
    cause: 'BUSY',
    farEnd: { outcome: 'busy' },
    transferOf: a,
  });
  const nowhere = await s.request('POST', `/api/v2/simulator/calls/${a}/transfer`, { body: { to: '+15550000000' } });
  expect(nowhere).toEqual({
    status: 200,
    body: { statusCode: 0, state: 'ANSWERED', transferCause: 'FAIL', transferCallId: CALL_ID },
  });
  expect(
    (await s.request('GET', `/api/v2/simulator/calls/${nowhere.body.transferCallId as string}`)).body.call,
  ).toMatchObject({
    state: 'IDLE',
    cause: 'UNOBTAINABLE',
    farEnd: null,
  });
  expect((await s.request('GET', `/api/v2/simulator/calls/${a}`)).body.call).toMatchObject({
    state: 'ANSWERED',
    transferCause: 'FAIL',
    transfer: {
      callId: nowhere.body.transferCallId,
      to: '+15550000000',
      state: 'IDLE',
      result: { state: 'ANSWERED', transferCause: 'FAIL' },
    },
  });
});

test('unknown calls are 404 / 6; a target leg refuses the application routes; nothing changes', async () => {
  expect(await s.request('GET', '/api/v2/simulator/calls/c-nope')).toEqual({
    status: 404,
    body: { statusCode: 6, statusMessage: "Call 'c-nope' not found among the calls placed with the simulator" },
  });
  expect(await s.request('GET', '/api/v2/simulator/calls')).toEqual({
    status: 200,
    body: { statusCode: 0, calls: [] },
  });
  await s.request('PUT', '/api/v2/simulator/endpoints/+15557770000', { body: { outcome: 'noAnswer' } });
  const a = await answered();
  const b = (await s.request('POST', `/api/v2/simulator/calls/${a}/transfer`, { body: { to: '+15557770000' } })).body
    .transferCallId as string;
  expect(await s.request('POST', `/api/v2/simulator/calls/${b}/transfer`, { body: { to: '+15557770000' } })).toEqual({
    status: 409,
    body: { statusCode: 2, statusMessage: `Call '${b}' is the target leg of ${a}'s transfer; it has no application` },
  });
  expect((await s.request('GET', `/api/v2/simulator/calls/${a}`)).body.call).toMatchObject({
    state: 'TRANSFERRING',
    transfer: { callId: b },
  });
  expect(await s.request('GET', '/api/v2/simulator/calls', { user: 'agent5005:wrong' })).toMatchObject({ status: 401 });
});

test(`ended calls are described until ${ENDED_CALLS_KEPT} more have ended; live ones always`, async () => {
  const place = async () =>
    (await s.request('POST', '/api/v2/simulator/calls', { body: { from: '+15550001111', to: '+15559990000' } })).body
      .callId as string;
  const live = await place();
  const first = await place();
  await s.request('POST', `/api/v2/simulator/calls/${first}/hangup`);
  await flush();
  for (let i = 0; i < ENDED_CALLS_KEPT - 1; i++) {
    const id = await place();
    await s.request('POST', `/api/v2/simulator/calls/${id}/hangup`);
  }
  await flush();
  expect((await s.request('GET', `/api/v2/simulator/calls/${first}`)).body.call).toMatchObject({ state: 'IDLE' });
  const last = await place();
  await s.request('POST', `/api/v2/simulator/calls/${last}/hangup`);
  await flush();
  expect((await s.request('GET', `/api/v2/simulator/calls/${first}`)).status).toBe(404);
  expect((await s.request('GET', `/api/v2/simulator/calls/${live}`)).body.call).toMatchObject({
    state: 'CALL_INCOMING',
  });
  expect(((await s.request('GET', '/api/v2/simulator/calls')).body.calls as unknown[]).length).toBe(
    ENDED_CALLS_KEPT + 1,
  );
}, 30000); // about 400 HTTP requests: a few seconds on a loaded machine
