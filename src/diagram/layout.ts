/**
 * Helpers shared by the exporters: walking a chart's state tree, finding where a transition belongs, and
 * the pseudo-state that stands for "any state" (transitions declared on the machine itself).
 */
import type { Chart, ChartState, ChartTransition } from './chart';

/** Every state of the chart but the root, depth first, in declaration order. */
export function allStates(chart: Chart): ChartState[] {
  const out: ChartState[] = [];
  const walk = (s: ChartState) => {
    for (const c of s.children) {
      out.push(c);
      walk(c);
    }
  };
  walk(chart.root);
  return out;
}

/** Whether the transition is declared on the machine itself (it applies in any state). */
export const fromAnyState = (chart: Chart, t: ChartTransition) => t.source === chart.id;

/** The id path of a state: `a.b.c` → [`a`, `a.b`, `a.b.c`] (ids are XState's dotted full ids). */
function ancestry(chart: Chart, id: string): string[] {
  const byId = new Map<string, string | null>();
  const walk = (s: ChartState, parent: string | null) => {
    byId.set(s.id, parent);
    for (const c of s.children) walk(c, s.id);
  };
  walk(chart.root, null);
  const path: string[] = [];
  for (let at: string | null | undefined = id; at; at = byId.get(at)) path.unshift(at);
  return path;
}

/** The innermost state containing both ends of the transition (strictly above them): where it is drawn. */
export function ownerOf(chart: Chart, t: ChartTransition): string {
  if (fromAnyState(chart, t)) return chart.id;
  const ends = [t.source, ...t.targets].map((id) => ancestry(chart, id));
  let owner = chart.id;
  for (let depth = 0; ; depth++) {
    const at = ends[0][depth];
    if (at === undefined || ends.some((p) => p[depth] !== at || p.length <= depth + 1)) return owner;
    owner = at;
  }
}
