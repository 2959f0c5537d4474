/**
 * The agent-call statechart: one call as an agent's device sees it (Genesys Web Services voice model).
 *
 * States follow the call's leg (Ringing/Dialing until answered, Established, Held, Released); the engine
 * feeds the leg's changes in as `LEG.*` events. Operations are events too, accepted only where the agent may
 * perform them: the call's `capabilities` are exactly the operations `snapshot.can()` accepts, so they cannot
 * drift from the chart. An accepted operation's transition emits its effect (commands for the call's leg or
 * its consult, in order): the chart decides what an operation does as well as whether it is allowed. The
 * chart keeps the call's attached user data (emitting `dataChanged`), its part in a two-step transfer or a
 * conference (`role`) and what it knows of that consult (`consult`: target answered, the call the agent talks
 * to, whether it is a conference consult), which shape its capabilities. Pure: no I/O, no clock. Dialing,
 * Established and Held are grouped (`live`, and `unheld` inside it) only to share their operations; a call's
 * Genesys state is its active leaf.
 */
import { setup, assign, emit, not, type StateValue } from 'xstate';
import { activeLeaf } from './stateValue';

export const AGENT_CALL_STATES = ['Ringing', 'Dialing', 'Established', 'Held', 'Released'] as const;
export type AgentCallState = (typeof AGENT_CALL_STATES)[number];

export type CallType = 'Inbound' | 'Outbound' | 'Internal' | 'Consult';

/**
 * A call's part in a two-step transfer or a conference: none, the call being transferred (or conferenced), the
 * consult call, or the conference call (the caller's call once CompleteConference has joined the target).
 */
export type ConsultRole = 'none' | 'parent' | 'consult' | 'conference';

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
  // Not in the seed's lists (which show no consult of a conference, nor a conference call): GWS's names.
  'CompleteConference',
  'DeleteFromConference',
] as const;
export type OperationName = (typeof OPERATIONS)[number];

export type UserData = Record<string, string | number | boolean>;

/** Operations whose event carries nothing the chart needs. */
type PlainOperation = Exclude<
  OperationName,
  | 'UpdateUserData'
  | 'AttachUserData'
  | 'DeleteUserData'
  | 'DeleteUserDataPair'
  | 'InitiateTransfer'
  | 'SingleStepTransfer'
  | 'InitiateConference'
  | 'SingleStepConference'
  | 'DeleteFromConference'
>;

/** The conference operations (docs/conference.md). */
export const CONFERENCE_OPERATIONS: readonly OperationName[] = [
  'SingleStepConference',
  'InitiateConference',
  'CompleteConference',
  'DeleteFromConference',
];

/**
 * What a call of a consult pair knows of its consult: whether the target has answered, and whether this is
 * the call the agent is talking to. The capabilities of the pair's calls depend on both.
 */
export interface ConsultView {
  targetAnswered: boolean;
  talking: boolean;
  /** A conference consult (InitiateConference): CompleteConference joins the target instead of leaving. */
  conference: boolean;
}

export interface AgentCallInput {
  callType: CallType;
  /** Ringing for a call offered to the agent, Dialing for one the agent places. */
  start: 'Ringing' | 'Dialing';
  role?: ConsultRole;
  consult?: ConsultView;
  /** The network rings the agent's own phone for this call (a SIP phone): the agent answers there. */
  phone?: boolean;
}

export interface AgentCallContext {
  start: 'Ringing' | 'Dialing';
  callType: CallType;
  role: ConsultRole;
  /** While the call is one of a consult pair (role other than none). */
  consult: ConsultView | null;
  userData: UserData;
  /** Answered on the agent's phone, not from the desk (see Ringing). */
  phone: boolean;
}

