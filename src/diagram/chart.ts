/**
 * `chartOf(machine)`: a machine's structure as plain data (states, nesting, initial states, transitions with
 * readable labels), read from XState's own state nodes. Every exporter (Mermaid, DOT, SCXML) renders this one
 * model, so they cannot disagree about what a machine contains.
 *
 * Labels are for people: `after 2 s` instead of `xstate.after.2000.channel.X`, guards as `[!inConsult]` or
 * `[a || b]`, eventless transitions as `always`, and a transition's `description` (how a raised, delayed event
 * comes about) shown after its event.
 */
import type { AnyStateMachine } from 'xstate';

export type ChartStateType = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

export interface ChartState {
  /** XState's full id (`retrievableTransfer.awaitingAnswer.ringing`): unique in the machine. */
  id: string;
  /** The state's own key (`ringing`). */
  key: string;
  type: ChartStateType;
  /** The full id of the initial child (compound states only). */
  initial?: string;
  description?: string;
  children: ChartState[];
}

export interface ChartTransition {
  /** Full id of the state that declares it; the machine's id for transitions taken from any state. */
  source: string;
  /** Full ids of the targets; empty for a transition that runs actions without changing state. */
  targets: string[];
  /** The event type as the machine sees it ('' for eventless, `xstate.after.*` for delays). */
  event: string;
  /** The event, readably: `TIMEOUT`, `after 2 s`, `always`. */
  trigger: string;
  /** The guard, readably (`!inConsult`), if any. */
  guard?: string;
  /** The transition's `description` (e.g. when a raised timer fires), if any. */
  description?: string;
  /** One line for a diagram edge: `trigger [guard]`. */
  label: string;
}

export interface Chart {
  /** The machine's id (`channel`). */
  id: string;
  root: ChartState;
  transitions: ChartTransition[];
}

interface NodeLike {
  id: string;
  key: string;
  type: ChartStateType;
  description?: string;
  states: Record<string, NodeLike>;
  initial?: { target: readonly NodeLike[] };
  transitions: Map<string, readonly TransitionLike[]>;
  always?: readonly TransitionLike[];
}

interface TransitionLike {
  eventType: string;
  target?: readonly NodeLike[];
  guard?: unknown;
  description?: string;
}

export function chartOf(machine: AnyStateMachine): Chart {
  const transitions: ChartTransition[] = [];
  const visit = (node: NodeLike): ChartState => {
    for (const [, list] of node.transitions) for (const t of list) transitions.push(transition(node, t));
    for (const t of node.always ?? []) transitions.push(transition(node, t));
    const children = Object.values(node.states).map(visit);
    const state: ChartState = { id: node.id, key: node.key, type: node.type, children };
    if (children.length > 0 && node.type === 'compound' && node.initial) state.initial = node.initial.target[0]?.id;
    if (node.description) state.description = node.description;
    return state;
  };
  const root = visit(machine.root as unknown as NodeLike);
  return { id: machine.id, root, transitions };
}

function transition(source: NodeLike, t: TransitionLike): ChartTransition {
  const trigger = triggerOf(t.eventType);
  const guard = t.guard === undefined ? undefined : guardText(t.guard, true);
  const result: ChartTransition = {
    source: source.id,
    targets: (t.target ?? []).map((n) => n.id),
    event: t.eventType,
    trigger,
    label: guard ? `${trigger} [${guard}]` : trigger,
  };
  if (guard) result.guard = guard;
  if (t.description) {
    result.description = t.description;
    result.label += ` (${t.description})`;
  }
  return result;
}

/** `xstate.after.120000.x.y` → `after 120 s`; `''` → `always`; anything else as is. */
export function triggerOf(eventType: string): string {
  if (eventType === '') return 'always';
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (after) return `after ${delayText(after[1])}`;
  if (eventType.startsWith('xstate.done.state.')) return `done (${eventType.slice('xstate.done.state.'.length)})`;
  return eventType;
}

/** A delay in milliseconds as people say it (`500 ms`, `30 s`, `2 min`, `1.5 h`); a named delay as its name. */
export function delayText(delay: string): string {
  const ms = Number(delay);
  if (!Number.isFinite(ms)) return delay;
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000 || ms % 60_000 !== 0) return `${ms / 1000} s`;
  if (ms < 3_600_000 || ms % 3_600_000 !== 0) return `${ms / 60_000} min`;
  return `${ms / 3_600_000} h`;
}

interface GuardObject {
  type?: string;
  check?: { name?: string };
  guards?: readonly unknown[];
  stateValue?: unknown;
}

/** XState guards readably: names, `!g`, `a && b`, `a || b`, `in S`; an inline function as `guard`. */
export function guardText(guard: unknown, top = false): string {
  if (typeof guard === 'string') return guard;
  const g = guard as GuardObject;
  if (guard && typeof guard === 'object' && typeof g.type === 'string') return g.type;
  const kind = g?.check?.name;
  if (kind === 'checkNot' && g.guards) {
    const inner = g.guards.map((x) => guardText(x));
    return inner.length === 1 ? `!${inner[0]}` : `!(${inner.join(' && ')})`;
  }
  if ((kind === 'checkAnd' || kind === 'checkOr') && g.guards) {
    const joined = g.guards.map((x) => guardText(x)).join(kind === 'checkAnd' ? ' && ' : ' || ');
    return top ? joined : `(${joined})`;
  }
  if (kind === 'checkStateIn')
    return `in ${typeof g.stateValue === 'string' ? g.stateValue : JSON.stringify(g.stateValue)}`;
  const name = (guard as { name?: string })?.name;
  return name && name !== 'guard' ? name : 'guard';
}
