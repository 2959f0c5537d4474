/**
 * `toScxml(machine)`: a W3C SCXML document of a machine. The machine's own root is the top `<state>` (so
 * transitions declared on the machine itself have a place to live); final states are `<final>`; guards are
 * `cond` attributes holding the guard's readable text; eventless transitions have no `event`; descriptions
 * are kept as comments.
 */
import type { AnyStateMachine } from 'xstate';
import { chartOf, type Chart, type ChartState, type ChartTransition } from './chart';

export const SCXML_NS = 'http://www.w3.org/2005/07/scxml';

const attr = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\n/g, '&#10;');
/** XML comments may not contain `--`. */
const comment = (s: string) => `<!-- ${s.replace(/--/g, '- -')} -->`;

export function toScxml(machine: AnyStateMachine): string {
  return chartToScxml(chartOf(machine));
}

export function chartToScxml(chart: Chart): string {
  const bySource = new Map<string, ChartTransition[]>();
  for (const t of chart.transitions) bySource.set(t.source, [...(bySource.get(t.source) ?? []), t]);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<scxml xmlns="${SCXML_NS}" version="1.0" name="${attr(chart.id)}" initial="${attr(chart.id)}" datamodel="ecmascript">`,
  ];
  const state = (s: ChartState, indent: string) => {
    const tag = s.type === 'final' ? 'final' : s.type === 'parallel' ? 'parallel' : 'state';
    const initial = s.initial ? ` initial="${attr(s.initial)}"` : '';
    const transitions = bySource.get(s.id) ?? [];
    if (s.children.length === 0 && transitions.length === 0 && !s.description) {
      lines.push(`${indent}<${tag} id="${attr(s.id)}"/>`);
      return;
    }
    lines.push(`${indent}<${tag} id="${attr(s.id)}"${initial}>`);
    if (s.description) lines.push(`${indent}  ${comment(s.description)}`);
    for (const t of transitions) {
      if (t.description) lines.push(`${indent}  ${comment(t.description)}`);
      const event = t.event === '' ? '' : ` event="${attr(t.event)}"`;
      const cond = t.guard ? ` cond="${attr(t.guard)}"` : '';
      const target = t.targets.length > 0 ? ` target="${attr(t.targets.join(' '))}"` : '';
      const type = t.targets.length === 0 ? ' type="internal"' : '';
      lines.push(`${indent}  <transition${event}${cond}${target}${type}/>`);
    }
    for (const c of s.children) state(c, `${indent}  `);
    lines.push(`${indent}</${tag}>`);
  };
  state(chart.root, '  ');
  lines.push('</scxml>');
  return `${lines.join('\n')}\n`;
}
