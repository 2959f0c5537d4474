/**
 * docs/behaviour.md §2 preconditions, exactly as Aculab: IDLE → HangupError first, then not ANSWERED (or the
 * method's required state) → CallChannelError, then `other` not IDLE, then no tone player. A refused call
 * changes nothing: same states, no callback, no leg, no timer.
 */
import { CallChannelError, HangupError, State, type Channel } from '../src';
import { answeredCall, makeHarness, type Harness } from './harness';

async function expectRefused(
  h: Harness,
  action: () => Promise<unknown>,
  error: typeof HangupError | typeof CallChannelError,
  message: RegExp,
  channels: Channel[],
) {
  const states = channels.map((c) => c.state);
  const callbacks = h.callbacks.length;
  const stats = h.sb.stats();
  let thrown: unknown;
  await action().catch((e: unknown) => (thrown = e));
  expect(thrown).toBeInstanceOf(error);
  // HangupError and CallChannelError are distinct, as Aculab's Hangup and Error are.
  expect(thrown).not.toBeInstanceOf(error === HangupError ? CallChannelError : HangupError);
  expect((thrown as Error).message).toMatch(message);
  expect(channels.map((c) => c.state)).toEqual(states);
  expect(h.callbacks.length).toBe(callbacks);
  expect(h.sb.stats()).toEqual(stats);
}

const TRANSFER_METHODS = [
  ['retrievableTransfer', (a: Channel, b: Channel) => a.retrievableTransfer(b, '+15557770000')],
  ['transferToInboundService', (a: Channel, b: Channel) => a.transferToInboundService(b, 'voicemail')],
] as const;

describe.each(TRANSFER_METHODS)('%s preconditions', (name, transfer) => {
  test('this channel IDLE → HangupError (checked first, even with other busy and no tone player)', async () => {
    const h = makeHarness();
    const { channel: a } = h.sb.network.placeCall({ from: '+1555', to: '+1666' });
    await a.answer();
    await a.hangUp();
    const { channel: busyOther } = h.sb.network.placeCall({ from: '+1777', to: '+1666' });
    await expectRefused(h, () => transfer(a, busyOther), HangupError, new RegExp(`${name}\\(\\): the call has ended`), [
      a,
      busyOther,
    ]);
    await h.assertClean();
  });

  test('this channel not ANSWERED → CallChannelError', async () => {
    const h = makeHarness();
    const { channel: a } = h.sb.network.placeCall({ from: '+1555', to: '+1666' });
    a.createTonePlayer();
    const b = h.sb.createChannel();
    await expectRefused(
      h,
      () => transfer(a, b),
      CallChannelError,
      /needs the channel ANSWERED, but it is CALL_INCOMING/,
      [a, b],
    );
    await a.answer();
    await a.hold();
    await expectRefused(h, () => transfer(a, b), CallChannelError, /but it is ON_HOLD/, [a, b]);
    await h.assertClean();
  });

  test('other not IDLE → CallChannelError', async () => {
    const h = makeHarness();
    const { a } = await answeredCall(h);
    const { channel: other } = h.sb.network.placeCall({ from: '+1777', to: '+1666' });
    await expectRefused(
      h,
      () => transfer(a, other),
      CallChannelError,
      /the other channel must be IDLE, but it is CALL_INCOMING/,
      [a, other],
    );
    await h.assertClean();
  });

  test('no tone player → CallChannelError', async () => {
    const h = makeHarness();
    const { channel: a } = h.sb.network.placeCall({ from: '+1555', to: '+1666' });
    await a.answer();
    const b = h.sb.createChannel();
    await expectRefused(h, () => transfer(a, b), CallChannelError, /no tone player; call createTonePlayer\(\) first/, [
      a,
      b,
    ]);
    await h.assertClean();
  });

  test('after TRANSFERRED only hang-up and retrieval are allowed', async () => {
    const h = makeHarness();
    h.sb.network.addEndpoint('+15557770000', { outcome: 'answer', ringFor: 0 });
    h.sb.network.addInboundService('voicemail', { outcome: 'answer', ringFor: 0 });
    const { a, b } = await answeredCall(h);
    expect(await transfer(a, b)).toBe(State.TRANSFERRED);
    const c = h.sb.createChannel();
    await expectRefused(h, () => transfer(a, c), CallChannelError, /but it is TRANSFERRED/, [a, b, c]);
    await expectRefused(
      h,
      () => a.hold(),
      CallChannelError,
      /hold\(\) needs the channel ANSWERED, but it is TRANSFERRED/,
      [a, b],
    );
    await h.assertClean();
  });
});

