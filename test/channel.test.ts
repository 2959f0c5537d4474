/**
 * The channel statechart outside transfers: incoming, outgoing, hold, reject, ERROR, far-end hang-ups, and
 * the callbacks each path emits (initiate / answer / disconnect and the Catapult v1 hangup).
 */
import { Cause, SimulatedClock, State, createSwitchboard, type DisconnectCallback } from '../src';
import { expectFields, ISO_MS, makeHarness } from './harness';

describe('incoming calls', () => {
  test('placeCall reaches the application: CALL_INCOMING, initiate, incomingCall', async () => {
    const h = makeHarness();
    const seen: string[] = [];
    h.sb.on('incomingCall', (channel) => seen.push(`${channel.callId}:${channel.state}`));
    const { channel, farEnd } = h.sb.network.placeCall({ from: '+15550001111', to: '+15559990000' });
    expect(channel.state).toBe(State.CALL_INCOMING);
    expect(channel.callId).toMatch(/^c-[A-Za-z0-9_-]{21}$/);
    expect(farEnd.callId).toBe(channel.callId);
    expect(seen).toEqual([`${channel.callId}:CALL_INCOMING`]);
    expect(h.callbacks).toEqual([
      {
        eventType: 'initiate',
        eventTime: '1970-01-01T00:00:00.000Z',
        accountId: '9900000',
        applicationId: 'app-1',
        from: '+15550001111',
        to: '+15559990000',
        direction: 'inbound',
        callId: channel.callId,
        callUrl: `https://sb.example/api/v2/accounts/9900000/calls/${channel.callId}`,
        startTime: '1970-01-01T00:00:00.000Z',
      },
    ]);
    await h.assertClean();
  });

  test('ring → answer → app hangs up: states, one disconnect(hangup) with the exact payload', async () => {
    const h = makeHarness();
    const { channel } = h.sb.network.placeCall({ from: '+15550001111', to: '+15559990000' });
    expect(await channel.ring()).toBe(State.RING_INCOMING);
    await h.advance(1.5);
    expect(await channel.answer()).toBe(State.ANSWERED);
    await h.advance(10);
    expect(await channel.hangUp()).toBe(State.IDLE);
    expect(channel.cause()).toBe(Cause.NORMAL);
    expect(h.statesOf(channel.callId)).toEqual([
      State.WAITING,
      State.CALL_INCOMING,
      State.RING_INCOMING,
      State.ANSWERING,
      State.ANSWERED,
      State.IDLE,
    ]);
    const disconnect = h.callbacks.at(-1) as DisconnectCallback;
    expect(disconnect).toEqual({
      eventType: 'disconnect',
      eventTime: '1970-01-01T00:00:11.500Z',
      accountId: '9900000',
      applicationId: 'app-1',
      from: '+15550001111',
      to: '+15559990000',
      direction: 'inbound',
      callId: channel.callId,
      callUrl: `https://sb.example/api/v2/accounts/9900000/calls/${channel.callId}`,
      startTime: '1970-01-01T00:00:00.000Z',
      answerTime: '1970-01-01T00:00:01.500Z',
      endTime: '1970-01-01T00:00:11.500Z',
      cause: 'hangup',
    });
    expect(h.hangups).toEqual([
      {
        eventType: 'hangup',
        callId: channel.callId,
        callUri: `https://sb.example/v1/users/9900000/calls/${channel.callId}`,
        from: '+15550001111',
        to: '+15559990000',
        cause: 'NORMAL_CLEARING',
        time: '1970-01-01T00:00:11.500Z',
      },
    ]);
    await h.assertClean();
  });

  test('ring with secondsRingtime resolves after ringing that long', async () => {
    const h = makeHarness();
    const { channel } = h.sb.network.placeCall({ from: '+1555', to: '+1666' });
    const ringing = channel.ring({ secondsRingtime: 3 });
    await h.advance(3);
    expect(await ringing).toBe(State.RING_INCOMING);
    await h.assertClean();
  });

  test('the caller abandons before answer → IDLE, disconnect(cancel), ORIGINATOR_CANCEL', async () => {
    const h = makeHarness();
    const { channel, farEnd } = h.sb.network.placeCall({ from: '+1555', to: '+1666' });
    farEnd.hangUp();
    expect(channel.state).toBe(State.IDLE);
    expect(channel.cause()).toBe(Cause.NORMAL);
    expect(h.summary()).toEqual([
      ['initiate', channel.callId],
      ['disconnect', channel.callId, 'cancel'],
    ]);
    expectFields(h.callbacks[1], ['startTime', 'endTime', 'cause']);
    expect(h.hangups[0].cause).toBe('ORIGINATOR_CANCEL');
    farEnd.hangUp(); // a late indication for an ended leg changes nothing
    expect(h.callbacks).toHaveLength(2);
    await h.assertClean();
  });

  test.each([
    [{}, Cause.REJECTED, 'rejected', 'CALL_REJECTED'],
    [{ cause: Cause.BUSY }, Cause.BUSY, 'busy', 'USER_BUSY'],
    [{ cause: 'BUSY' as const, rawCause: 603 }, Cause.REJECTED, 'rejected', 'CALL_REJECTED'],
    [{ rawCause: 486 }, Cause.BUSY, 'busy', 'USER_BUSY'],
  ])('reject(%j) → IDLE with that cause', async (options, aculab, bandwidth, catapult) => {
    const h = makeHarness();
    const { channel } = h.sb.network.placeCall({ from: '+1555', to: '+1666' });
    expect(await channel.reject(options)).toBe(State.IDLE);
    expect(channel.cause()).toBe(aculab);
    expect(h.summary().at(-1)).toEqual(['disconnect', channel.callId, bandwidth]);
    expect(h.hangups[0].cause).toBe(catapult);
    await h.assertClean();
  });

  test('reject with an unknown cause is a TypeError and changes nothing', async () => {
    const h = makeHarness();
    const { channel } = h.sb.network.placeCall({ from: '+1555', to: '+1666' });
    await expect(channel.reject({ cause: 'NOPE' as Cause })).rejects.toThrow(/unknown cause 'NOPE'/);
    expect(channel.state).toBe(State.CALL_INCOMING);
    await h.assertClean();
  });

  test('hold and unhold: ANSWERED → HOLDING → ON_HOLD → ANSWERED', async () => {
    const h = makeHarness();
    const { channel } = h.sb.network.placeCall({ from: '+1555', to: '+1666' });
    await channel.answer();
    expect(await channel.hold()).toBe(State.ON_HOLD);
    expect(await channel.unhold()).toBe(State.ANSWERED);
    expect(h.statesOf(channel.callId).slice(-4)).toEqual([
      State.ANSWERED,
      State.HOLDING,
      State.ON_HOLD,
      State.ANSWERED,
    ]);
    await h.assertClean();
  });

  test('a signalling failure → ERROR; hanging up then sends disconnect(error) with errorMessage and errorId', async () => {
    const h = makeHarness();
    const { channel, farEnd } = h.sb.network.placeCall({ from: '+1555', to: '+1666' });
    await channel.answer();
    farEnd.fail('SIP dialog lost');
    expect(channel.state).toBe(State.ERROR);
    expect(h.summary().at(-1)?.[0]).toBe('initiate');
    expect(await channel.hangUp()).toBe(State.IDLE);
    expect(channel.cause()).toBe(Cause.ERROR);
    const disconnect = h.callbacks.at(-1) as DisconnectCallback;
    expectFields(disconnect, ['startTime', 'answerTime', 'endTime', 'cause', 'errorMessage', 'errorId']);
    expect(disconnect).toMatchObject({ cause: 'error', errorMessage: 'SIP dialog lost' });
    expect(disconnect.errorId).toMatch(/^[A-Za-z0-9_-]{21}$/);
    await h.assertClean();
  });
});

