/**
 * `toDot(machine)`: a Graphviz DOT digraph of a machine. Compound states are clusters; each has a small
 * initial dot; edges into a compound state end at its initial dot, edges out of it start at its border.
 * Every state node and cluster carries `id="state_<XState id>"`, so an SVG rendering can be highlighted by
 * state (the live inspector does). Transitions declared on the machine itself start at an "any state" box;
 * transitions that change no state are loops.
 */
import type { AnyStateMachine } from 'xstate';
import { chartOf, type Chart, type ChartState } from './chart';
import { fromAnyState } from './layout';

/** The SVG element id of a state in `toDot`'s rendering. */
export const svgStateId = (stateId: string) => `state_${stateId}`;
const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
const initialOf = (id: string) => `${id}.__initial`;
const clusterOf = (id: string) => `cluster_${id}`;

/**
 * A label with a space either side: Graphviz sizes labels with its own font metrics, and a browser's
 * sans-serif is often a little wider, so labels side by side would touch.
 */
const pad = (label: string) => `\u00a0${label}\u00a0`;

/** An edge's label; a description (where a timer's delay comes from) goes on a line of its own, to keep edges narrow. */
function edgeLabel(t: { label: string; description?: string }): string {
  if (!t.description) return pad(t.label);
  const suffix = ` (${t.description})`; // chartOf() ends the label with it
  return `${pad(t.label.slice(0, -suffix.length))}\n${pad(`(${t.description})`)}`;
}

/** Lines of a DOT label, left-aligned (`\l` ends each line), each escaped as `q` does. */
function listLabel(items: readonly string[]): string {
  const escape = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return `"${items.map((i) => `${escape(pad(i))}\\l`).join('')}"`;
}

export function toDot(machine: AnyStateMachine): string {
  return chartToDot(chartOf(machine));
}

export function chartToDot(chart: Chart): string {
  const byId = new Map<string, ChartState>();
  const index = (s: ChartState) => {
    byId.set(s.id, s);
    s.children.forEach(index);
  };
  index(chart.root);
  const compound = (id: string) => (byId.get(id)?.children.length ?? 0) > 0;

  const lines = [
    `digraph ${q(chart.id)} {`,
    `  graph [label=${q(chart.id)}, labelloc=t, fontname="Helvetica,Arial,sans-serif", fontsize=16, compound=true, nodesep=0.1, ranksep=0.45];`,
    `  node [shape=box, style="rounded,filled", fillcolor="#ffffff", color="#444444", fontname="Helvetica,Arial,sans-serif", fontsize=12];`,
    `  edge [fontname="Helvetica,Arial,sans-serif", fontsize=10, color="#555555"];`,
  ];
  const states = (parent: ChartState, indent: string) => {
    if (parent.initial) {
      lines.push(`${indent}${q(initialOf(parent.id))} [shape=point, width=0.12, fillcolor="#222222", label=""];`);
      const target = parent.initial;
      lines.push(
        `${indent}${q(initialOf(parent.id))} -> ${compound(target) ? `${q(initialOf(target))} [lhead=${q(clusterOf(target))}]` : q(target)};`,
      );
    }
    for (const s of parent.children) {
      const tooltip = s.description ? `, tooltip=${q(s.description)}` : '';
      if (s.children.length > 0) {
        lines.push(`${indent}subgraph ${q(clusterOf(s.id))} {`);
        lines.push(
          `${indent}  id=${q(svgStateId(s.id))}; label=${q(s.key)}; style="rounded"; color="#444444"; fontname="Helvetica,Arial,sans-serif"; fontsize=12${tooltip.replace(', ', '; ')};`,
        );
        states(s, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        const final = s.type === 'final' ? ', peripheries=2' : '';
        lines.push(`${indent}${q(s.id)} [id=${q(svgStateId(s.id))}, label=${q(s.key)}${final}${tooltip}];`);
      }
    }
  };
  states(chart.root, '  ');

  if (chart.transitions.some((t) => fromAnyState(chart, t))) {
    lines.push(`  ${q(`${chart.id}.__any`)} [label="any state", shape=note, style="dashed", fillcolor="#f6f6f6"];`);
  }
  // Loops (transitions that stay in their state) are drawn as one edge per state, labelled with the list of
  // them, one per line: drawn one by one, their labels pile up on each other beside a state that accepts many
  // operations (an agent call in Established). The loop is dashed when none of them re-enters the state.
  const loops = new Map<string, { lines: string[]; dashed: boolean }>();
  for (const t of chart.transitions) {
    const any = fromAnyState(chart, t);
    const from = any ? `${chart.id}.__any` : compound(t.source) ? initialOf(t.source) : t.source;
    const tail = !any && compound(t.source) ? `, ltail=${q(clusterOf(t.source))}` : '';
    const targets = t.targets.length > 0 ? t.targets : [any ? `${chart.id}.__any` : t.source];
    for (const target of targets) {
      const to = compound(target) ? initialOf(target) : target;
      if (from === to) {
        const loop = loops.get(from) ?? { lines: [], dashed: true };
        loop.lines.push(t.label);
        loop.dashed &&= t.targets.length === 0;
        loops.set(from, loop);
        continue;
      }
      const head = compound(target) && target !== t.source ? `, lhead=${q(clusterOf(target))}` : '';
      const dashed = t.targets.length === 0 ? ', style=dashed' : '';
      lines.push(`  ${q(from)} -> ${q(to)} [label=${q(edgeLabel(t))}${tail + head}${dashed}];`);
    }
  }
  for (const [node, loop] of loops) {
    lines.push(`  ${q(node)} -> ${q(node)} [label=${listLabel(loop.lines)}${loop.dashed ? ', style=dashed' : ''}];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
