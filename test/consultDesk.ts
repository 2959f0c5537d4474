// The agent desk of the consult and conference tests: the caller 5000 calls agent 5005, who answers and starts a
// consult (InitiateTransfer, InitiateConference, …) with 5001 behaving as given; the desk names the agent's calls
// C1, C2 and the legs L1, L2 in the order they appear, and records notifications and callbacks from then on.
import type { AgentDevice, Behaviour, CallNotification, TransferEndedInfo } from '../src';
import { makeHarness, type Harness } from './harness';

export interface Desk {
  h: Harness;
  agent: AgentDevice;
  c1: string;
  /** The consult call (read when asked: the second call the agent's notifications named). */
  readonly c2: string;
  l1: string;
  /** `C1:Held`, `C2:Dialing`… for every notification since the consult was initiated (as `note` writes them). */
  notes: string[];
  ended: TransferEndedInfo[];
  /** `eventType(L1|L2…, cause)` of every callback since the consult was initiated. */
  events(): string[];
  op(call: string, body: object): Promise<unknown>;
}

/** A notification as `C1:Held` (its call's name and state). */
const byState = (name: string, m: CallNotification) => `${name}:${m.data.call.state}`;

export async function consultDesk(
  target: Behaviour,
  operationName: string,
  options: { consultTimeout?: number | null; note?: (name: string, m: CallNotification) => string } = {},
): Promise<Desk> {
  const h = makeHarness();
  const agent = h.sb.agent({ phoneNumber: '5005', consultTimeout: options.consultTimeout });
  h.sb.network.addEndpoint('5001', target);
  const ended: TransferEndedInfo[] = [];
  h.sb.on('transferEnded', (e) => ended.push(e));
  const { channel } = h.sb.network.placeCall({ from: '5000', to: '5005' });
  const c1 = agent.calls()[0].id;
  await agent.operation(c1, { operationName: 'Answer' });
  const names = new Map<string, string>([[c1, 'C1']]);
  const notes: string[] = [];
  const note = options.note ?? byState;
  agent.on('notification', (m: CallNotification) => {
    if (!names.has(m.data.call.id)) names.set(m.data.call.id, `C${names.size + 1}`);
    notes.push(note(names.get(m.data.call.id) as string, m));
  });
  const before = h.callbacks.length;
  expect(await agent.operation(c1, { operationName, destination: { phoneNumber: '5001' } })).toEqual({
    statusCode: 0,
  });
  const l1 = channel.callId as string;
  return {
    h,
    agent,
    c1,
    get c2() {
      return [...names.keys()][1];
    },
    l1,
    notes,
    ended,
    events: () => {
      const legs = new Map<string, string>([[l1, 'L1']]);
      return h.callbacks.slice(before).map((c) => {
        if (!legs.has(c.callId)) legs.set(c.callId, `L${legs.size + 1}`);
        return `${c.eventType}(${legs.get(c.callId)}${'cause' in c ? `, ${c.cause}` : ''})`;
      });
    },
    op: (call, body) => agent.operation(call, body),
  };
}
