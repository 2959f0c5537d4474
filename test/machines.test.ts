/** The statecharts themselves: the channel chart has exactly Aculab's 14 states; machines are pure. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { State, channelMachine, retrievableTransferMachine } from '../src';
import { END_CAUSES, transferCauseForTargetEnd } from '../machines/vocabulary';

test('the channel statechart has exactly the 14 Aculab states', () => {
  expect(Object.keys(channelMachine.states).sort()).toEqual(Object.values(State).sort());
  expect(Object.values(State)).toHaveLength(14);
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
