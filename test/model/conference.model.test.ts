/**
 * Model-based test of the conference statechart against the real engine: two callers (`m1`, `m2`) join a room
 * with `transferToConferenceRoom` and leave it by retrieval (and may join again), in every order the model
 * allows; every state reached and every transition taken on the engine's room actor.
 */
import { createSwitchboard, SimulatedClock, State, type Channel, type Switchboard } from '../../src';
import { conferenceMachine, type ConferenceContext } from '../../machines/conference';
import { runModel, type Driver } from './runner';

interface Ctx {
  sb: Switchboard;
  /** The member callers by model id. */
  callers: Map<string, Channel>;
  errors: string[];
}

const ROOM = 'model-room';

const members = (before: { context: unknown }) => (before.context as ConferenceContext).members.map((m) => m.callId);

const driver: Driver<Ctx> = {
  name: 'conference',
  machine: conferenceMachine,
  input: { name: ROOM },
  serialize: (snapshot) => JSON.stringify([snapshot.value, members(snapshot)]),
  events: [
    { type: 'JOIN', callId: 'm1', talker: true },
    { type: 'JOIN', callId: 'm2', talker: false },
    { type: 'EXIT', callId: 'm1' },
    { type: 'EXIT', callId: 'm2' },
  ],
  // A caller in the room cannot be transferred into it again (it is TRANSFERRED), and one outside cannot
  // leave it: the engine never sends those (the chart ignores them).
  realizable: (_events, steps) =>
    steps.every(({ before, event }) => {
      const inRoom = members(before).includes(event.callId as string);
      return event.type === 'JOIN' ? !inRoom : inRoom;
    }),
  async setup(probe) {
    const sb = createSwitchboard({ clock: new SimulatedClock(), inspect: probe.inspect });
    const ctx: Ctx = { sb, callers: new Map(), errors: [] };
    for (const [name, from] of [
      ['m1', '+15550000001'],
      ['m2', '+15550000002'],
    ]) {
      const { channel } = sb.network.placeCall({ from, to: '+15559990000' });
      await channel.answer();
      channel.createTonePlayer();
      ctx.callers.set(name, channel);
    }
    return ctx;
  },
  async perform(ctx, event) {
    const caller = ctx.callers.get(event.callId as string) as Channel;
    const done = (state: State) => (state === State.TRANSFERRED || state === State.ANSWERED ? null : state);
    const result =
      event.type === 'JOIN'
        ? await caller.transferToConferenceRoom(ctx.sb.createChannel(), ROOM, { talkerAndListener: event.talker })
        : await caller.retrieveTransferredCall();
    if (done(result)) ctx.errors.push(`${event.type} ${String(event.callId)} resolved ${result}`);
  },
  async teardown(ctx) {
    expect(ctx.errors).toEqual([]);
    await ctx.sb.close();
    expect(ctx.sb.stats()).toMatchObject({ legs: 0, transfers: 0, timers: 0 });
    expect(ctx.sb.conference(ROOM)).toBeUndefined();
  },
};

test('conference statechart: every state and transition, driven through the engine', async () => {
  const coverage = await runModel(driver);
  console.log(
    `conference: ${coverage.paths} paths; states ${coverage.states.covered}/${coverage.states.total}; transitions ${coverage.transitions.covered}/${coverage.transitions.total}`,
  );
  expect(coverage.paths).toBeGreaterThan(4);
  expect(coverage.states.missing).toEqual([]);
  expect(coverage.transitions.missing).toEqual([]);
});
