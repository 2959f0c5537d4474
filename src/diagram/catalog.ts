/**
 * The machines this engine runs, by the names the `diagram` command and the inspector use.
 */
import type { AnyStateMachine } from 'xstate';
import { agentCallMachine } from '../../machines/agentCall';
import { channelMachine } from '../../machines/channel';
import { conferenceMachine } from '../../machines/conference';
import { consultTransferMachine } from '../../machines/consultTransfer';
import { retrievableTransferMachine } from '../../machines/retrievableTransfer';
import type { MachineName } from '../engine/inspection';

export interface CatalogEntry {
  name: MachineName;
  /** One line saying what the machine is. */
  summary: string;
  machine: AnyStateMachine;
}

export const MACHINES: readonly CatalogEntry[] = [
  {
    name: 'channel',
    summary: 'one call leg, in Aculab UASCallChannel states (docs/behaviour.md §2)',
    machine: channelMachine,
  },
  {
    name: 'retrievable-transfer',
    summary: 'a retrievable transfer / transfer to an inbound service: every exit path of docs/behaviour.md §3',
    machine: retrievableTransferMachine,
  },
  {
    name: 'agent-call',
    summary: "one call on an agent's desk, in Genesys call states (docs/behaviour.md §4)",
    machine: agentCallMachine,
  },
  {
    name: 'consult-transfer',
    summary: 'a two-step (consult) or single-step transfer on an agent desk (docs/behaviour.md §4)',
    machine: consultTransferMachine,
  },
  {
    name: 'conference',
    summary: 'a conference room: members join and leave, it completes when the last one has left (docs/conference.md)',
    machine: conferenceMachine,
  },
];

export const MACHINE_NAMES: readonly MachineName[] = MACHINES.map((m) => m.name);

/** The catalog entry for a name, or undefined. */
export function findMachine(name: string): CatalogEntry | undefined {
  return MACHINES.find((m) => m.name === name);
}
