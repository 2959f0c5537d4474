/** The statecharts themselves: the channel chart has exactly Aculab's 14 states; machines are pure. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createActor, initialTransition, SimulatedClock, type Snapshot, type StateValue } from 'xstate';
import { State, channelMachine, retrievableTransferMachine } from '../src';
import {
  channelState,
  hangUpCause,
  type ChannelEmitted,
  type ChannelEvent,
  type ChannelInput,
} from '../machines/channel';
import { toBandwidth } from '../src/causes';
import { ERROR_CAUSES } from '../src/engine/callbacks';
import { END_CAUSES, ERROR_END_CAUSES, transferCauseForTargetEnd } from '../machines/vocabulary';
import { agentCallMachine, agentCallState, type AgentCallEmitted, type AgentCallEvent } from '../machines/agentCall';
import type { RetrievableTransferEvent } from '../machines/retrievableTransfer';
import { consultTransferMachine, type ConsultTransferEvent } from '../machines/consultTransfer';

interface Node {
  key: string;
  path: string[];
  states: Record<string, Node>;
}

/** A chart's leaves (the states a person sees: its compound states only group them). */
const leaves = (node: Node): Node[] => {
  const children = Object.values(node.states);
  return children.length === 0 ? [node] : children.flatMap(leaves);
};

test('the channel statechart has exactly the 14 Aculab states', () => {
  expect(
    leaves(channelMachine.root as unknown as Node)
      .map((n) => n.key)
      .sort(),
  ).toEqual(Object.values(State).sort());
  expect(Object.values(State)).toHaveLength(14);
});

test('channelState: the state value of every leaf, at any depth, is that leaf’s Aculab state', () => {
  for (const leaf of leaves(channelMachine.root as unknown as Node)) {
    const value = leaf.path.slice(0, -1).reduceRight<StateValue>((inner, key) => ({ [key]: inner }), leaf.key);
    expect({ value, state: channelState(value) }).toEqual({ value, state: leaf.key });
  }
  expect(channelState({ signalling: { outgoing: 'RING_OUTGOING' } })).toBe(State.RING_OUTGOING);
});

test('the retrievable-transfer statechart has its waiting, transferred and final states', () => {
  expect(Object.keys(retrievableTransferMachine.states)).toEqual(['awaitingAnswer', 'transferred', 'ended']);
  expect(Object.keys(retrievableTransferMachine.states.awaitingAnswer.states)).toEqual([
    'dialling',
    'ringing',
    'earlyMedia',
  ]);
});

describe('the retrievable-transfer chart decides what A hears while B rings (our ringback, or B’s early media)', () => {
  type Step = RetrievableTransferEvent;
  /** Run the chart through `steps`; what it emitted at each one (the start's dialTarget left out). */
  function run(steps: Step[], snapshot?: Snapshot<unknown>) {
    const actor = createActor(retrievableTransferMachine, {
      input: { secondsTimeout: null },
      ...(snapshot ? { snapshot } : {}),
    });
    let emitted: string[] = [];
    actor.on('*', (e) => emitted.push(e.type === 'ringback' ? `ringback ${e.playing ? 'on' : 'off'}` : e.type));
    actor.start();
    const out = steps.map((step) => {
      emitted = [];
      actor.send(step);
      return emitted;
    });
    return { out, actor };
  }
  const plain: Step = { type: 'TARGET.PROGRESS', earlyMedia: false };
  const media: Step = { type: 'TARGET.PROGRESS', earlyMedia: true };
  const answered: Step = { type: 'TARGET.ANSWERED' };
  const busy: Step = { type: 'TARGET.CLEARED', cause: 'busy', by: 'remote' };

  test('B rings without media: ringback on; B answers: ringback off, A and B bridged, A told', () => {
    expect(run([plain, answered]).out).toEqual([['ringback on'], ['ringback off', 'bridge', 'parentTransferred']]);
  });

  test('B rings with early media (183 with SDP): A bridged to it at once, no ringback; the answer bridges no more', () => {
    expect(run([media, answered]).out).toEqual([['bridge'], ['parentTransferred']]);
  });

  test('B sends early media after a plain 180: the ringback stops and A hears B’s media instead', () => {
    expect(run([plain, media, media, plain, answered]).out).toEqual([
      ['ringback on'],
      ['ringback off', 'bridge'],
      [],
      [],
      ['parentTransferred'],
    ]);
  });

  test('B fails while A hears its early media: unbridged before B is cleared; while our ringback plays: tone off first', () => {
    expect(run([media, busy]).out).toEqual([['bridge'], ['unbridge', 'clearTarget', 'parentFailed', 'ended']]);
    expect(run([plain, busy]).out).toEqual([['ringback on'], ['ringback off', 'clearTarget', 'parentFailed', 'ended']]);
  });

  test('what A hears is in the persisted snapshot: a restored chart unbridges (or stops the tone) as the first would', () => {
    const first = run([media]).actor;
    const restored = run([busy], first.getPersistedSnapshot() as Snapshot<unknown>);
    expect(restored.out).toEqual([['unbridge', 'clearTarget', 'parentFailed', 'ended']]);
    const ringing = run([plain]).actor;
    expect(run([media], ringing.getPersistedSnapshot() as Snapshot<unknown>).out).toEqual([['ringback off', 'bridge']]);
  });
});

