/**
 * The state a person sees in a chart whose states are grouped: the one active leaf of a state value. The
 * charts group states under compound parents only to share transitions, so a parent is never a state of
 * its own (no chart here has parallel states, so exactly one leaf is active).
 */
import type { StateValue } from 'xstate';

export function activeLeaf(value: StateValue): string {
  let v = value;
  while (typeof v !== 'string') v = Object.values(v)[0] as StateValue;
  return v;
}