describe('outgoing calls', () => {
  test('call() → CALL_OUTGOING → RING_OUTGOING → ANSWERED; answer callback; far end hangs up', async () => {
    const h = makeHarness();
    h.sb.network.addEndpoint('+15557770000', { outcome: 'answer', ringFor: 4, hangUpAfter: 30 });
    const channel = h.sb.createChannel();
    const result = channel.call('+15557770000', { from: '+15550001111', tag: 'campaign-7' });
    expect(channel.state).toBe(State.RING_OUTGOING);
    await h.advance(4);
    expect(await result).toBe(State.ANSWERED);
    const answer = h.callbacks.at(-1);
    expectFields(answer as object, ['startTime', 'answerTime', 'tag']);
    expect(answer).toMatchObject({
      eventType: 'answer',
      direction: 'outbound',
      tag: 'campaign-7',
      answerTime: '1970-01-01T00:00:04.000Z',
    });
    await h.advance(30);
    expect(channel.state).toBe(State.IDLE);
    expect(h.summary()).toEqual([
      ['answer', channel.callId],
      ['disconnect', channel.callId, 'hangup'],
    ]);
    expect(h.callbacks[1]).toMatchObject({ tag: 'campaign-7', endTime: '1970-01-01T00:00:34.000Z' });
    expect(h.statesOf(channel.callId)).toEqual([State.CALL_OUTGOING, State.RING_OUTGOING, State.ANSWERED, State.IDLE]);
    await h.assertClean();
  });

  test.each([
    ['busy', { outcome: 'busy' } as const, 0, Cause.BUSY, 'busy'],
    ['reject', { outcome: 'reject', ringFor: 2 } as const, 2, Cause.REJECTED, 'rejected'],
    ['unobtainable', { outcome: 'unobtainable' } as const, 0, Cause.UNOBTAINABLE, 'error'],
    ['no answer within the call timeout', { outcome: 'noAnswer' } as const, 30, Cause.NOANSWER, 'timeout'],
  ])('%s → IDLE with cause, one disconnect', async (_label, behaviour, seconds, aculab, bandwidth) => {
    const h = makeHarness();
    h.sb.network.addEndpoint('+15557770000', behaviour);
    const channel = h.sb.createChannel();
    const result = channel.call('+15557770000', { secondsTimeout: 30 });
    await h.advance(seconds);
    expect(await result).toBe(State.IDLE);
    expect(channel.cause()).toBe(aculab);
    expect(h.summary()).toEqual([['disconnect', channel.callId, bandwidth]]);
    await h.assertClean();
  });

  test('the application hangs up while ringing → disconnect(cancel); the channel can call again', async () => {
    const h = makeHarness();
    h.sb.network.addEndpoint('+15557770000', { outcome: 'noAnswer' });
    h.sb.network.addEndpoint('+15558880000', { outcome: 'answer', ringFor: 1 });
    const channel = h.sb.createChannel();
    const first = channel.call('+15557770000', { secondsTimeout: null });
    await h.advance(10);
    await channel.hangUp();
    expect(await first).toBe(State.IDLE);
    const firstId = channel.callId;
    expect(h.summary()).toEqual([['disconnect', firstId, 'cancel']]);

    const second = channel.call('+15558880000');
    expect(channel.callId).not.toBe(firstId);
    expect(channel.cause()).toBe(Cause.NORMAL);
    await h.advance(1);
    expect(await second).toBe(State.ANSWERED);
    await h.assertClean();
  });
});

