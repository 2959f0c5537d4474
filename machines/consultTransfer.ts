/**
 * The consult-transfer statechart: a Genesys two-step transfer (InitiateTransfer … CompleteTransfer), and,
 * started already completed, a single-step (blind) transfer. It owns the parent leg (the caller's, C1 on the
 * agent's desk) and the consult leg it dials (C2), and decides every consult path of docs/behaviour.md §4.
 *
 * Pure, like the retrievable transfer: while it runs the engine routes every end of either leg here, and the
 * chart answers with commands in the order they must happen. The consult timeout (default 30 s) is an XState
 * delay on the engine's clock, armed while the target has not answered; `null` arms none.
 * docs/consult-transfer.md has the table of paths, notifications and callbacks.
 *
 * A conference (`conference`): InitiateConference is a consult with the same exit paths, whose
 * CompleteConference (`CONFERENCE`) joins the target to the caller's call instead of leaving;
 * SingleStepConference (also `blind`) adds the target without a consult (`conference.adding`). In a
 * conference (`conference.joined`) the agent may remove the target (`REMOVE`) or leave (`LEAVE`: the caller and
 * the target stay connected, as after a completed transfer).
 */
import { setup, assign, emit, enqueueActions, cancel, stateIn } from 'xstate';
import {
  TransferCause,
  transferCauseForTargetEnd,
  type ClearedBy,
  type EndCause,
  type TransferEndedEvent,
} from './vocabulary';

export interface ConsultTransferInput {
  /** Seconds the target has to answer; `null` = no limit. */
  secondsTimeout: number | null;
  /** A single-step transfer: the agent leaves at once, the caller is connected when the target answers. */
  blind: boolean;
  /** A conference (InitiateConference; with `blind`, SingleStepConference). */
  conference?: boolean;
}

export interface ConsultTransferContext {
  secondsTimeout: number | null;
  blind: boolean;
  conference: boolean;
  transferCause: TransferCause;
  targetCause: EndCause | null;
  targetErrorMessage: string | null;
  parentUp: boolean;
  /** Which call the agent is talking to while consulting. */
  active: 'consult' | 'parent';
  /** What the target sends while it rings: nothing yet, ringing (a 180), or early media (a 183 with SDP). */
  targetMedia: 'none' | 'ringing' | 'earlyMedia';
  /** Whether our ringback plays to the caller (`ringback` on emitted, not yet off). */
  toneOn: boolean;
  /** Whether the caller's and the target's media are connected (`bridge` emitted, no `unbridge` since). */
  bridged: boolean;
}

export type ConsultTransferEvent =
  /** The caller's leg is on hold (the network confirmed our hold): the consult may dial. */
  | { type: 'PARENT.HELD' }
  /** The network refused to hold the caller's leg (it is ANSWERED again): no consult. */
  | { type: 'PARENT.HOLD_FAILED' }
  /** The target rings (SIP 18x); `earlyMedia` once it sends media of its own (183 with SDP), then or later. */
  | { type: 'TARGET.PROGRESS'; earlyMedia: boolean }
  | { type: 'TARGET.ANSWERED' }
  | { type: 'TARGET.CLEARED'; cause: EndCause; by: ClearedBy; errorMessage?: string }
  | { type: 'PARENT.CLEARED'; cause: EndCause; by: ClearedBy }
  /** CompleteTransfer (posted to either call). */
  | { type: 'COMPLETE' }
  /** The agent hangs up the consult call: the consult is cancelled. */
  | { type: 'CANCEL' }
  /** SwapCalls, or Retrieve of the held call of the pair. */
  | { type: 'SWAP' }
  /** The agent retrieves the caller before the target answered: the consult is abandoned. */
  | { type: 'ABANDON' }
  /** CompleteConference: the target joins the caller's call, the agent stays. */
  | { type: 'CONFERENCE' }
  /** DeleteFromConference of the target. */
  | { type: 'REMOVE' }
  /** The agent hangs up the conference call: the caller and the target stay connected. */
  | { type: 'LEAVE' }
  | { type: 'TIMEOUT' };