export type AgentCallEvent =
  | { type: 'UpdateUserData'; userData: UserData }
  | { type: 'AttachUserData'; userData: UserData }
  | { type: 'DeleteUserData' }
  | { type: 'DeleteUserDataPair'; key: string }
  | {
      type: 'InitiateTransfer' | 'SingleStepTransfer' | 'InitiateConference' | 'SingleStepConference';
      destination?: string;
    }
  /** Remove a participant (the target) from the conference call. */
  | { type: 'DeleteFromConference'; participant?: string }
  | { [K in PlainOperation]: { type: K } }[PlainOperation]
  /** The agent's own phone answered the call (a network that rings agents' phones). */
  | { type: 'PHONE.ANSWERED' }
  /** The call's leg was answered, or reconnected after hold. */
  | { type: 'LEG.CONNECTED' }
  | { type: 'LEG.HELD' }
  /** The call's leg failed (its signalling: the leg is in ERROR). The desk has no ERROR state: it is hung up. */
  | { type: 'LEG.FAILED' }
  /** The call is over for this agent: its leg ended, or the agent left it (a completed transfer). */
  | { type: 'RELEASE' }
  /** The call's part in a two-step transfer changed. */
  | { type: 'ROLE'; role: ConsultRole; callType: CallType }
  /** The consult this call is part of changed (its target answered, or the agent swapped the calls). */
  | ({ type: 'CONSULT' } & ConsultView);

/** What the consult run is asked to do (consultTransfer.ts's events). */
export type ConsultCommand = 'cancel' | 'complete' | 'swap' | 'abandon' | 'conference' | 'leave' | 'remove';

export type AgentCallEmitted =
  /** The call's attached user data changed (state changes are seen in the snapshot). */
  | { type: 'dataChanged' }
  // An accepted operation's effect, in order: the engine carries each out on the call's leg or its consult.
  | { type: 'answerLeg' }
  | { type: 'hangUpLeg' }
  | { type: 'holdLeg' }
  | { type: 'retrieveLeg' }
  | { type: 'sendDtmf' }
  /** Start a two-step (or, `blind`, single-step) transfer, or (`conference`) conference, of this call. */
  | { type: 'startTransfer'; destination: string; blind: boolean; conference: boolean }
  | { type: 'consult'; command: ConsultCommand };

/** A pair's view before anything has happened: the target not answered, the agent not talking to this call. */
const NO_CONSULT: ConsultView = { targetAnswered: false, talking: false, conference: false };

// The groups of states that share operations. They are no Genesys state of their own: a call's state is its
// one active leaf (`agentCallState`).
const LIVE = 'live';
const UNHELD = 'unheld';
const ESTABLISHED = `#agentCall.${LIVE}.${UNHELD}.Established`;

