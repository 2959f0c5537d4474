/**
 * Diagram exports of every machine, checked against XState's own graph of the machine (xstate/graph's
 * toDirectedGraph, plus eventless transitions), not against the exporters' shared model: Mermaid declares
 * every state and draws every transition; DOT parses and renders with Graphviz (WASM) and carries an id
 * for every state; SCXML is well-formed XML in the W3C namespace whose states and transitions are the
 * machine's. Labels are readable: no raw `xstate.after.*` ids.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { and, createMachine, not, or, stateIn, type AnyStateMachine } from 'xstate';
import { toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';
import { MACHINES, chartOf, toDot, toMermaid, toScxml, toSvg } from '../src/diagram';
import { dotToSvg } from '../src/diagram/svg';
import { triggerOf } from '../src/diagram/chart';
import { mermaidId } from '../src/diagram/mermaid';

interface Edge {
  source: string;
  target: string;
  event: string;
}

/** Every state (but the root) and every transition of a machine, from XState's graph utilities. */
function reference(machine: AnyStateMachine) {
  const states: string[] = [];
  const edges: Edge[] = [];
  const walk = (node: DirectedGraphNode, root: boolean) => {
    if (!root) states.push(node.id);
    for (const e of node.edges) edges.push({ source: e.source.id, target: e.target.id, event: e.transition.eventType });
    // toDirectedGraph leaves out eventless transitions; take them from the state node itself.
    for (const t of node.stateNode.always ?? [])
      for (const target of t.target ?? []) edges.push({ source: node.id, target: target.id, event: '' });
    node.children.forEach((c) => walk(c, false));
  };
  walk(toDirectedGraph(machine), true);
  return { states, edges };
}

