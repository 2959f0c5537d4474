/**
 * Capabilities are a promise (SPEC section 4): in every reachable configuration of an agent's desk, every
 * operation on every call is accepted exactly when the call lists it. The configurations are found by a
 * breadth-first walk over the real engine (a manual network, a SimulatedClock): from each one, every operation
 * on every call (with valid parameters) and every network indication (answers, hold and unhold confirmations, hang-ups,
 * rejections, signalling failures, the consult timeout) is tried on a fresh replay of the path that reached it. A configuration is
 * what the desk and the network can tell apart: each call's state, callType, capabilities and linkage, and
 * each leg's channel state.
 */
import type { InspectionEvent } from 'xstate';
import {
  agentCallMachine,
  createSwitchboard,
  SimulatedClock,
  OPERATIONS,
  type AgentDevice,
  type Switchboard,
} from '../src';
import { ManualNetwork } from './support/manualNetwork';

/** Where a walk starts: a call to the agent's DN (`phone`: one that rings the agent's own phone), or one it dials. */
type Root = 'inbound' | 'phone' | 'dialled';

interface World {
  sb: Switchboard<ManualNetwork>;
  net: ManualNetwork;
  clock: SimulatedClock;
  agent: AgentDevice;
}

/** A step of a path: an operation on the n-th live call (in the desk's order), or a network indication. */
type Step =
  | { kind: 'op'; call: number; body: Record<string, unknown> }
  | { kind: 'net'; leg: number; what: NetWhat }
  | { kind: 'timeout' };

/** The network indications tried on a leg (the agent's phone answering and hanging up only on a `phone` walk). */
type NetWhat = 'connected' | 'held' | 'unheld' | 'hungUp' | 'busy' | 'failed' | 'phoneAnswered' | 'phoneHungUp';
const NET: readonly NetWhat[] = ['connected', 'held', 'unheld', 'hungUp', 'busy', 'failed'];
const PHONE_NET: readonly NetWhat[] = [...NET, 'phoneAnswered', 'phoneHungUp'];

/** Valid parameters for every operation (the walk tests states, not parameter checks). */
function body(operationName: string): Record<string, unknown> {
  switch (operationName) {
    case 'InitiateTransfer':
    case 'SingleStepTransfer':
    case 'InitiateConference':
    case 'SingleStepConference':
      return { operationName, destination: { phoneNumber: '5001' } };
    case 'DeleteFromConference':
      return { operationName, participant: '5001' };
    case 'SendDtmf':
      return { operationName, digits: '1' };
    case 'AttachUserData':
    case 'UpdateUserData':
      return { operationName, userData: { account: '1' } };
    case 'DeleteUserDataPair':
      return { operationName, key: 'account' };
    default:
      return { operationName };
  }
}

/** The legs the engine has opened or been offered, in order (ended ones included: indexes stay stable). */
function legs(w: World): string[] {
  const ids: string[] = [];
  for (const c of w.net.commands) if (!ids.includes(c.callId)) ids.push(c.callId);
  return ids;
}

/** Every transition of the agent-call chart, and those the walk has taken (seen on the engine's actors). */
interface TransitionDef {
  source: { id: string };
  eventType: string;
  target?: Array<{ id: string }>;
}
type StateNodeLike = {
  states: Record<string, StateNodeLike>;
  transitions: Map<string, TransitionDef[]>;
  always?: TransitionDef[];
};
const allNodes = (node: StateNodeLike): StateNodeLike[] => [node, ...Object.values(node.states).flatMap(allNodes)];
const CHART = allNodes((agentCallMachine as unknown as { root: StateNodeLike }).root).flatMap((n) =>
  [...n.transitions.values()].flat().concat(n.always ?? []),
);
const taken = new Set<TransitionDef>();
const describeTransition = (t: TransitionDef) =>
  `${t.source.id} --${t.eventType}--> ${t.target?.map((n) => n.id).join(',') ?? '(self)'}`;
function inspect(e: InspectionEvent): void {
  if (e.type !== '@xstate.microstep' || (e.actorRef as unknown as { logic?: unknown }).logic !== agentCallMachine)
    return;
  for (const t of (e as unknown as { _transitions: TransitionDef[] })._transitions) taken.add(t);
}

async function world(root: Root): Promise<World & { offered: string | null }> {
  const net = new ManualNetwork();
  const clock = new SimulatedClock();
  const sb = createSwitchboard({ clock, network: net, inspect });
  net.useChannels((callId) => sb.channel(callId));
  const agent = sb.agent({ phoneNumber: '5005', consultTimeout: 30 });
  let offered: string | null = null;
  if (root !== 'dialled') offered = net.offer('5000', '5005', root === 'phone').callId as string;
  else await agent.dial({ destination: { phoneNumber: '5009' } });
  return { sb, net, clock, agent, offered };
}

const flush = async () => {
  for (let i = 0; i < 8; i++) await Promise.resolve();
};

