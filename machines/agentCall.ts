/**
 * The agent-call statechart: one call as an agent's device sees it (Genesys Web Services voice model).
 *
 * States follow the call's leg (Ringing/Dialing until answered, Established, Held, Released); the engine
 * feeds the leg's changes in as `LEG.*` events. Operations are events too, accepted only where the agent may
 * perform them: the call's `capabilities` are exactly the operations `snapshot.can()` accepts, so they cannot
 * drift from the chart. The chart keeps the call's attached user data (emitting `dataChanged`) and its part
 * in a two-step transfer (`role`), which shapes its capabilities. Pure: no I/O, no clock.
 */
import { setup, assign, emit, not } from 'xstate';

export const AGENT_CALL_STATES = ['Ringing', 'Dialing', 'Established', 'Held', 'Released'] as const;
export type AgentCallState = (typeof AGENT_CALL_STATES)[number];

export type CallType = 'Inbound' | 'Outbound' | 'Internal' | 'Consult';

/** A call's part in a two-step transfer: none, the call being transferred, or the consult call. */
export type ConsultRole = 'none' | 'parent' | 'consult';

/**
 * Every operation the agent desk knows. Capabilities are listed in this order, a merge of Genesys's lists
 * (Ringing, Established, Held, Consult), so each comes out exactly as Genesys shows it.
 */
export const OPERATIONS = [
  'UpdateUserData',
  'SingleStepConference',
  'DeleteUserData',
  'Hangup',
  'SwapCalls',
  'CompleteTransfer',
  'SendDtmf',
  'Hold',
  'Retrieve',
  'AttachUserData',
  'SingleStepTransfer',
  'InitiateConference',
  'DeleteUserDataPair',
  'InitiateTransfer',
  'Answer',
] as const;
export type OperationName = (typeof OPERATIONS)[number];

export type UserData = Record<string, string | number | boolean>;

/** Operations whose event carries nothing the chart needs. */
type PlainOperation = Exclude<OperationName, 'UpdateUserData' | 'AttachUserData' | 'DeleteUserData' | 'DeleteUserDataPair'>;

export interface AgentCallInput {
  callType: CallType;
  /** Ringing for a call offered to the agent, Dialing for one the agent places. */
  start: 'Ringing' | 'Dialing';
  role?: ConsultRole;
}

export interface AgentCallContext {
  start: 'Ringing' | 'Dialing';
  callType: CallType;
  role: ConsultRole;
  userData: UserData;
}

export type AgentCallEvent =
  | { type: 'UpdateUserData'; userData: UserData }
  | { type: 'AttachUserData'; userData: UserData }
  | { type: 'DeleteUserData' }
  | { type: 'DeleteUserDataPair'; key: string }
  | { [K in PlainOperation]: { type: K } }[PlainOperation]
  /** The call's leg was answered, or reconnected after hold. */
  | { type: 'LEG.CONNECTED' }
  | { type: 'LEG.HELD' }
  /** The call is over for this agent: its leg ended, or the agent left it (a completed transfer). */
  | { type: 'RELEASE' }
  /** The call's part in a two-step transfer changed. */
  | { type: 'ROLE'; role: ConsultRole; callType: CallType };

export type AgentCallEmitted =
  /** The call's attached user data changed (state changes are seen in the snapshot). */
  | { type: 'dataChanged' }
  /** The chart accepted an operation; the engine carries out its effect on the call's leg. */
  | { type: 'operation'; name: OperationName };

export const agentCallMachine = setup({
  types: {
    input: {} as AgentCallInput,
    context: {} as AgentCallContext,
    events: {} as AgentCallEvent,
    emitted: {} as AgentCallEmitted,
  },
  guards: {
    startsRinging: ({ context }) => context.start === 'Ringing',
    /** In a two-step transfer (either call of the pair). */
    inConsult: ({ context }) => context.role !== 'none',
    isConsultCall: ({ context }) => context.role === 'consult',
  },
  actions: {
    dataChanged: emit({ type: 'dataChanged' } as const),
    accept: emit(({ event }) => ({ type: 'operation' as const, name: event.type as OperationName })),
  },
}).createMachine({
  id: 'agentCall',
  context: ({ input }) => ({ start: input.start, callType: input.callType, role: input.role ?? 'none', userData: {} }),
  initial: 'offered',
  // User-data operations are valid in every state but Released (which has no transitions at all).
  on: {
    AttachUserData: {
      actions: [assign({ userData: ({ context, event }) => ({ ...context.userData, ...event.userData }) }), 'dataChanged', 'accept'],
    },
    UpdateUserData: {
      actions: [assign({ userData: ({ context, event }) => ({ ...context.userData, ...event.userData }) }), 'dataChanged', 'accept'],
    },
    DeleteUserData: { actions: [assign({ userData: {} }), 'dataChanged', 'accept'] },
    DeleteUserDataPair: {
      actions: [
        assign({
          userData: ({ context, event }) => {
            const { [event.key]: _removed, ...rest } = context.userData;
            return rest;
          },
        }),
        'dataChanged',
        'accept',
      ],
    },
    RELEASE: '.Released',
    ROLE: {
      actions: assign({ role: ({ event }) => event.role, callType: ({ event }) => event.callType }),
    },
  },
  states: {
    /** Where a new call starts: Ringing or Dialing, chosen by input. */
    offered: {
      always: [{ guard: 'startsRinging', target: 'Ringing' }, { target: 'Dialing' }],
    },
    Ringing: {
      on: {
        Answer: { actions: 'accept' },
        'LEG.CONNECTED': 'Established',
      },
    },
    Dialing: {
      on: {
        Hangup: { actions: 'accept' },
        SendDtmf: { actions: 'accept' },
        SwapCalls: { guard: 'isConsultCall', actions: 'accept' },
        CompleteTransfer: { guard: 'isConsultCall', actions: 'accept' },
        'LEG.CONNECTED': 'Established',
      },
    },
    Established: {
      on: {
        Hangup: { actions: 'accept' },
        SendDtmf: { actions: 'accept' },
        Hold: { guard: not('inConsult'), actions: 'accept' },
        SingleStepTransfer: { guard: not('inConsult'), actions: 'accept' },
        InitiateTransfer: { guard: not('inConsult'), actions: 'accept' },
        SingleStepConference: { guard: not('inConsult'), actions: 'accept' },
        InitiateConference: { guard: not('inConsult'), actions: 'accept' },
        SwapCalls: { guard: 'inConsult', actions: 'accept' },
        CompleteTransfer: { guard: 'inConsult', actions: 'accept' },
        'LEG.HELD': 'Held',
      },
    },
    Held: {
      on: {
        Hangup: { actions: 'accept' },
        Retrieve: { actions: 'accept' },
        SingleStepTransfer: { actions: 'accept' },
        InitiateTransfer: { actions: 'accept' },
        SingleStepConference: { actions: 'accept' },
        InitiateConference: { actions: 'accept' },
        'LEG.CONNECTED': 'Established',
      },
    },
    Released: {
      type: 'final',
    },
  },
});

export type AgentCallMachine = typeof agentCallMachine;