describe('supervisor', () => {
  test('a throwing listener neither stops the engine nor the other listeners', async () => {
    const h = makeHarness();
    const errors: string[] = [];
    h.sb.on('listenerError', ({ event, error }) => errors.push(`${event}: ${(error as Error).message}`));
    h.sb.on('disconnect', () => {
      throw new Error('boom');
    });
    const after: string[] = [];
    h.sb.on('disconnect', (p) => after.push(p.cause));
    const { channel } = h.sb.network.placeCall({ from: '+1555', to: '+1666' });
    await channel.answer();
    expect(await channel.hangUp()).toBe(State.IDLE);
    expect(errors).toEqual(['disconnect: boom']);
    expect(after).toEqual(['hangup']);
    await h.assertClean();
  });

  test('once() fires once; off() removes a listener', async () => {
    const h = makeHarness();
    const seen: string[] = [];
    const listener = (p: { callId: string }) => seen.push(`on:${p.callId}`);
    h.sb.once('initiate', (p) => seen.push(`once:${p.callId}`));
    h.sb.on('initiate', listener);
    const first = h.sb.network.placeCall({ from: '+1555', to: '+1666' }).channel;
    h.sb.off('initiate', listener);
    h.sb.network.placeCall({ from: '+1555', to: '+1666' });
    expect(seen).toEqual([`once:${first.callId}`, `on:${first.callId}`]);
    await h.assertClean();
  });

  test('close() ends every live call with its terminal event and refuses new ones', async () => {
    const h = makeHarness();
    h.sb.network.addEndpoint('+15557770000', { outcome: 'noAnswer' });
    const { channel } = h.sb.network.placeCall({ from: '+1555', to: '+1666' });
    await channel.answer();
    const out = h.sb.createChannel();
    void out.call('+15557770000');
    h.sb.close();
    expect(h.summary().filter(([type]) => type === 'disconnect')).toHaveLength(2);
    expect(() => h.sb.network.placeCall({ from: '+1555', to: '+1666' })).toThrow(/closed/);
    await h.assertClean();
  });

  test('every timestamp is ISO 8601 UTC with milliseconds', async () => {
    const h = makeHarness();
    h.clock.set(Date.UTC(2026, 10, 21, 9, 30, 0, 125));
    const { channel } = h.sb.network.placeCall({ from: '+1555', to: '+1666' });
    await channel.answer();
    await channel.hangUp();
    for (const payload of h.callbacks) {
      for (const key of ['eventTime', 'startTime', 'answerTime', 'endTime'] as const) {
        const value = (payload as unknown as Record<string, string | undefined>)[key];
        if (value !== undefined) expect(value).toMatch(ISO_MS);
      }
    }
    expect(h.callbacks[0].eventTime).toBe('2026-11-21T09:30:00.125Z');
    await h.assertClean();
  });
});

