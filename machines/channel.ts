/**
 * The channel statechart: one call leg as an application sees it, in Aculab `UASCallChannel` states.
 *
 * Pure: it takes events from the application (through the engine's `Channel`), from the network and from a
 * transfer, and talks to the outside only by emitting events: `signal.*` asks the network to do something,
 * `leg.*` reports a fact the supervisor turns into callbacks. The only timer is a dialled call's own
 * `secondsTimeout`, an XState delay on the engine's clock. The engine stops the actor once it is IDLE again.
 * Compound states group the Aculab states that share transitions; a leg's state is the active leaf
 * (`channelState`). The chart also decides how a leg ends: its hang-up causes (`ChannelMeta`, `hangUpCause`)
 * and, in `leg.answered` and `leg.ended`, which callback reports it and whether it is an error.
 */
import { setup, assign, emit, enqueueActions, cancel, and, not, or, stateIn, type StateValue } from 'xstate';
import { ERROR_END_CAUSES, State, TransferCause, type ClearedBy, type Direction, type EndCause } from './vocabulary';
import { activeLeaf } from './stateValue';

export interface ChannelInput {
  direction: Direction;
  /** The leg's call id (named in the error message of a leg that ends in error). */
  callId: string;
  /** A transfer's target leg: its answer and its end are reported to the transfer's parent. */
  transferTarget?: boolean;
}

/** The callback that reports a leg's answer (none for an inbound leg) and the one that reports its end. */
export type AnswerCallback = 'answer' | 'transferAnswer';
export type EndCallback = 'disconnect' | 'transferDisconnect';

/**
 * The chart's table of hang-up causes, in its states' `meta`: why the leg ends when `local` (the application)
 * or `remote` (the far end, giving no cause) hangs up in that state. The innermost active state that names a
 * side decides (`hangUpCause`).
 */
export interface ChannelMeta {
  hangUp?: Partial<Record<ClearedBy, EndCause>>;
}

export interface ChannelContext {
  direction: Direction;
  callId: string;
  transferTarget: boolean;
  /** Set once, when the leg goes IDLE. */
  endCause: EndCause | null;
  clearedBy: ClearedBy | null;
  errorMessage: string | null;
  /** Whether the leg has ever been answered (an `answerTime` exists). */
  answered: boolean;
  transferCause: TransferCause;
  /**
   * The application asked to take the leg off hold and the network has not confirmed it yet (ON_HOLD until
   * it does), or, asked in HOLDING, the unhold waits for the hold's own result (one re-INVITE at a time).
   */
  unholdPending: boolean;
  /**
   * A hold asked for while the unhold is still unconfirmed (a consult's SwapCalls, twice, faster than the
   * network): the leg is held again once the unhold has taken.
   */
  rehold: boolean;
}

export type ChannelEvent =
  /** An application channel starts listening for an inbound call. */
  | { type: 'WAIT' }
  /** The network offers an inbound call. */
  | { type: 'NET.OFFER' }
  /** The application dials out; `secondsTimeout: null` waits for ever. */
  | { type: 'DIAL'; secondsTimeout: number | null }
  | { type: 'RING' }
  | { type: 'ANSWER' }
  | { type: 'HOLD' }
  | { type: 'UNHOLD' }
  /** The network: the far end is alerting (outgoing). */
  | { type: 'NET.PROGRESS' }
  /** The network: the far end answered our dial (SIP 200 to our INVITE); taken only while dialling. */
  | { type: 'NET.ANSWERED' }
  /** The network: our answer took (SIP ACK); taken only in ANSWERING. */
  | { type: 'NET.ACCEPTED' }
  /** The network: our reconnect took; taken only in RECONNECTING. */
  | { type: 'NET.RECONNECTED' }
  | { type: 'NET.HELD' }
  /** The network could not put the leg on hold; the dialog is still up. */
  | { type: 'NET.HOLD_FAILED' }
  /** The network took the leg off hold (our unhold took). */
  | { type: 'NET.UNHELD' }
  /** The network could not take the leg off hold; the dialog is still up and the leg stays ON_HOLD. */
  | { type: 'NET.UNHOLD_FAILED' }
  /** The network reports a signalling failure on a live leg. */
  | { type: 'NET.FAILURE'; message: string }
  /**
   * The far end ended the leg (`cause` null: it hung up, the engine derives the cause), or the network failed
   * it (`failure`). It goes through the leg's own queue, so it is taken after every indication before it
   * (an answer and a hang-up in the same instant are an answer, then a hang-up); the engine then routes
   * the end (to the leg's transfer while it runs).
   */
  | { type: 'NET.END'; cause: EndCause | null; errorMessage?: string; failure?: boolean }
  /** The leg ends, by either side; `transferCause` is recorded if given (the leg was a transfer's parent). */
  | { type: 'CLEAR'; cause: EndCause; by: ClearedBy; errorMessage?: string; transferCause?: TransferCause }
  /** The dialled call's own timer fired. */
  | { type: 'CALL_TIMEOUT' }
  /** From a transfer of which this leg is the parent (A). */
  | { type: 'TRANSFER.START' }
  | { type: 'TRANSFER.CONNECTED' }
  | { type: 'TRANSFER.FAILED'; transferCause: TransferCause }
  | { type: 'TRANSFER.RECONNECT'; transferCause: TransferCause };

