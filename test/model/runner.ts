/**
 * Model-based testing against the real engine.
 *
 * xstate/graph gives paths through a statechart (shortest paths, simple paths, and "reach each state, then
 * take each event enabled there"). A driver performs each step of a path on a real switchboard (a manual
 * network, a SimulatedClock) and the runner checks the real actor of that chart against the path: it must
 * receive the step's event and end in the path's final state. Coverage is measured on the engine's actors
 * (their `@xstate.microstep` inspection events), not on the model, and compared with every state and every
 * transition the chart defines.
 */
import {
  initialTransition,
  transition,
  type AnyActorRef,
  type AnyEventObject,
  type AnyStateMachine,
  type InspectionEvent,
} from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';

export interface Probe {
  /** Collects inspection events; pass it as `createSwitchboard({ inspect })`. */
  inspect: (event: InspectionEvent) => void;
}

export interface Driver<Ctx> {
  name: string;
  machine: AnyStateMachine;
  input?: unknown;
  /** Event samples the model is explored with. */
  events: AnyEventObject[];
  /** Paths the engine can perform (e.g. it never rests in a state it always leaves in the same turn). */
  realizable?: (events: AnyEventObject[], steps: Step[]) => boolean;
  /**
   * The event(s) the engine always produces right after `event` taken in state `before` (e.g. a hang-up is
   * followed by the release).
   */
  followUp?: (
    event: AnyEventObject,
    before: { value: unknown; context: unknown },
  ) => AnyEventObject | AnyEventObject[] | undefined;
  /** Which actor of `machine` is under test, counting from 0 in creation order (default 0). */
  subjectIndex?: number;
  /** How a model state is told apart from another (default: its value). */
  serialize?: (snapshot: { value: unknown; context: unknown }) => string;
  /** A fresh engine for one path; the first actor of `machine` it creates is the one under test. */
  setup(probe: Probe): Promise<Ctx>;
  /** Perform one model event on the real engine. */
  perform(ctx: Ctx, event: AnyEventObject): Promise<void>;
  teardown(ctx: Ctx): Promise<void>;
}

/** One step of a path: the model's state before the event, and the event. */
export interface Step {
  before: { value: unknown; context: unknown };
  event: AnyEventObject;
}

export interface Coverage {
  paths: number;
  states: { covered: number; total: number; missing: string[] };
  transitions: { covered: number; total: number; missing: string[] };
}

interface TransitionDef {
  source: { id: string };
  eventType: string;
  target?: Array<{ id: string }>;
}

type StateNodeLike = {
  id: string;
  states: Record<string, StateNodeLike>;
  transitions: Map<string, TransitionDef[]>;
  always?: TransitionDef[];
};

function allNodes(node: StateNodeLike): StateNodeLike[] {
  return [node, ...Object.values(node.states).flatMap(allNodes)];
}

function describe(t: TransitionDef): string {
  return `${t.source.id} --${t.eventType}--> ${t.target?.map((n) => n.id).join(',') ?? '(self)'}`;
}

const flush = async () => {
  for (let i = 0; i < 8; i++) await Promise.resolve();
};

function isFinal(_machine: AnyStateMachine, _prev: Step, step: Step): boolean {
  return (step.before as { done?: boolean }).done === true;
}

/** Every path the model yields for a driver: shortest, simple, and one per enabled (state, event) pair. */
export function pathsFor<Ctx>(
  driver: Driver<Ctx>,
): Array<{ kind: string; events: AnyEventObject[]; steps: Step[]; finalValue: unknown }> {
  const serializeState = (s: { value: unknown; context: unknown }) =>
    (driver.serialize ?? ((x) => JSON.stringify(x.value)))(s);
  const options = { events: driver.events, input: driver.input, serializeState } as never;
  const shortest = getShortestPaths(driver.machine, options);
  const simple = getSimplePaths(driver.machine, options);
  const out: Array<{ kind: string; events: AnyEventObject[]; steps: Step[]; finalValue: unknown }> = [];
  const toEvents = (steps: Array<{ event: AnyEventObject }>) =>
    steps.map((s) => s.event).filter((e) => !e.type.startsWith('xstate.'));
  // Replay the events on the model to know the state before each.
  const withStates = (events: AnyEventObject[]): Step[] => {
    let snapshot = initialTransition(driver.machine, driver.input as never)[0];
    return events.map((event) => {
      const before = { value: snapshot.value, context: snapshot.context, done: snapshot.status === 'done' };
      snapshot = transition(driver.machine, snapshot as never, event)[0];
      return { before, event };
    });
  };
  const add = (kind: string, events: AnyEventObject[], finalValue: unknown) => {
    const steps = withStates(events);
    // Nothing happens to a chart once it is done: paths that go on past a final state are not paths.
    if (steps.some((step, i) => i > 0 && isFinal(driver.machine, steps[i - 1], step))) return;
    out.push({ kind, events, steps, finalValue });
  };
  for (const p of shortest) add('shortest', toEvents(p.steps), p.state.value);
  for (const p of simple) add('simple', toEvents(p.steps), p.state.value);
  // Transition coverage: from each state's shortest path, every sample event that state accepts.
  for (const p of shortest) {
    for (const event of driver.events) {
      if (p.state.status === 'done' || !p.state.can(event)) continue; // a final state takes no events
      let [next] = transition(driver.machine, p.state as never, event);
      const events = [...toEvents(p.steps), event];
      const follow = driver.followUp?.(event, p.state);
      for (const after of follow === undefined ? [] : Array.isArray(follow) ? follow : [follow]) {
        [next] = transition(driver.machine, next as never, after);
        events.push(after);
      }
      add('transition', events, next.value);
    }
  }
  return out;
}