test('machines/ is pure: no I/O, no wall clock, no timers of its own, no imports from src/', () => {
  const dir = join(__dirname, '..', 'machines');
  for (const file of readdirSync(dir)) {
    const text = readFileSync(join(dir, file), 'utf8');
    expect({
      file,
      hits: text.match(/Date\.now|setTimeout|setInterval|require\(|from 'node:|from '\.\.\/src/g),
    }).toEqual({ file, hits: null });
  }
});

test('transferCauseForTargetEnd: every way a target can end maps to its TransferCause', () => {
  const expected: Record<string, string> = {
    busy: 'TARGETREJECT',
    rejected: 'TARGETREJECT',
    barred: 'TARGETREJECT',
    normal: 'TARGETHANGUP',
    cancel: 'TARGETHANGUP',
    timeout: 'TIMEOUT',
    noAnswer: 'TIMEOUT',
  };
  for (const cause of END_CAUSES)
    expect({ cause, tc: transferCauseForTargetEnd(cause) }).toEqual({ cause, tc: expected[cause] ?? 'FAIL' });
});

/** A bare channel actor driven by `events`; what it emitted. */
function channelRun(input: ChannelInput, events: ChannelEvent[]): ChannelEmitted[] {
  const actor = createActor(channelMachine, { input, clock: new SimulatedClock() });
  const out: ChannelEmitted[] = [];
  actor.on('*', (e) => out.push(e));
  actor.start();
  for (const e of events) actor.send(e);
  actor.stop();
  return out;
}

test('the channel chart’s hang-up table: the cause of a hang-up by either side, in every state', () => {
  const [initial] = initialTransition(channelMachine, { direction: 'inbound', callId: 'c-1' });
  const table: Record<string, string> = {};
  for (const leaf of leaves(channelMachine.root as unknown as Node)) {
    const value = leaf.path.slice(0, -1).reduceRight<StateValue>((inner, key) => ({ [key]: inner }), leaf.key);
    const snapshot = channelMachine.resolveState({ value, context: initial.context });
    table[leaf.key] = `${hangUpCause(snapshot, 'local')} / ${hangUpCause(snapshot, 'remote')}`;
  }
  expect(table).toEqual({
    IDLE: 'normal / normal',
    WAITING: 'normal / normal',
    CALL_INCOMING: 'normal / cancel', // the caller gives up before the answer
    RING_INCOMING: 'normal / cancel',
    ANSWERING: 'normal / cancel',
    CALL_OUTGOING: 'cancel / normal', // the application gives up on its own dial
    RING_OUTGOING: 'cancel / normal',
    ANSWERED: 'normal / normal',
    HOLDING: 'normal / normal',
    ON_HOLD: 'normal / normal',
    RECONNECTING: 'normal / normal',
    TRANSFERRING: 'normal / normal',
    TRANSFERRED: 'normal / normal',
    ERROR: 'error / error',
  });
});

test('the channel chart names the callbacks: answer for a dialled leg, transferAnswer and transferDisconnect for a transfer target', () => {
  const named = (input: ChannelInput, events: ChannelEvent[]) =>
    channelRun(input, [...events, { type: 'CLEAR', cause: 'normal', by: 'remote' }])
      .filter((e) => e.type === 'leg.answered' || e.type === 'leg.ended')
      .map((e) => `${e.type} ${'callback' in e ? String(e.callback) : ''}`);
  const dial: ChannelEvent[] = [{ type: 'DIAL', secondsTimeout: null }, { type: 'NET.ANSWERED' }];
  const offer: ChannelEvent[] = [{ type: 'WAIT' }, { type: 'NET.OFFER' }, { type: 'ANSWER' }, { type: 'NET.ACCEPTED' }];
  expect(named({ direction: 'inbound', callId: 'c-1' }, offer)).toEqual(['leg.answered null', 'leg.ended disconnect']);
  expect(named({ direction: 'outbound', callId: 'c-1' }, dial)).toEqual([
    'leg.answered answer',
    'leg.ended disconnect',
  ]);
  expect(named({ direction: 'outbound', callId: 'c-1', transferTarget: true }, dial)).toEqual([
    'leg.answered transferAnswer',
    'leg.ended transferDisconnect',
  ]);
});

test('the channel chart says whether an end is an error, and writes its message (the one given, or a default)', () => {
  const ended = (clear: Extract<ChannelEvent, { type: 'CLEAR' }>, before: ChannelEvent[] = []) =>
    channelRun({ direction: 'outbound', callId: 'c-7' }, [
      { type: 'DIAL', secondsTimeout: null },
      ...before,
      clear,
    ]).find((e) => e.type === 'leg.ended');
  for (const cause of END_CAUSES) {
    const error = ERROR_CAUSES.has(toBandwidth(cause));
    expect({ cause, ...ended({ type: 'CLEAR', cause, by: 'remote' }) }).toMatchObject({
      cause,
      error,
      errorMessage: error ? `Call c-7 ended with cause ${cause}` : null,
    });
  }
  expect(ended({ type: 'CLEAR', cause: 'busy', by: 'remote', errorMessage: '486 Busy Here' })).toMatchObject({
    error: false,
    errorMessage: '486 Busy Here',
  });
  const failed: ChannelEvent[] = [{ type: 'NET.ANSWERED' }, { type: 'NET.FAILURE', message: 'TLS reset' }];
  expect(ended({ type: 'CLEAR', cause: 'error', by: 'local' }, failed)).toMatchObject({
    error: true,
    errorMessage: 'TLS reset',
  });
  // The chart's error causes are exactly those Bandwidth reports as an error.
  expect([...ERROR_END_CAUSES].sort()).toEqual(END_CAUSES.filter((c) => ERROR_CAUSES.has(toBandwidth(c))).sort());
});

test('the agent-call chart hangs up a call whose leg failed (LEG.FAILED → hangUpLeg), in every state of the desk', () => {
  const paths: Record<string, AgentCallEvent[]> = {
    Ringing: [],
    Dialing: [],
    Established: [{ type: 'LEG.CONNECTED' }],
    Held: [{ type: 'LEG.CONNECTED' }, { type: 'LEG.HELD' }],
  };
  for (const [state, path] of Object.entries(paths)) {
    const start = state === 'Ringing' ? 'Ringing' : 'Dialing';
    const actor = createActor(agentCallMachine, { input: { callType: 'Inbound', start } }).start();
    for (const event of path) actor.send(event);
    expect(agentCallState(actor.getSnapshot().value)).toBe(state);
    const emitted: AgentCallEmitted[] = [];
    actor.on('*', (e) => emitted.push(e));
    actor.send({ type: 'LEG.FAILED' });
    // The chart decides the hang-up; the leg's end (RELEASE) is what releases the call.
    expect({ state, emitted, after: agentCallState(actor.getSnapshot().value) }).toEqual({
      state,
      emitted: [{ type: 'hangUpLeg' }],
      after: state,
    });
  }
});

describe('the consult-transfer chart decides what the caller hears once the agent has left (ringback or early media)', () => {
  /** A two-step consult: the caller held, the target dialled; then `steps`; what the chart emitted at each. */
  function run(steps: ConsultTransferEvent[], blind = false) {
    const actor = createActor(consultTransferMachine, { input: { secondsTimeout: null, blind } });
    let emitted: string[] = [];
    const media = new Set(['ringback', 'bridge', 'unbridge', 'clearTarget', 'clearParent']);
    actor.on('*', (e) => {
      if (media.has(e.type)) emitted.push(e.type === 'ringback' ? `ringback ${e.playing ? 'on' : 'off'}` : e.type);
    });
    actor.start();
    if (!blind) actor.send({ type: 'PARENT.HELD' });
    return steps.map((step) => {
      emitted = [];
      actor.send(step);
      return emitted;
    });
  }
  const plain: ConsultTransferEvent = { type: 'TARGET.PROGRESS', earlyMedia: false };
  const media: ConsultTransferEvent = { type: 'TARGET.PROGRESS', earlyMedia: true };
  const complete: ConsultTransferEvent = { type: 'COMPLETE' };
  const answered: ConsultTransferEvent = { type: 'TARGET.ANSWERED' };

  test('nothing of ours while the agent consults; completed while the target rings: ringback, then bridged on answer', () => {
    expect(run([plain, complete, answered])).toEqual([[], ['ringback on'], ['ringback off', 'bridge']]);
  });

  test('completed while the target rings with early media: bridged at once, no ringback', () => {
    expect(run([media, complete, answered])).toEqual([[], ['bridge'], []]);
  });

  test('completed before the target rings: ringback from its 180, then its early media instead (a 183 with SDP)', () => {
    expect(run([complete, plain, media, answered])).toEqual([[], ['ringback on'], ['ringback off', 'bridge'], []]);
  });

  test('a single-step transfer whose target fails while ringing: the ringback stops before the legs are cleared', () => {
    expect(run([plain, { type: 'TARGET.CLEARED', cause: 'busy', by: 'remote' }], true)).toEqual([
      ['ringback on'],
      ['ringback off', 'clearTarget', 'clearParent'],
    ]);
  });

  test('the caller hangs up while it hears the early media: unbridged before the target is cleared', () => {
    expect(run([media, complete, { type: 'PARENT.CLEARED', cause: 'normal', by: 'remote' }])).toEqual([
      [],
      ['bridge'],
      ['unbridge', 'clearTarget', 'clearParent'],
    ]);
  });
});
