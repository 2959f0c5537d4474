/**
 * The conference statechart: one room (Aculab's conference room, Bandwidth's conference). It is created for its
 * first member, takes members as they join and leave, and completes when the last member has left. Each step
 * is emitted as a fact for the supervisor, in order: `created` (conferenceCreated), `memberJoined`
 * (conferenceMemberJoin), `memberExited` (conferenceMemberExit), `completed` (conferenceCompleted).
 *
 * Pure: the engine tells it who joins and who leaves (`JOIN`, `EXIT`), by call id. A second `JOIN` of a
 * member, or an `EXIT` of a call that is not a member, changes nothing.
 */
import { setup, assign, emit, enqueueActions } from 'xstate';

export interface ConferenceMember {
  callId: string;
  /** Talker and listener (true), or listener only. */
  talker: boolean;
}

export interface ConferenceInput {
  /** The room's name (Bandwidth `name`). */
  name: string;
}

export interface ConferenceContext {
  name: string;
  /** The members now in the room, in the order they joined. */
  members: ConferenceMember[];
}

export type ConferenceEvent = { type: 'JOIN'; callId: string; talker: boolean } | { type: 'EXIT'; callId: string };

export type ConferenceEmitted =
  | { type: 'created' }
  | { type: 'memberJoined'; member: ConferenceMember; members: ConferenceMember[] }
  | { type: 'memberExited'; member: ConferenceMember; members: ConferenceMember[] }
  | { type: 'completed' };

const isMember = (members: ConferenceMember[], callId: string): boolean => members.some((m) => m.callId === callId);

export const conferenceMachine = setup({
  types: {
    input: {} as ConferenceInput,
    context: {} as ConferenceContext,
    events: {} as ConferenceEvent,
    emitted: {} as ConferenceEmitted,
  },
  guards: {
    newMember: ({ context, event }) => event.type === 'JOIN' && !isMember(context.members, event.callId),
    lastMember: ({ context, event }) =>
      event.type === 'EXIT' && context.members.length === 1 && context.members[0].callId === event.callId,
    member: ({ context, event }) => event.type === 'EXIT' && isMember(context.members, event.callId),
  },
  actions: {
    join: assign(({ context, event }) =>
      event.type === 'JOIN' ? { members: [...context.members, { callId: event.callId, talker: event.talker }] } : {},
    ),
    announceJoin: emit(({ context }) => ({
      type: 'memberJoined' as const,
      member: context.members[context.members.length - 1],
      members: context.members,
    })),
    /** Remove the member that leaves, then announce it with the members left. */
    exitAndAnnounce: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'EXIT') return;
      const member = context.members.find((m) => m.callId === event.callId);
      if (!member) return;
      const members = context.members.filter((m) => m !== member);
      enqueue.assign({ members });
      enqueue.emit({ type: 'memberExited', member, members });
    }),
  },
}).createMachine({
  id: 'conference',
  context: ({ input }) => ({ name: input.name, members: [] }),
  initial: 'created',
  states: {
    created: {
      entry: emit({ type: 'created' } as const),
      on: {
        JOIN: { guard: 'newMember', target: 'active', actions: ['join', 'announceJoin'] },
      },
    },
    active: {
      on: {
        JOIN: { guard: 'newMember', actions: ['join', 'announceJoin'] },
        EXIT: [
          {
            guard: 'lastMember',
            description: 'the last member leaves',
            target: 'completed',
            actions: 'exitAndAnnounce',
          },
          { guard: 'member', actions: 'exitAndAnnounce' },
        ],
      },
    },
    completed: {
      type: 'final',
      entry: emit({ type: 'completed' } as const),
    },
  },
  output: ({ context }) => ({ name: context.name }),
});

export type ConferenceMachine = typeof conferenceMachine;