/** A subject test: the n-th actor of `machine` seen in a run (0 = the first), in creation order. */
export function nthActorOf(machine: AnyStateMachine, n: number): (actor: AnyActorRef) => boolean {
  const seen: AnyActorRef[] = [];
  return (actor) => {
    if ((actor as unknown as { logic?: unknown }).logic !== machine) return false;
    if (!seen.includes(actor)) seen.push(actor);
    return seen[n] === actor;
  };
}

/**
 * Run every path of the drivers (all for the same chart, e.g. with different inputs) against the engine;
 * returns coverage measured on the engine's actors, summed over the drivers.
 */
export async function runModel<Ctx>(drivers: Driver<Ctx> | Array<Driver<Ctx>>): Promise<Coverage> {
  const list = Array.isArray(drivers) ? drivers : [drivers];
  const root = (list[0].machine as unknown as { root: StateNodeLike }).root;
  const nodes = allNodes(root);
  const transitions = nodes.flatMap((n) => [...n.transitions.values()].flat().concat(n.always ?? []));
  const coveredTransitions = new Set<TransitionDef>();
  const coveredStates = new Set<string>();
  let pathCount = 0;
  for (const driver of list) {
    const paths = pathsFor(driver).filter((p) => driver.realizable?.(p.events, p.steps) ?? true);
    pathCount += paths.length;
    await runPaths(driver, paths, coveredTransitions, coveredStates);
  }
  const stateIds = nodes.map((n) => n.id);
  return {
    paths: pathCount,
    states: {
      covered: stateIds.filter((id) => coveredStates.has(id)).length,
      total: stateIds.length,
      missing: stateIds.filter((id) => !coveredStates.has(id)),
    },
    transitions: {
      covered: transitions.filter((t) => coveredTransitions.has(t)).length,
      total: transitions.length,
      missing: transitions.filter((t) => !coveredTransitions.has(t)).map(describe),
    },
  };
}

async function runPaths<Ctx>(
  driver: Driver<Ctx>,
  paths: ReturnType<typeof pathsFor>,
  coveredTransitions: Set<TransitionDef>,
  coveredStates: Set<string>,
): Promise<void> {
  for (const path of paths) {
    let subject: AnyActorRef | null = null;
    const received: string[] = [];
    const isSubject = nthActorOf(driver.machine, driver.subjectIndex ?? 0);
    const probe: Probe = {
      inspect: (e) => {
        if (!isSubject(e.actorRef as AnyActorRef)) return;
        subject = e.actorRef as AnyActorRef;
        if (e.type === '@xstate.event') received.push((e.event as AnyEventObject).type);
        if (e.type === '@xstate.microstep') {
          for (const t of (e as unknown as { _transitions: TransitionDef[] })._transitions) {
            coveredTransitions.add(t);
            coveredStates.add(t.source.id); // counts transient states (left by `always`) too
          }
        }
        if (e.type === '@xstate.snapshot') {
          const snapshot = e.snapshot as unknown as { _nodes?: Array<{ id: string }> };
          for (const node of snapshot._nodes ?? []) coveredStates.add(node.id);
        }
      },
    };
    const ctx = await driver.setup(probe);
    const label = `${driver.name} ${path.kind} path [${path.events.map((e) => e.type).join(', ')}]`;
    const sent: string[] = [];
    for (const event of path.events) {
      sent.push(event.type);
      await driver.perform(ctx, event);
      await flush();
      // The engine must have delivered this very event to the chart under test (one stimulus may deliver two).
      const count = (list: string[]) => list.filter((t) => t === event.type).length;
      expect({ label, event: event.type, delivered: count(received) >= count(sent) }).toEqual({
        label,
        event: event.type,
        delivered: true,
      });
    }
    // No actor yet means nothing has happened: the chart's initial state.
    const actual =
      (subject as AnyActorRef | null)?.getSnapshot().value ??
      initialTransition(driver.machine, driver.input as never)[0].value;
    expect({ label, value: actual }).toEqual({ label, value: path.finalValue });
    await driver.teardown(ctx);
  }
}