describe('simulated network input', () => {
  test.each([
    [() => makeHarness().sb.network.addEndpoint('', { outcome: 'answer' }), /'address' must be a non-empty string/],
    [
      () => makeHarness().sb.network.addEndpoint('+1', { outcome: 'ring' as 'answer' }),
      /outcome must be one of answer, busy, reject, noAnswer, unobtainable, clearBeforeAnswer/,
    ],
    [
      () => makeHarness().sb.network.addEndpoint('+1', { outcome: 'answer', ringFor: -2 }),
      /ringFor must be a number of seconds >= 0/,
    ],
    [
      () => makeHarness().sb.network.addInboundService('vm', { outcome: 'busy', hangUpAfter: 3 }),
      /hangUpAfter only applies to outcome 'answer'/,
    ],
    [() => makeHarness().sb.network.addInboundService('vm', null as never), /behaviour must be an object/],
    [() => makeHarness().sb.network.placeCall({ from: '+1', to: '' }), /'to' must be a non-empty string/],
  ])('bad input %# is refused with a clear error', (action, message) => {
    expect(action).toThrow(message);
  });

  test('createSwitchboard validates its options', () => {
    expect(() => createSwitchboard({ publicUrl: 'not a url' })).toThrow(/publicUrl must be an absolute URL/);
    expect(() => createSwitchboard({ accountId: '' })).toThrow(/accountId must be a non-empty string/);
    expect(createSwitchboard({ publicUrl: 'https://x.example/' }).publicUrl).toBe('https://x.example');
  });
});

describe('inspection', () => {
  test('the inspect option sees every leg and transfer actor (ids are the call ids)', async () => {
    const seen = new Set<string>();
    const sb = createSwitchboard({
      clock: new SimulatedClock(),
      inspect: (e) => {
        if (e.type === '@xstate.snapshot') seen.add((e.actorRef as unknown as { id: string }).id);
      },
    });
    sb.network.addEndpoint('+1777', { outcome: 'busy' });
    const { channel } = sb.network.placeCall({ from: '+1555', to: '+1666' });
    await channel.answer();
    channel.createTonePlayer();
    const other = sb.createChannel();
    await channel.retrievableTransfer(other, '+1777');
    expect(seen.has(channel.callId as string)).toBe(true);
    expect(seen.has(other.callId as string)).toBe(true);
    expect(seen.size).toBe(3);
  });
});