describe('other methods', () => {
  test('call() must start in IDLE', async () => {
    const h = makeHarness();
    const { a } = await answeredCall(h);
    await expectRefused(
      h,
      () => a.call('+15557770000'),
      CallChannelError,
      /call\(\) needs the channel IDLE, but it is ANSWERED/,
      [a],
    );
    await h.assertClean();
  });

  test('answer, ring, reject need an incoming call; hold needs ANSWERED; unhold needs ON_HOLD', async () => {
    const h = makeHarness();
    const { a } = await answeredCall(h);
    await expectRefused(
      h,
      () => a.answer(),
      CallChannelError,
      /answer\(\) needs the channel CALL_INCOMING or RING_INCOMING, but it is ANSWERED/,
      [a],
    );
    await expectRefused(h, () => a.ring(), CallChannelError, /ring\(\) needs the channel CALL_INCOMING/, [a]);
    await expectRefused(h, () => a.reject(), CallChannelError, /reject\(\) needs/, [a]);
    await expectRefused(h, () => a.unhold(), CallChannelError, /unhold\(\) needs the channel ON_HOLD or HOLDING/, [a]);
    await expectRefused(
      h,
      () => a.retrieveTransferredCall(),
      CallChannelError,
      /needs the channel TRANSFERRED, but it is ANSWERED/,
      [a],
    );
    await expectRefused(
      h,
      () => a.waitForTransferredCallRetrieval(),
      CallChannelError,
      /needs the channel TRANSFERRED or RECONNECTING/,
      [a],
    );
    await h.assertClean();
  });

  test('every method on an IDLE channel throws HangupError, except hangUp, call and waitForIdle', async () => {
    const h = makeHarness();
    const idle = h.sb.createChannel();
    const other = h.sb.createChannel();
    for (const action of [
      () => idle.answer(),
      () => idle.ring(),
      () => idle.reject(),
      () => idle.hold(),
      () => idle.unhold(),
      () => idle.retrieveTransferredCall(),
      () => idle.waitForTransferredCallRetrieval(),
      () => idle.retrievableTransfer(other, '+1555'),
      () => idle.transferToInboundService(other, 'voicemail'),
    ]) {
      await expectRefused(h, action, HangupError, /the call has ended \(channel is IDLE\)/, [idle]);
    }
    expect(await idle.hangUp()).toBe(State.IDLE);
    expect(await idle.waitForIdle()).toBe(State.IDLE);
    expect(idle.callId).toBeNull();
    expect(h.callbacks).toEqual([]);
    await h.assertClean();
  });

  test('bad arguments get a clear TypeError and change nothing', async () => {
    const h = makeHarness();
    const { a, b } = await answeredCall(h);
    const badCalls: Array<[() => Promise<unknown>, RegExp]> = [
      [() => a.retrievableTransfer(b, ''), /'to' must be a non-empty string/],
      [
        () => a.transferToInboundService(b, 42 as unknown as string),
        /'serviceName' must be a non-empty string, got 42/,
      ],
      [
        () => a.retrievableTransfer(b, '+1555', { secondsTimeout: -1 }),
        /secondsTimeout must be a positive number of seconds or null, got -1/,
      ],
      [
        () => a.retrievableTransfer(b, '+1555', { secondsTimeout: Number.NaN }),
        /secondsTimeout must be a positive number/,
      ],
      [() => a.retrievableTransfer(b, '+1555', { ringbackTone: '' }), /ringbackTone must be a non-empty string/],
      [() => b.call(''), /'to' must be a non-empty string/],
      [() => b.call('+1555', { secondsTimeout: 0 }), /secondsTimeout must be a positive number/],
    ];
    for (const [action, message] of badCalls) {
      const before = [a.state, b.state, h.callbacks.length];
      await expect(action()).rejects.toThrow(TypeError);
      await expect(action()).rejects.toThrow(message);
      expect([a.state, b.state, h.callbacks.length]).toEqual(before);
    }
    await h.assertClean();
  });

  test("'other' must be a channel of the same switchboard", async () => {
    const h = makeHarness();
    const { a } = await answeredCall(h);
    const foreign = makeHarness().sb.createChannel();
    await expectRefused(
      h,
      () => a.retrievableTransfer(foreign, '+1555'),
      CallChannelError,
      /'other' must be a channel of this switchboard/,
      [a],
    );
    await expectRefused(
      h,
      () => a.retrievableTransfer({} as Channel, '+1555'),
      CallChannelError,
      /'other' must be a channel/,
      [a],
    );
    await h.assertClean();
  });
});