export type ConsultTransferEmitted =
  | { type: 'holdParent' }
  | { type: 'retrieveParent' }
  | { type: 'holdTarget' }
  | { type: 'retrieveTarget' }
  | { type: 'dialTarget' }
  /** The caller could not be held: the consult ends before dialling (C1 stays Established). */
  | { type: 'holdFailed' }
  /** The agent leaves both calls (they are Released on the desk); the legs go on, connected. */
  | { type: 'releaseAgentCalls' }
  /** The consult call carries on as an ordinary call of the agent's (its parent has gone). */
  | { type: 'detachTarget' }
  /** The agent leaves the consult call only (CompleteConference): it is Released on the desk, its leg goes on. */
  | { type: 'releaseConsultCall' }
  /** The target has joined the caller's call: it is the conference call now (participants updated). */
  | { type: 'conferenceJoined' }
  /** Our ringback to the caller, on or off (after completion, while the target rings without media of its own). */
  | { type: 'ringback'; playing: boolean }
  /** Connect the caller's and the target's media (its early media, or the call once it has answered). */
  | { type: 'bridge' }
  /** Disconnect them again (before a leg of the pair is cleared). */
  | { type: 'unbridge' }
  | { type: 'clearTarget'; cause: EndCause; by: ClearedBy; errorMessage?: string }
  | { type: 'clearParent'; cause: EndCause; by: ClearedBy }
  /** Send transferComplete to the parent now (it is still up). */
  | { type: 'reportComplete' }
  | TransferEndedEvent;

const TIMER = 'consultTimeout';