export const agentCallMachine = setup({
  types: {
    input: {} as AgentCallInput,
    context: {} as AgentCallContext,
    events: {} as AgentCallEvent,
    emitted: {} as AgentCallEmitted,
  },
  guards: {
    startsRinging: ({ context }) => context.start === 'Ringing',
    /** The network rings the agent's phone for this call: the agent answers on the phone. */
    onPhone: ({ context }) => context.phone,
    /** In a two-step transfer (either call of the pair). */
    inConsult: ({ context }) => context.role !== 'none',
    isConsultCall: ({ context }) => context.role === 'consult',
    /** The call being transferred (C1) while its consult runs. */
    isParent: ({ context }) => context.role === 'parent',
    /** In a consult pair whose target has answered. */
    targetAnswered: ({ context }) => context.consult?.targetAnswered === true,
    /** The call of the pair the agent is talking to. */
    talking: ({ context }) => context.consult?.talking === true,
    /** In a conference consult whose target has answered: CompleteConference joins the three. */
    conferenceReady: ({ context }) => context.consult?.conference === true && context.consult.targetAnswered,
    /** The conference call (the caller's, once the target has joined). */
    isConference: ({ context }) => context.role === 'conference',
  },
  actions: {
    dataChanged: emit({ type: 'dataChanged' } as const),
    /** Hand a command to the call's consult. */
    toConsult: emit((_, params: { command: ConsultCommand }) => ({
      type: 'consult' as const,
      command: params.command,
    })),
    /** Start a transfer of this call to the operation's destination. */
    startTransfer: emit(({ event }, params: { blind: boolean; conference?: boolean }) => ({
      type: 'startTransfer' as const,
      destination: (event as { destination?: string }).destination ?? '',
      blind: params.blind,
      conference: params.conference ?? false,
    })),
  },
}).createMachine({
  id: 'agentCall',
  context: ({ input }) => ({
    start: input.start,
    callType: input.callType,
    role: input.role ?? 'none',
    consult: input.role && input.role !== 'none' ? (input.consult ?? NO_CONSULT) : null,
    userData: {},
    phone: input.phone === true,
  }),
  initial: 'offered',
  // User-data operations are valid in every state but Released (which has no transitions at all).
  on: {
    AttachUserData: {
      actions: [
        assign({ userData: ({ context, event }) => ({ ...context.userData, ...event.userData }) }),
        'dataChanged',
      ],
    },
    UpdateUserData: {
      actions: [
        assign({ userData: ({ context, event }) => ({ ...context.userData, ...event.userData }) }),
        'dataChanged',
      ],
    },
    DeleteUserData: { actions: [assign({ userData: {} }), 'dataChanged'] },
    DeleteUserDataPair: {
      actions: [
        assign({
          userData: ({ context, event }) => {
            const { [event.key]: _removed, ...rest } = context.userData;
            return rest;
          },
        }),
        'dataChanged',
      ],
    },
    RELEASE: '.Released',
    // A failed leg (ERROR) is no state of the desk's: the call is hung up, from whatever state it is in.
    'LEG.FAILED': { actions: emit({ type: 'hangUpLeg' } as const) },
    ROLE: {
      actions: assign({
        role: ({ event }) => event.role,
        callType: ({ event }) => event.callType,
        // The conference call has no consult pair any more: none of a pair's operations (swap, complete).
        consult: ({ context, event }) =>
          event.role === 'none' ? null : event.role === 'conference' ? NO_CONSULT : (context.consult ?? NO_CONSULT),
      }),
    },
    CONSULT: {
      guard: 'inConsult',
      actions: assign({
        consult: ({ event }) => ({
          targetAnswered: event.targetAnswered,
          talking: event.talking,
          conference: event.conference,
        }),
      }),
    },
  },
  states: {
    /** Where a new call starts: Ringing or Dialing, chosen by input. */
    offered: {
      always: [{ guard: 'startsRinging', target: 'Ringing' }, { target: LIVE }],
    },
    Ringing: {
      on: {
        // A call that rings the agent's SIP phone is answered on the phone: the desk cannot make a SIP phone
        // answer, and answering the caller from the desk (cancelling the phone) would leave the agent without
        // audio. So Answer is no capability while the phone rings; the phone's 200 answers the call.
        Answer: { guard: not('onPhone'), actions: emit({ type: 'answerLeg' } as const) },
        'PHONE.ANSWERED': { guard: 'onPhone', actions: emit({ type: 'answerLeg' } as const) },
        'LEG.CONNECTED': ESTABLISHED,
      },
    },
    /** A call the agent has placed or answered, until it is released: the agent can hang it up. */
    [LIVE]: {
      initial: UNHELD,
      on: {
        // Hanging up the consult call cancels the consult.
        Hangup: [
          { guard: 'isConsultCall', actions: { type: 'toConsult', params: { command: 'cancel' } } },
          // The agent leaves a conference: the caller and the target stay connected (the conference completes).
          { guard: 'isConference', actions: { type: 'toConsult', params: { command: 'leave' } } },
          { actions: emit({ type: 'hangUpLeg' } as const) },
        ],
      },
      states: {
        /** Not on hold: the agent can send DTMF. */
        [UNHELD]: {
          initial: 'Dialing',
          on: { SendDtmf: { actions: emit({ type: 'sendDtmf' } as const) } },
          states: {
            Dialing: {
              on: {
                // While the target rings: the agent goes back to the caller (or, again, to the ringing consult).
                SwapCalls: { guard: 'isConsultCall', actions: { type: 'toConsult', params: { command: 'swap' } } },
                // Completed before the target answers: the caller is connected when (if) it does.
                CompleteTransfer: {
                  guard: 'isConsultCall',
                  actions: { type: 'toConsult', params: { command: 'complete' } },
                },
                'LEG.CONNECTED': 'Established',
              },
            },
            Established: {
              on: {
                Hold: { guard: not('inConsult'), actions: emit({ type: 'holdLeg' } as const) },
                SingleStepTransfer: {
                  guard: not('inConsult'),
                  actions: { type: 'startTransfer', params: { blind: true } },
                },
                InitiateTransfer: {
                  guard: not('inConsult'),
                  actions: { type: 'startTransfer', params: { blind: false } },
                },
                SingleStepConference: {
                  guard: not('inConsult'),
                  actions: { type: 'startTransfer', params: { blind: true, conference: true } },
                },
                InitiateConference: {
                  guard: not('inConsult'),
                  actions: { type: 'startTransfer', params: { blind: false, conference: true } },
                },
                CompleteConference: {
                  guard: 'conferenceReady',
                  actions: { type: 'toConsult', params: { command: 'conference' } },
                },
                DeleteFromConference: {
                  guard: 'isConference',
                  actions: { type: 'toConsult', params: { command: 'remove' } },
                },
                // The call of the pair the agent talks to: to the other call, and back.
                SwapCalls: { guard: 'talking', actions: { type: 'toConsult', params: { command: 'swap' } } },
                CompleteTransfer: {
                  guard: 'targetAnswered',
                  actions: { type: 'toConsult', params: { command: 'complete' } },
                },
                'LEG.HELD': '#agentCall.live.Held',
              },
            },
          },
        },
        Held: {
          on: {
            Retrieve: [
              { guard: not('inConsult'), actions: emit({ type: 'retrieveLeg' } as const) },
              // Retrieve of the held call of a pair swaps the calls once the target has answered…
              { guard: 'targetAnswered', actions: { type: 'toConsult', params: { command: 'swap' } } },
              // …and, while it still rings, abandons the consult and takes the caller back.
              { guard: 'isParent', actions: { type: 'toConsult', params: { command: 'abandon' } } },
            ],
            SwapCalls: { guard: 'targetAnswered', actions: { type: 'toConsult', params: { command: 'swap' } } },
            CompleteTransfer: {
              guard: 'targetAnswered',
              actions: { type: 'toConsult', params: { command: 'complete' } },
            },
            CompleteConference: {
              guard: 'conferenceReady',
              actions: { type: 'toConsult', params: { command: 'conference' } },
            },
            // The held caller while a consult runs: the consult is cancelled first, then the new transfer starts.
            SingleStepTransfer: [
              { guard: not('inConsult'), actions: { type: 'startTransfer', params: { blind: true } } },
              {
                guard: 'isParent',
                actions: [
                  { type: 'toConsult', params: { command: 'cancel' } },
                  { type: 'startTransfer', params: { blind: true } },
                ],
              },
            ],
            InitiateTransfer: [
              { guard: not('inConsult'), actions: { type: 'startTransfer', params: { blind: false } } },
              {
                guard: 'isParent',
                actions: [
                  { type: 'toConsult', params: { command: 'cancel' } },
                  { type: 'startTransfer', params: { blind: false } },
                ],
              },
            ],
            // The same for a conference of the held call (a consult that runs is cancelled first).
            SingleStepConference: [
              {
                guard: not('inConsult'),
                actions: { type: 'startTransfer', params: { blind: true, conference: true } },
              },
              {
                guard: 'isParent',
                actions: [
                  { type: 'toConsult', params: { command: 'cancel' } },
                  { type: 'startTransfer', params: { blind: true, conference: true } },
                ],
              },
            ],
            InitiateConference: [
              {
                guard: not('inConsult'),
                actions: { type: 'startTransfer', params: { blind: false, conference: true } },
              },
              {
                guard: 'isParent',
                actions: [
                  { type: 'toConsult', params: { command: 'cancel' } },
                  { type: 'startTransfer', params: { blind: false, conference: true } },
                ],
              },
            ],
            'LEG.CONNECTED': ESTABLISHED,
          },
        },
      },
    },
    Released: {
      type: 'final',
    },
  },
});

export type AgentCallMachine = typeof agentCallMachine;

/** The Genesys state of an agent-call chart's state value (its active leaf: the groups are no state of their own). */
export function agentCallState(value: StateValue): AgentCallState {
  return activeLeaf(value) as AgentCallState;
}
