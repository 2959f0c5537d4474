/**
 * `toMermaid(machine)`: a Mermaid `stateDiagram-v2` of a machine, nested states as composite states, every
 * transition labelled readably (event, guard, description), transitions declared on the machine itself drawn
 * from an "any state" box, and transitions that change no state drawn as loops.
 */
import type { AnyStateMachine } from 'xstate';
import { chartOf, type Chart, type ChartState, type ChartTransition } from './chart';
import { fromAnyState, ownerOf } from './layout';

/** A Mermaid id for a state id: word characters only (Mermaid ids cannot hold dots). */
export const mermaidId = (id: string) => id.replace(/[^A-Za-z0-9_]/g, '_');
const anyId = (chart: Chart) => `${mermaidId(chart.id)}__any`;
/** Transition text: `;` and `#` would end or escape a Mermaid statement. */
const text = (s: string) => s.replace(/#/g, '#35;').replace(/;/g, '#59;').replace(/\n/g, ' ');

export function toMermaid(machine: AnyStateMachine): string {
  return chartToMermaid(chartOf(machine));
}

export function chartToMermaid(chart: Chart): string {
  const lines = ['---', `title: ${chart.id}`, '---', 'stateDiagram-v2'];
  const byOwner = new Map<string, ChartTransition[]>();
  for (const t of chart.transitions) {
    const owner = ownerOf(chart, t);
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), t]);
  }
  const edge = (t: ChartTransition): string[] => {
    const from = fromAnyState(chart, t) ? anyId(chart) : mermaidId(t.source);
    const targets = t.targets.length > 0 ? t.targets.map(mermaidId) : [from];
    return targets.map((to) => `${from} --> ${to} : ${text(t.label)}`);
  };
  const block = (state: ChartState, indent: string) => {
    if (state.initial) lines.push(`${indent}[*] --> ${mermaidId(state.initial)}`);
    for (const child of state.children) {
      const id = mermaidId(child.id);
      if (child.children.length > 0) {
        lines.push(`${indent}state "${child.key}" as ${id} {`);
        block(child, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        lines.push(`${indent}state "${child.key}" as ${id}`);
      }
      if (child.description) lines.push(`${indent}note right of ${id} : ${text(child.description)}`);
      if (child.type === 'final') lines.push(`${indent}${id} --> [*]`);
    }
    for (const t of byOwner.get(state.id) ?? []) for (const l of edge(t)) lines.push(`${indent}${l}`);
  };
  if (chart.transitions.some((t) => fromAnyState(chart, t))) {
    lines.push(`  state "any state" as ${anyId(chart)}`);
    lines.push(`  classDef anyState stroke-dasharray: 5 5, fill: #f6f6f6`);
    lines.push(`  class ${anyId(chart)} anyState`);
  }
  block(chart.root, '  ');
  return `${lines.join('\n')}\n`;
}