export const consultTransferMachine = setup({
  types: {
    input: {} as ConsultTransferInput,
    context: {} as ConsultTransferContext,
    events: {} as ConsultTransferEvent,
    emitted: {} as ConsultTransferEmitted,
  },
  guards: {
    isBlind: ({ context }) => context.blind,
    isConference: ({ context }) => context.conference,
    addsToConference: ({ context }) => context.blind && context.conference,
    consultActive: ({ context }) => context.active === 'consult',
    parentActive: ({ context }) => context.active === 'parent',
  },
  actions: {
    armTimer: enqueueActions(({ context, enqueue }) => {
      if (context.secondsTimeout !== null) {
        enqueue.raise({ type: 'TIMEOUT' }, { delay: context.secondsTimeout * 1000, id: TIMER });
      }
    }),
    cancelTimer: cancel(TIMER),
    /** A single-step transfer arms its timeout as the target is dialled (a completed consult keeps its own). */
    armTimerIfBlind: enqueueActions(({ context, enqueue }) => {
      if (context.blind && !context.conference && context.secondsTimeout !== null) {
        enqueue.raise({ type: 'TIMEOUT' }, { delay: context.secondsTimeout * 1000, id: TIMER });
      }
    }),
    /** Remember what the target sends while it rings (early media, once sent, is the media until the answer). */
    recordProgress: assign(({ context, event }) => {
      const e = event as Extract<ConsultTransferEvent, { type: 'TARGET.PROGRESS' }>; // only on TARGET.PROGRESS
      return { targetMedia: e.earlyMedia || context.targetMedia === 'earlyMedia' ? 'earlyMedia' : 'ringing' } as const;
    }),
    /**
     * After completion, while the target rings: its early media if it sends any (the caller and the target
     * bridged), else our ringback to the caller; nothing before it rings.
     */
    ringbackOrEarlyMedia: enqueueActions(({ context, enqueue }) => {
      if (context.targetMedia === 'earlyMedia') {
        if (context.toneOn) {
          enqueue.assign({ toneOn: false });
          enqueue.emit({ type: 'ringback', playing: false });
        }
        if (!context.bridged) {
          enqueue.assign({ bridged: true });
          enqueue.emit({ type: 'bridge' });
        }
      } else if (context.targetMedia === 'ringing' && !context.toneOn && !context.bridged) {
        enqueue.assign({ toneOn: true });
        enqueue.emit({ type: 'ringback', playing: true });
      }
    }),
    /** The target no longer rings (it answered, or a leg is cleared): our ringback stops. */
    ringbackOff: enqueueActions(({ context, enqueue }) => {
      if (!context.toneOn) return;
      enqueue.assign({ toneOn: false });
      enqueue.emit({ type: 'ringback', playing: false });
    }),
    /** Connect the caller and the target, unless they are already. */
    bridge: enqueueActions(({ context, enqueue }) => {
      if (context.bridged) return;
      enqueue.assign({ bridged: true });
      enqueue.emit({ type: 'bridge' });
    }),
    /** Before a leg of the pair is cleared: no bridge (the ringback, if any, stopped as its state was left). */
    mediaOff: enqueueActions(({ context, enqueue }) => {
      if (!context.bridged) return;
      enqueue.assign({ bridged: false });
      enqueue.emit({ type: 'unbridge' });
    }),
    /** Used only on TARGET.CLEARED transitions. */
    recordTarget: assign(({ event }) => {
      const e = event as Extract<ConsultTransferEvent, { type: 'TARGET.CLEARED' }>;
      return { targetCause: e.cause, targetErrorMessage: e.errorMessage ?? null };
    }),
    clearTargetAsReported: enqueueActions(({ context, enqueue, event }) => {
      const e = event as Extract<ConsultTransferEvent, { type: 'TARGET.CLEARED' }>;
      if (context.bridged) {
        enqueue.assign({ bridged: false });
        enqueue.emit({ type: 'unbridge' });
      }
      enqueue.emit({ type: 'clearTarget', cause: e.cause, by: e.by, errorMessage: e.errorMessage });
    }),
    clearParentAsReported: enqueueActions(({ context, enqueue, event }) => {
      const e = event as Extract<ConsultTransferEvent, { type: 'PARENT.CLEARED' }>;
      if (context.bridged) {
        enqueue.assign({ bridged: false });
        enqueue.emit({ type: 'unbridge' });
      }
      enqueue.emit({ type: 'clearParent', cause: e.cause, by: e.by });
    }),
    parentGone: assign({ parentUp: false }),
    /** The agent gives the consult up: a failure (FAIL), and the consult leg is cancelled. */
    cancelConsult: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ transferCause: TransferCause.FAIL, targetCause: 'cancel' });
      if (context.bridged) {
        enqueue.assign({ bridged: false });
        enqueue.emit({ type: 'unbridge' });
      }
      enqueue.emit({ type: 'clearTarget', cause: 'cancel', by: 'local' });
    }),
    /**
     * After completion the caller has gone: clear the target (`cancel` while it still rings, `normal` once
     * it is talking to the caller), then the caller's leg as reported.
     */
    callerLeft: enqueueActions(({ context, enqueue, event }, params: { targetCause: 'cancel' | 'normal' }) => {
      const e = event as Extract<ConsultTransferEvent, { type: 'PARENT.CLEARED' }>; // used only on PARENT.CLEARED
      enqueue.assign({ targetCause: params.targetCause, parentUp: false });
      if (context.bridged) {
        enqueue.assign({ bridged: false });
        enqueue.emit({ type: 'unbridge' });
      }
      enqueue.emit({ type: 'clearTarget', cause: params.targetCause, by: 'local' });
      enqueue.emit({ type: 'clearParent', cause: e.cause, by: e.by });
    }),
    /** After completion the target has gone: tell the caller's leg (transferComplete), then clear it. */
    hangUpCaller: enqueueActions(({ context, enqueue }) => {
      enqueue.emit({ type: 'reportComplete' });
      enqueue.assign({ parentUp: false });
      if (context.bridged) {
        enqueue.assign({ bridged: false });
        enqueue.emit({ type: 'unbridge' });
      }
      enqueue.emit({ type: 'clearParent', cause: 'normal', by: 'local' });
    }),
    /**
     * CompleteTransfer: the agent leaves both calls, and whichever was on hold is reconnected (a target that
     * still rings was never held: nothing to reconnect when the agent was back with the caller).
     */
    leaveAndReconnect: enqueueActions(({ context, enqueue }, params: { targetAnswered: boolean }) => {
      enqueue.emit({ type: 'releaseAgentCalls' });
      if (context.active === 'consult') enqueue.emit({ type: 'retrieveParent' });
      else if (params.targetAnswered) enqueue.emit({ type: 'retrieveTarget' });
    }),
  },
}).createMachine({
  id: 'consultTransfer',
  context: ({ input }) => ({
    secondsTimeout: input.secondsTimeout,
    blind: input.blind,
    conference: input.conference ?? false,
    transferCause: TransferCause.NONE,
    targetCause: null,
    targetErrorMessage: null,
    parentUp: true,
    active: 'consult',
    targetMedia: 'none',
    toneOn: false,
    bridged: false,
  }),
  // Whatever the state, the chart remembers what the target sends while it rings (its media comes after completion).
  on: { 'TARGET.PROGRESS': { actions: 'recordProgress' } },
  initial: 'starting',
  states: {
    starting: {
      always: [
        { guard: 'addsToConference', target: 'conference' },
        { guard: 'isBlind', target: 'completed' },
        { target: 'consulting' },
      ],
    },
    /**
     * A conference: SingleStepConference dials the target while the agent stays with the caller (`adding`, no
     * consult call); once it answers, or once CompleteConference has joined a consult's target, the caller, the
     * agent and the target are in one call (the caller's, C1; `joined`).
     */
    conference: {
      initial: 'adding',
      on: {
        // The target leaves: a failure to add it, or (joined) the caller's call goes on with the agent.
        'TARGET.CLEARED': {
          target: 'ended',
          actions: [
            'recordTarget',
            enqueueActions(({ check, enqueue, event }) =>
              enqueue.assign({
                transferCause: check(stateIn('#consultTransfer.conference.joined'))
                  ? TransferCause.NORMAL
                  : transferCauseForTargetEnd(event.cause),
              }),
            ),
            'clearTargetAsReported',
          ],
        },
        // The caller hangs up: the target is cancelled (adding) or released (joined): the conference ends.
        'PARENT.CLEARED': {
          target: 'ended',
          actions: enqueueActions(({ check, enqueue }) => {
            const joined = check(stateIn('#consultTransfer.conference.joined'));
            enqueue.assign({ transferCause: joined ? TransferCause.NORMAL : TransferCause.HANGUP });
            enqueue({ type: 'callerLeft', params: { targetCause: joined ? 'normal' : 'cancel' } });
          }),
        },
      },
      states: {
        adding: {
          entry: ['armTimer', emit({ type: 'dialTarget' } as const)],
          exit: 'cancelTimer',
          on: {
            'TARGET.ANSWERED': 'joined',
            TIMEOUT: {
              target: '#consultTransfer.ended',
              actions: [
                assign({ transferCause: TransferCause.TIMEOUT, targetCause: 'timeout' }),
                'mediaOff',
                emit({ type: 'clearTarget', cause: 'timeout', by: 'local' } as const),
              ],
            },
          },
        },
        joined: {
          entry: ['bridge', emit({ type: 'conferenceJoined' } as const)],
          on: {
            REMOVE: {
              target: '#consultTransfer.ended',
              actions: [
                assign({ transferCause: TransferCause.NORMAL, targetCause: 'normal' }),
                'mediaOff',
                emit({ type: 'clearTarget', cause: 'normal', by: 'local' } as const),
              ],
            },
            // The agent leaves: the caller and the target stay connected, as after a completed transfer.
            LEAVE: {
              target: '#consultTransfer.completed.bridged',
              actions: emit({ type: 'releaseAgentCalls' } as const),
            },
          },
        },
      },
    },
    /** The agent talks to the target (or waits for it) while the caller is held. */
    consulting: {
      entry: emit({ type: 'holdParent' } as const),
      initial: 'holding',
      states: {
        /** The caller's hold is asked for; the target is dialled only once it has taken (C1 Held, then C2 Dialing). */
        holding: {
          on: {
            'PARENT.HELD': 'dialling',
            'PARENT.HOLD_FAILED': {
              target: '#consultTransfer.ended',
              actions: [assign({ transferCause: TransferCause.FAIL }), emit({ type: 'holdFailed' } as const)],
            },
          },
        },
        dialling: {
          // One consult timeout for the whole wait for the target, before and after CompleteTransfer.
          entry: ['armTimer', emit({ type: 'dialTarget' } as const)],
          on: {
            'TARGET.ANSWERED': [
              // The agent is back with the caller (SwapCalls while it rang): the target waits on hold.
              { guard: 'parentActive', target: 'connected', actions: emit({ type: 'holdTarget' } as const) },
              { target: 'connected' },
            ],
            // Completed before the target answers: the caller is connected when (if) it does.
            COMPLETE: {
              target: '#consultTransfer.completed.awaitingTarget',
              actions: { type: 'leaveAndReconnect', params: { targetAnswered: false } },
            },
            // The agent hangs up the consult call (there is one once dialled): the consult is cancelled.
            CANCEL: { target: '#consultTransfer.ended', actions: 'cancelConsult' },
            // The agent retrieves the caller before the target answers: the consult is abandoned.
            ABANDON: {
              guard: 'consultActive',
              target: '#consultTransfer.ended',
              actions: ['cancelConsult', emit({ type: 'retrieveParent' } as const)],
            },
            // SwapCalls while the target rings: the agent talks to the caller (the consult keeps ringing), and back.
            SWAP: [
              {
                guard: 'consultActive',
                actions: [assign({ active: 'parent' }), emit({ type: 'retrieveParent' } as const)],
              },
              { actions: [assign({ active: 'consult' }), emit({ type: 'holdParent' } as const)] },
            ],
            TIMEOUT: {
              description: 'after the consult timeout',
              target: '#consultTransfer.ended',
              actions: [
                assign({ transferCause: TransferCause.TIMEOUT, targetCause: 'timeout' }),
                'mediaOff',
                emit({ type: 'clearTarget', cause: 'timeout', by: 'local' } as const),
              ],
            },
            'TARGET.CLEARED': {
              target: '#consultTransfer.ended',
              actions: [
                'recordTarget',
                assign({ transferCause: ({ event }) => transferCauseForTargetEnd(event.cause) }),
                'clearTargetAsReported',
              ],
            },
          },
        },
        connected: {
          entry: 'cancelTimer',
          on: {
            COMPLETE: {
              target: '#consultTransfer.completed.bridged',
              actions: { type: 'leaveAndReconnect', params: { targetAnswered: true } },
            },
            // CompleteConference: the agent leaves the consult call only; whichever call was held is reconnected.
            CONFERENCE: {
              guard: 'isConference',
              target: '#consultTransfer.conference.joined',
              actions: [
                emit({ type: 'releaseConsultCall' } as const),
                enqueueActions(({ context, enqueue }) =>
                  enqueue.emit(context.active === 'consult' ? { type: 'retrieveParent' } : { type: 'retrieveTarget' }),
                ),
              ],
            },
            CANCEL: { target: '#consultTransfer.ended', actions: 'cancelConsult' },
            'TARGET.CLEARED': {
              target: '#consultTransfer.ended',
              actions: ['recordTarget', assign({ transferCause: TransferCause.TARGETHANGUP }), 'clearTargetAsReported'],
            },
            SWAP: [
              {
                guard: 'consultActive',
                actions: [
                  assign({ active: 'parent' }),
                  emit({ type: 'holdTarget' } as const),
                  emit({ type: 'retrieveParent' } as const),
                ],
              },
              {
                actions: [
                  assign({ active: 'consult' }),
                  emit({ type: 'holdParent' } as const),
                  emit({ type: 'retrieveTarget' } as const),
                ],
              },
            ],
          },
        },
      },
      on: {
        'PARENT.CLEARED': {
          target: 'ended',
          actions: [
            assign({ transferCause: TransferCause.HANGUP }),
            'parentGone',
            'clearParentAsReported',
            emit({ type: 'detachTarget' } as const),
          ],
        },
      },
    },
    /** The agent has left; the caller and the target are (or will be, on answer) connected. */
    completed: {
      entry: [
        assign({ transferCause: TransferCause.NORMAL }),
        enqueueActions(({ context, enqueue }) => {
          if (context.blind && !context.conference) {
            enqueue.emit({ type: 'releaseAgentCalls' });
            enqueue.emit({ type: 'retrieveParent' }); // a single-step transfer of a held call
            enqueue.emit({ type: 'dialTarget' });
          }
        }),
      ],
      initial: 'awaitingTarget',
      states: {
        awaitingTarget: {
          // A consult completed while dialling keeps the timer it armed; a single-step transfer arms one now.
          // What the caller hears while the target rings: our ringback, or its early media (bridged); and again
          // when the target's progress changes (a 183 with SDP after a 180: from our ringback to its media).
          entry: ['armTimerIfBlind', 'ringbackOrEarlyMedia'],
          exit: 'ringbackOff',
          on: {
            'TARGET.PROGRESS': { actions: ['recordProgress', 'ringbackOrEarlyMedia'] },
            'TARGET.ANSWERED': 'bridged',
            TIMEOUT: {
              description: 'after the consult timeout',
              target: '#consultTransfer.ended',
              actions: [
                assign({ targetCause: 'timeout' }),
                assign(({ context }) => (context.blind ? { transferCause: TransferCause.TIMEOUT } : {})),
                'mediaOff',
                emit({ type: 'clearTarget', cause: 'timeout', by: 'local' } as const),
                'hangUpCaller',
              ],
            },
            'TARGET.CLEARED': {
              target: '#consultTransfer.ended',
              actions: [
                'recordTarget',
                assign(({ context, event }) =>
                  context.blind ? { transferCause: transferCauseForTargetEnd(event.cause) } : {},
                ),
                'clearTargetAsReported',
                'hangUpCaller',
              ],
            },
            'PARENT.CLEARED': {
              target: '#consultTransfer.ended',
              actions: [
                assign(({ context }) => (context.blind ? { transferCause: TransferCause.HANGUP } : {})),
                { type: 'callerLeft', params: { targetCause: 'cancel' } },
              ],
            },
          },
        },
        bridged: {
          entry: ['cancelTimer', 'bridge'],
          on: {
            'TARGET.CLEARED': {
              target: '#consultTransfer.ended',
              actions: ['recordTarget', 'clearTargetAsReported', 'hangUpCaller'],
            },
            'PARENT.CLEARED': {
              target: '#consultTransfer.ended',
              actions: { type: 'callerLeft', params: { targetCause: 'normal' } },
            },
          },
        },
      },
    },
    ended: {
      type: 'final',
      entry: [
        'cancelTimer',
        emit(({ context }) => ({
          type: 'ended' as const,
          transferCause: context.transferCause,
          targetCause: context.targetCause,
          targetErrorMessage: context.targetErrorMessage,
          parentUp: context.parentUp,
        })),
      ],
    },
  },
});

export type ConsultTransferMachine = typeof consultTransferMachine;