export type ChannelEmitted =
  | { type: 'signal.dial' }
  | { type: 'signal.ring' }
  | { type: 'signal.answer' }
  | { type: 'signal.hold' }
  | { type: 'signal.unhold' }
  | { type: 'signal.reconnect' }
  | { type: 'leg.offered' }
  | { type: 'leg.progress' }
  /** The leg was answered; `callback` says which callback reports it (null: none does). */
  | { type: 'leg.answered'; callback: AnswerCallback | null }
  /**
   * The leg went IDLE. `error`: the cause is an error cause (the callbacks carry `errorMessage`, given or a
   * default one, and an `errorId`); `callback`: the leg's one terminal callback.
   */
  | {
      type: 'leg.ended';
      cause: EndCause;
      by: ClearedBy;
      errorMessage: string | null;
      error: boolean;
      callback: EndCallback;
    }
  /** The far end or the network ended the leg (NET.END, in its turn): the engine routes the end. */
  | { type: 'leg.remoteEnd'; cause: EndCause | null; errorMessage?: string; failure: boolean };

const CALL_TIMER = 'callTimeout';

// The groups of states that share transitions. They are no channel state of their own: a leg's `State` is
// its one active leaf (`channelState`).
const SIGNALLING = 'signalling';
const INCOMING = 'incoming';
const OUTGOING = 'outgoing';
const ANSWERED = `${SIGNALLING}.${State.ANSWERED}`;

