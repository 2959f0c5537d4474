/**
 * An agent's calls as another node last stored them, for reads while that node does not answer (it may be dead
 * and still inside its lease): each `agentCall:<id>` record of its state hash whose device is the agent's is
 * shown as the call object the owner would show, from the record's persisted chart snapshot (state, call type,
 * user data), its party and DNIS, with no capabilities (no operation can reach the call until another node has
 * taken it over) and the duration counted from its creation. The HTTP API marks such answers as possibly stale
 * (the `X-Switchboard-Stale` header; docs/durability.md). Unreadable records are left out, never guessed.
 */
import type { StateValue } from 'xstate';
import { agentCallState, type AgentCallContext } from '../../machines/agentCall';
import type { AgentCallObject, AgentDevice } from '../index';
import { participant } from '../engine/agent/notifications';

interface StoredAgentCall {
  id: string;
  seq: number;
  connId: string;
  device: string;
  createdAt: number;
  party: string;
  dnis: string;
  parentCallUri?: string;
  consult: string | null;
  snapshot: {
    status: string;
    value: StateValue;
    context: AgentCallContext;
  };
}

function parse<T>(raw: string | undefined): T | null {
  if (raw === undefined) return null;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return null;
  }
}

function readable(record: StoredAgentCall | null, dn: string): record is StoredAgentCall {
  return (
    record !== null &&
    typeof record === 'object' &&
    record.device === dn &&
    typeof record.id === 'string' &&
    record.snapshot?.status === 'active' &&
    typeof record.snapshot.context === 'object'
  );
}

/** The far parties: the conference call's also the agent and the consult's target (as the owner lists them). */
function parties(record: StoredAgentCall, dn: string, state: ReadonlyMap<string, string>): string[] {
  if (record.snapshot.context.role !== 'conference' || record.consult === null) return [record.party];
  const consult = parse<{ target: string | null }>(state.get(`consult:${record.consult}`));
  const target = consult?.target ? parse<{ to: string }>(state.get(`leg:${consult.target}`)) : null;
  return target ? [record.party, dn, target.to] : [record.party];
}

function view(record: StoredAgentCall, device: AgentDevice, state: ReadonlyMap<string, string>): AgentCallObject {
  const { context, value } = record.snapshot;
  return {
    id: record.id,
    state: agentCallState(value),
    callUuid: record.id,
    connId: record.connId,
    deviceUri: device.deviceUri,
    participants: parties(record, device.phoneNumber, state).map(participant),
    dnis: record.dnis,
    callType: context.callType,
    capabilities: [],
    ...(record.parentCallUri === undefined ? {} : { parentCallUri: record.parentCallUri }),
    duration: String(Math.max(0, Math.floor((device.now() - record.createdAt) / 1000))),
    mute: 'Off',
    supervisorListeningIn: false,
    monitoredUserMuted: false,
    uri: `${device.callsUri}/${record.id}`,
    path: `/calls/${record.id}`,
    userData: { ...context.userData },
  };
}

/** The agent's calls in a node's stored state (key → JSON), in the order the owner created them. */
export function storedCalls(state: ReadonlyMap<string, string>, device: AgentDevice): AgentCallObject[] {
  const records: StoredAgentCall[] = [];
  for (const [key, raw] of state) {
    if (!key.startsWith('agentCall:')) continue;
    const record = parse<StoredAgentCall>(raw);
    if (readable(record, device.phoneNumber)) records.push(record);
  }
  return records.sort((a, b) => a.seq - b.seq).map((record) => view(record, device, state));
}
