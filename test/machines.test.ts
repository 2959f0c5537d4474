/** The statecharts themselves: the channel chart has exactly Aculab's 14 states; machines are pure. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StateValue } from 'xstate';
import { State, channelMachine, retrievableTransferMachine } from '../src';
import { channelState } from '../machines/channel';
import { END_CAUSES, transferCauseForTargetEnd } from '../machines/vocabulary';

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
  expect(Object.keys(retrievableTransferMachine.states.awaitingAnswer.states)).toEqual(['dialling', 'ringing']);
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