export const channelMachine = setup({
  types: {
    input: {} as ChannelInput,
    context: {} as ChannelContext,
    events: {} as ChannelEvent,
    emitted: {} as ChannelEmitted,
    meta: {} as ChannelMeta,
  },
  actions: {
    markAnswered: assign({ answered: true }),
    reportAnswered: emit(({ context }) => ({
      type: 'leg.answered' as const,
      callback: context.transferTarget ? 'transferAnswer' : context.direction === 'outbound' ? 'answer' : null,
    })),
    /** Used once the context has the leg's end (endCause, clearedBy, errorMessage). */
    reportEnded: emit(({ context }) => {
      const cause = context.endCause as EndCause;
      const error = ERROR_END_CAUSES.has(cause);
      return {
        type: 'leg.ended' as const,
        cause,
        by: context.clearedBy as ClearedBy,
        errorMessage: context.errorMessage ?? (error ? `Call ${context.callId} ended with cause ${cause}` : null),
        error,
        callback: context.transferTarget ? 'transferDisconnect' : 'disconnect',
      };
    }),
    cancelCallTimer: cancel(CALL_TIMER),
    /** Used only on NET.FAILURE transitions. */
    recordFailure: assign({
      errorMessage: ({ event }) => (event as Extract<ChannelEvent, { type: 'NET.FAILURE' }>).message,
    }),
  },
  guards: {
    /** A leg that can end: not IDLE, and not a channel still WAITING for a call. */
    isLive: not(or([stateIn(State.IDLE), stateIn(State.WAITING)])),
    unholdPending: ({ context }) => context.unholdPending,
    rehold: ({ context }) => context.rehold,
  },
}).createMachine({
  id: 'channel',
  context: ({ input }) => ({
    direction: input.direction,
    callId: input.callId,
    transferTarget: input.transferTarget ?? false,
    endCause: null,
    clearedBy: null,
    errorMessage: null,
    answered: false,
    transferCause: TransferCause.NONE,
    unholdPending: false,
    rehold: false,
  }),
  initial: State.IDLE,
  // Hanging up is a normal end, but where a state below says otherwise.
  meta: { hangUp: { local: 'normal', remote: 'normal' } },
  on: {
    'NET.END': {
      guard: 'isLive',
      actions: emit(({ event }) => ({
        type: 'leg.remoteEnd' as const,
        cause: event.cause,
        ...(event.errorMessage === undefined ? {} : { errorMessage: event.errorMessage }),
        failure: event.failure ?? false,
      })),
    },
    CLEAR: {
      guard: 'isLive',
      target: `.${State.IDLE}`,
      actions: [
        assign(({ context, event }) => ({
          endCause: event.cause,
          clearedBy: event.by,
          errorMessage: event.errorMessage ?? context.errorMessage,
          transferCause: event.transferCause ?? context.transferCause,
          unholdPending: false,
          rehold: false,
        })),
        'reportEnded',
      ],
    },
  },
  states: {
    [State.IDLE]: {
      on: {
        WAIT: State.WAITING,
        DIAL: {
          target: `${SIGNALLING}.${OUTGOING}`,
          actions: enqueueActions(({ event, enqueue }) => {
            if (event.secondsTimeout !== null) {
              enqueue.raise({ type: 'CALL_TIMEOUT' }, { delay: event.secondsTimeout * 1000, id: CALL_TIMER });
            }
            enqueue.emit({ type: 'signal.dial' });
          }),
        },
      },
    },
    [State.WAITING]: {
      on: {
        'NET.OFFER': {
          target: SIGNALLING,
          actions: emit({ type: 'leg.offered' } as const),
        },
      },
    },
    /** The leg's own dialog, not handed to a transfer: a signalling failure sends it to ERROR. */
    [SIGNALLING]: {
      on: { 'NET.FAILURE': { target: State.ERROR, actions: 'recordFailure' } },
      initial: INCOMING, // where an offered call (NET.OFFER) enters
      states: {
        /** An offered call the application has not answered yet. */
        [INCOMING]: {
          meta: { hangUp: { remote: 'cancel' } }, // the caller gave up before the answer
          on: { ANSWER: { target: State.ANSWERING, actions: emit({ type: 'signal.answer' } as const) } },
          initial: State.CALL_INCOMING,
          states: {
            [State.CALL_INCOMING]: {
              on: { RING: { target: State.RING_INCOMING, actions: emit({ type: 'signal.ring' } as const) } },
            },
            [State.RING_INCOMING]: {},
          },
        },
        [State.ANSWERING]: {
          meta: { hangUp: { remote: 'cancel' } }, // the caller gave up before the answer took
          on: { 'NET.ACCEPTED': { target: State.ANSWERED, actions: ['markAnswered', 'reportAnswered'] } },
        },
        /** A dialled call the far end has not answered yet; its own timer runs exactly while it is here. */
        [OUTGOING]: {
          meta: { hangUp: { local: 'cancel' } }, // the application gave up on its own dial
          exit: 'cancelCallTimer',
          on: {
            'NET.ANSWERED': { target: State.ANSWERED, actions: ['markAnswered', 'reportAnswered'] },
            CALL_TIMEOUT: {
              description: "after the call's secondsTimeout",
              target: `#channel.${State.IDLE}`,
              actions: [assign({ endCause: 'noAnswer', clearedBy: 'local' }), 'reportEnded'],
            },
          },
          initial: State.CALL_OUTGOING,
          states: {
            [State.CALL_OUTGOING]: {
              on: { 'NET.PROGRESS': { target: State.RING_OUTGOING, actions: emit({ type: 'leg.progress' } as const) } },
            },
            [State.RING_OUTGOING]: {},
          },
        },
        [State.ANSWERED]: {
          on: {
            HOLD: { target: State.HOLDING, actions: emit({ type: 'signal.hold' } as const) },
            'TRANSFER.START': {
              target: `#channel.${State.TRANSFERRING}`,
              actions: assign({ transferCause: TransferCause.NONE }),
            },
          },
        },
        [State.HOLDING]: {
          on: {
            'NET.HELD': [
              // Taken off hold before the network confirmed the hold: the unhold is sent now the hold has taken.
              {
                guard: 'unholdPending',
                target: State.ON_HOLD,
                actions: emit({ type: 'signal.unhold' } as const),
              },
              { target: State.ON_HOLD },
            ],
            // The hold did not take: the leg is off hold already, and a pending unhold has nothing left to do.
            'NET.HOLD_FAILED': { target: State.ANSWERED, actions: assign({ unholdPending: false }) },
            UNHOLD: {
              description: 'waits for the hold to be confirmed',
              guard: not('unholdPending'),
              actions: assign({ unholdPending: true }),
            },
            // Held again before the waiting unhold was sent: the unhold is dropped (the last wish counts).
            HOLD: { guard: 'unholdPending', actions: assign({ unholdPending: false }) },
          },
        },
        [State.ON_HOLD]: {
          on: {
            // Held again while the unhold is unconfirmed: sent once the unhold has taken (one re-INVITE at a time).
            HOLD: {
              description: 'waits for the unhold to be confirmed',
              guard: and(['unholdPending', not('rehold')]),
              actions: assign({ rehold: true }),
            },
            UNHOLD: [
              {
                guard: not('unholdPending'),
                actions: [assign({ unholdPending: true }), emit({ type: 'signal.unhold' } as const)],
              },
              // The re-hold still waiting is dropped: the unhold under way is what is wanted.
              { guard: 'rehold', actions: assign({ rehold: false }) },
            ],
            'NET.UNHELD': [
              {
                guard: 'rehold',
                target: State.HOLDING,
                actions: [assign({ unholdPending: false, rehold: false }), emit({ type: 'signal.hold' } as const)],
              },
              { guard: 'unholdPending', target: State.ANSWERED, actions: assign({ unholdPending: false }) },
            ],
            // Still held, as a waiting re-hold wanted.
            'NET.UNHOLD_FAILED': { guard: 'unholdPending', actions: assign({ unholdPending: false, rehold: false }) },
          },
        },
        [State.RECONNECTING]: {
          on: { 'NET.RECONNECTED': State.ANSWERED },
        },
      },
    },
    // A transfer holds the leg: a failure of its dialog is an end, which the engine routes to the transfer.
    [State.TRANSFERRING]: {
      on: {
        'TRANSFER.CONNECTED': { target: State.TRANSFERRED, actions: assign({ transferCause: TransferCause.NORMAL }) },
        'TRANSFER.FAILED': {
          target: ANSWERED,
          actions: assign({ transferCause: ({ event }) => event.transferCause }),
        },
      },
    },
    [State.TRANSFERRED]: {
      on: {
        'TRANSFER.RECONNECT': {
          target: `${SIGNALLING}.${State.RECONNECTING}`,
          actions: [
            assign({ transferCause: ({ event }) => event.transferCause }),
            emit({ type: 'signal.reconnect' } as const),
          ],
        },
      },
    },
    [State.ERROR]: { meta: { hangUp: { local: 'error', remote: 'error' } } },
  },
});

export type ChannelMachine = typeof channelMachine;

/**
 * Why the leg ends if `by` hangs up now (with no cause of its own): the innermost active state's entry in the
 * chart's hang-up table (`ChannelMeta`): `cancel` when the side that started the call gives up before the
 * answer, `error` from ERROR, else `normal`.
 */
export function hangUpCause(snapshot: { getMeta(): Record<string, ChannelMeta | undefined> }, by: ClearedBy): EndCause {
  let depth = -1;
  let cause: EndCause = 'normal';
  for (const [id, meta] of Object.entries(snapshot.getMeta())) {
    const here = meta?.hangUp?.[by];
    const level = id.split('.').length;
    if (here !== undefined && level > depth) [depth, cause] = [level, here];
  }
  return cause;
}

/** The Aculab state of a channel chart's state value (its active leaf: the groups are no state of their own). */
export function channelState(value: StateValue): State {
  return activeLeaf(value) as State;
}