/** Replay a path on a fresh switchboard; returns the world and the last step's response (for an operation). */
async function replay(root: Root, path: Step[]): Promise<{ w: World; legIds: string[]; last: unknown }> {
  const w = await world(root);
  const legIds = w.offered ? [w.offered] : [];
  let last: unknown = null;
  for (const step of path) {
    for (const id of legs(w)) if (!legIds.includes(id)) legIds.push(id);
    if (step.kind === 'op') {
      const call = w.agent.calls()[step.call];
      last = await w.agent.operation(call.id, step.body);
    } else if (step.kind === 'timeout') {
      w.clock.increment(30_000);
    } else {
      const id = legIds[step.leg];
      if (step.what === 'connected') w.net.connected(id);
      else if (step.what === 'held') w.net.held(id);
      else if (step.what === 'unheld') w.net.unheld(id);
      else if (step.what === 'hungUp') w.net.indications.hungUp(id);
      else if (step.what === 'phoneAnswered') w.net.indications.agentAnswered(id);
      else if (step.what === 'phoneHungUp') w.net.indications.agentHungUp(id);
      else if (step.what === 'failed') w.net.indications.failed(id, 'signalling failed');
      else w.net.indications.cleared(id, 'busy');
    }
    await flush();
  }
  for (const id of legs(w)) if (!legIds.includes(id)) legIds.push(id);
  return { w, legIds, last };
}

/** What tells one configuration from another. */
function signature(w: World, legIds: string[]): string {
  const calls = w.agent
    .calls()
    .map((c) => [c.state, c.callType, [...c.capabilities].sort().join(','), c.parentCallUri !== undefined]);
  const legStates = legIds.map((id) => w.sb.channel(id)?.state ?? 'gone');
  return JSON.stringify([calls, legStates]);
}

function steps(w: World, legIds: string[], root: Root): Step[] {
  const out: Step[] = [];
  w.agent.calls().forEach((_c, call) => {
    for (const name of OPERATIONS) out.push({ kind: 'op', call, body: body(name) });
  });
  legIds.forEach((id, leg) => {
    if (!w.sb.channel(id)) return;
    for (const what of root === 'phone' ? PHONE_NET : NET) out.push({ kind: 'net', leg, what });
  });
  out.push({ kind: 'timeout' });
  return out;
}

interface Mismatch {
  path: string;
  call: string;
  operation: string;
  listed: boolean;
  response: unknown;
}

const describeStep = (s: Step) =>
  s.kind === 'op'
    ? `C${s.call + 1}.${String(s.body.operationName)}`
    : s.kind === 'timeout'
      ? 'timeout'
      : `L${s.leg + 1}.${s.what}`;

/** Walk every configuration reachable from the root (up to `maxDepth` steps); returns what disagrees. */
async function walk(root: Root, maxDepth: number) {
  const seen = new Set<string>();
  const mismatches: Mismatch[] = [];
  const operations = new Set<string>();
  let frontier: Step[][] = [[]];
  for (let depth = 0; depth <= maxDepth && frontier.length > 0; depth++) {
    const next: Step[][] = [];
    for (const path of frontier) {
      const { w, legIds } = await replay(root, path);
      const key = signature(w, legIds);
      if (seen.has(key)) {
        w.sb.close();
        continue;
      }
      seen.add(key);
      const listed = w.agent.calls().map((c) => new Set(c.capabilities));
      const callStates = w.agent.calls().map((c) => `${c.callType} ${c.state}`);
      const candidates = steps(w, legIds, root);
      w.sb.close();
      for (const step of candidates) {
        const tried = await replay(root, [...path, step]);
        tried.w.sb.close();
        if (step.kind === 'op') {
          const name = String(step.body.operationName);
          const response = tried.last as { statusCode: number };
          const isListed = listed[step.call].has(name as never);
          const accepted = response.statusCode === 0;
          if (accepted) operations.add(`${callStates[step.call]}: ${name}`);
          if (isListed !== accepted) {
            mismatches.push({
              path: path.map(describeStep).join(' '),
              call: callStates[step.call],
              operation: name,
              listed: isListed,
              response,
            });
          }
          if (!accepted) continue; // a refused operation changes nothing
        }
        next.push([...path, step]);
      }
    }
    frontier = next;
  }
  return { configurations: seen.size, mismatches, operations };
}

test('capabilities == accepted operations in every reachable configuration of an inbound call, its consults and transfers', async () => {
  const { configurations, mismatches, operations } = await walk('inbound', 8);
  console.log(`capabilities: ${configurations} configurations of an inbound call`);
  expect(configurations).toBeGreaterThan(40);
  expect(mismatches).toEqual([]);
  // Conferences are among them: a conference consult completed, and the conference call's own operations.
  for (const accepted of [
    'Consult Established: CompleteConference',
    'Internal Held: CompleteConference',
    'Internal Established: DeleteFromConference',
    'Internal Established: SingleStepConference',
  ])
    expect(operations).toContain(accepted);
}, 120_000);

test("capabilities == accepted operations for a call that rings the agent's phone (Answer only on the phone)", async () => {
  const { configurations, mismatches, operations } = await walk('phone', 4);
  expect(configurations).toBeGreaterThan(5);
  expect(mismatches).toEqual([]);
  // While the phone rings, the desk cannot answer; once the phone has answered, the call is the agent's as usual.
  expect(operations).not.toContain('Internal Ringing: Answer');
  expect(operations).toContain('Internal Established: InitiateTransfer');
}, 60_000);

test('capabilities == accepted operations for a call the agent dials', async () => {
  const { configurations, mismatches } = await walk('dialled', 4);
  expect(configurations).toBeGreaterThan(3);
  expect(mismatches).toEqual([]);
}, 60_000);

test('the walks take every transition of the agent-call chart (each operation where it is accepted)', () => {
  // Runs after the walks above (jest runs a file's tests in order).
  expect(CHART.filter((t) => !taken.has(t)).map(describeTransition)).toEqual([]);
});