describe.each(MACHINES.map((m) => [m.name, m.machine] as const))('%s', (_name, machine) => {
  const ref = reference(machine);
  const chart = chartOf(machine);

  test('the reference is not empty (the checks below check something)', () => {
    // The smallest chart (a conference room) has three states and four transitions.
    expect(ref.states.length).toBeGreaterThanOrEqual(3);
    expect(ref.edges.length).toBeGreaterThan(3);
  });

  test('Mermaid: a stateDiagram-v2 declaring every state and drawing every transition, once each', () => {
    const text = toMermaid(machine);
    const lines = text.split('\n').map((l) => l.trim());
    expect(lines).toContain('stateDiagram-v2');
    for (const id of ref.states) {
      const key = id.split('.').at(-1);
      expect(lines.filter((l) => l.startsWith(`state "${key}" as ${mermaidId(id)}`))).toHaveLength(1);
    }
    const drawn = lines.filter((l) => / --> /.test(l) && !l.includes('[*]'));
    const anyState = `${mermaidId(machine.id)}__any`;
    const expected = ref.edges.map((e) => {
      const from = e.source === machine.id ? anyState : mermaidId(e.source);
      const to = e.source === machine.id && e.target === machine.id ? anyState : mermaidId(e.target);
      return `${from} --> ${to} : ${e.event === '' ? 'always' : e.event}`;
    });
    // Each reference edge matches one drawn line (label = trigger, then guard / description), and nothing else is drawn.
    const unmatched = [...drawn];
    for (const want of expected) {
      const at = unmatched.findIndex((l) => l === want || l.startsWith(`${want} [`) || l.startsWith(`${want} (`));
      expect([want, at >= 0]).toEqual([want, true]);
      unmatched.splice(at, 1);
    }
    expect(unmatched).toEqual([]);
    // Initial states are drawn.
    expect(lines).toContain(`[*] --> ${mermaidId(chart.root.initial as string)}`);
  });

  test('DOT: Graphviz (WASM) parses and renders it; every state has its SVG id; every transition is an edge or a loop line', async () => {
    const dot = toDot(machine);
    const svg = await dotToSvg(dot);
    expect(svg).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
    for (const id of ref.states) expect(svg).toContain(`id="state_${id}"`);
    const initials = dot.split('\n').filter((l) => /\.__initial" -> /.test(l) && !l.includes('label=')).length;
    const edges = (svg.match(/class="edge"/g) ?? []).length;
    // Transitions that stay in their state are one loop per state, labelled with one line per transition.
    const loops = ref.edges.filter((e) => e.source === e.target);
    const loopSources = [...new Set(loops.map((e) => e.source))];
    expect(edges).toBe(ref.edges.length - loops.length + loopSources.length + initials);
    const compound = new Set(
      chart.root.children.flatMap(function all(s): string[] {
        return [...(s.children.length > 0 ? [s.id] : []), ...s.children.flatMap(all)];
      }),
    );
    const node = (id: string) => (id === machine.id ? `${id}.__any` : compound.has(id) ? `${id}.__initial` : id);
    for (const source of loopSources) {
      const drawn = dot.split('\n').filter((l) => l.startsWith(`  "${node(source)}" -> "${node(source)}" [`));
      expect([source, drawn.length]).toEqual([source, 1]);
      const lines = (/label="((?:[^"\\]|\\.)*)"/.exec(drawn[0])?.[1] ?? '')
        .split('\\l')
        .filter(Boolean)
        .map((l) => l.trim().replace(/\u00a0/g, ''));
      const triggers = loops.filter((e) => e.source === source).map((e) => triggerOf(e.event));
      expect(lines.map((l) => l.split(' ')[0])).toEqual(triggers);
    }
    expect(XMLValidator.validate(svg)).toBe(true);
  });

  test('SCXML: well-formed, W3C namespace, the same states and transitions as the machine', () => {
    const xml = toScxml(machine);
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      isArray: (n) => ['state', 'final', 'transition', 'parallel'].includes(n),
    }).parse(xml);
    expect(doc.scxml.xmlns).toBe('http://www.w3.org/2005/07/scxml');
    expect(doc.scxml.version).toBe('1.0');
    const states: string[] = [];
    const edges: Edge[] = [];
    type XmlState = {
      id: string;
      initial?: string;
      state?: XmlState[];
      final?: XmlState[];
      transition?: { event?: string; target?: string }[];
    };
    const walk = (s: XmlState) => {
      states.push(s.id);
      for (const t of s.transition ?? []) {
        for (const target of t.target ? t.target.split(' ') : [s.id])
          edges.push({ source: s.id, target, event: t.event ?? '' });
      }
      [...(s.state ?? []), ...(s.final ?? [])].forEach(walk);
    };
    walk(doc.scxml.state[0]);
    expect(states[0]).toBe(machine.id);
    expect(states.slice(1).sort()).toEqual([...ref.states].sort());
    const key = (e: Edge) => `${e.source} -${e.event}-> ${e.target}`;
    expect(edges.map(key).sort()).toEqual(ref.edges.map(key).sort());
  });
});

test('a DOT syntax error is reported by the renderer (so the parse check above can fail)', async () => {
  await expect(dotToSvg('digraph { a -> }')).rejects.toThrow(/syntax error/i);
});

test('delays, guards and descriptions are labelled readably in every format', async () => {
  const machine = createMachine({
    id: 'demo',
    initial: 'waiting',
    states: {
      waiting: {
        after: { 120000: 'late', 1500: { target: 'early', guard: and(['a', not('b')]) } },
        always: { target: 'early', guard: or([stateIn('late'), 'b']) },
        on: { GO: { target: 'late', description: 'when the caller gives up' } },
      },
      early: {},
      late: { type: 'final' },
    },
  }).provide({ guards: { a: () => true, b: () => false } });
  const labels = chartOf(machine).transitions.map((t) => t.label);
  expect([...labels].sort()).toEqual([
    'GO (when the caller gives up)',
    'after 1.5 s [a && !b]',
    'after 2 min',
    'always [in late || b]',
  ]);
  for (const text of [toMermaid(machine), toDot(machine), await toSvg(machine)]) {
    expect(text).not.toMatch(/xstate\.after/);
    expect(text).toContain('after 2 min');
  }
});

test('the engine’s timers (raised, delayed events) say where their delay comes from', () => {
  const labels = MACHINES.flatMap((m) => chartOf(m.machine).transitions.map((t) => t.label));
  expect(labels).toContain('TIMEOUT (after secondsTimeout)');
  expect(labels).toContain("CALL_TIMEOUT (after the call's secondsTimeout)");
  expect(labels).toContain('TIMEOUT (after the consult timeout)');
});
