/**
 * The retrievable-transfer statechart (Aculab `retrievableTransfer` / `transferToInboundService`): it owns one
 * parent leg A (ANSWERED when it starts) and one target leg B (dialled by it), and decides every exit path
 * of docs/behaviour.md §3.
 *
 * Pure: while it runs, the engine routes every *end* of A or B to it (`PARENT.CLEARED`, `TARGET.CLEARED`)
 * instead of to the legs, so that this chart alone orders the clears. It answers with commands, emitted in
 * the order they must happen (`clearTarget` before `clearParent`), which the engine carries out on the legs.
 * `secondsTimeout` is an XState delay on the engine's clock; `null` arms no timer at all.
 */
import { setup, assign, emit, enqueueActions, cancel } from 'xstate';
import {
  TransferCause,
  transferCauseForTargetEnd,
  type ClearedBy,
  type EndCause,
  type TransferEndedEvent,
} from './vocabulary';

export interface RetrievableTransferInput {
  /** Seconds allowed for B to answer; `null` = no limit. */
  secondsTimeout: number | null;
}

export interface RetrievableTransferContext {
  secondsTimeout: number | null;
  transferCause: TransferCause;
  /** How B ended (the `cause` of transferComplete); null while B is up. */
  targetCause: EndCause | null;
  targetErrorMessage: string | null;
  /** Whether A is still up when the transfer ends (transferComplete is sent only then). */
  parentUp: boolean;
  /**
   * Whether A's and B's media are connected (`bridge` emitted, no `unbridge` since): from B's early media while
   * it rings, or from its answer, until B or A is cleared.
   */
  bridged: boolean;
}

export type RetrievableTransferEvent =
  /** B rings (SIP 18x); `earlyMedia` once B sends media of its own (183 with SDP), then or later. */
  | { type: 'TARGET.PROGRESS'; earlyMedia: boolean }
  | { type: 'TARGET.ANSWERED' }
  | { type: 'TARGET.CLEARED'; cause: EndCause; by: ClearedBy; errorMessage?: string }
  | { type: 'PARENT.CLEARED'; cause: EndCause; by: ClearedBy }
  /** The application retrieves the transferred call (`retrieveTransferredCall`). */
  | { type: 'RETRIEVE' }
  /** `secondsTimeout` elapsed before B answered. */
  | { type: 'TIMEOUT' };

export type RetrievableTransferEmitted =
  | { type: 'dialTarget' }
  /** Our ringback tone to A, on or off (B rings without media of its own). */
  | { type: 'ringback'; playing: boolean }
  /** Connect A's and B's media: B's early media while it rings, or the call once it has answered. */
  | { type: 'bridge' }
  /** Disconnect them again (before B or A is cleared). */
  | { type: 'unbridge' }
  | { type: 'parentTransferred' }
  | { type: 'parentFailed'; transferCause: TransferCause }
  | { type: 'reconnectParent'; transferCause: TransferCause }
  | { type: 'clearTarget'; cause: EndCause; by: ClearedBy; errorMessage?: string }
  | { type: 'clearParent'; cause: EndCause; by: ClearedBy; transferCause: TransferCause }
  | TransferEndedEvent;

const TIMER = 'transferTimeout';

export const retrievableTransferMachine = setup({
  types: {
    input: {} as RetrievableTransferInput,
    context: {} as RetrievableTransferContext,
    events: {} as RetrievableTransferEvent,
    emitted: {} as RetrievableTransferEmitted,
  },
  actions: {
    /** Connect A's and B's media, unless they are already. */
    bridge: enqueueActions(({ context, enqueue }) => {
      if (context.bridged) return;
      enqueue.assign({ bridged: true });
      enqueue.emit({ type: 'bridge' });
    }),
    /** Disconnect A's and B's media, if connected (before a leg is cleared). */
    unbridge: enqueueActions(({ context, enqueue }) => {
      if (!context.bridged) return;
      enqueue.assign({ bridged: false });
      enqueue.emit({ type: 'unbridge' });
    }),
  },
  guards: {
    /** B sends early media (a 183 with SDP). */
    earlyMedia: ({ event }) => event.type === 'TARGET.PROGRESS' && event.earlyMedia,
  },
}).createMachine({
  id: 'retrievableTransfer',
  context: ({ input }) => ({
    secondsTimeout: input.secondsTimeout,
    transferCause: TransferCause.NONE,
    targetCause: null,
    targetErrorMessage: null,
    parentUp: true,
    bridged: false,
  }),
  initial: 'awaitingAnswer',
  states: {
    awaitingAnswer: {
      entry: enqueueActions(({ context, enqueue }) => {
        if (context.secondsTimeout !== null) {
          enqueue.raise({ type: 'TIMEOUT' }, { delay: context.secondsTimeout * 1000, id: TIMER });
        }
        enqueue.emit({ type: 'dialTarget' });
      }),
      exit: cancel(TIMER),
      initial: 'dialling',
      states: {
        dialling: {
          on: {
            'TARGET.PROGRESS': [{ guard: 'earlyMedia', target: 'earlyMedia' }, { target: 'ringing' }],
          },
        },
        /** B rings without media of its own: A hears our ringback tone. */
        ringing: {
          entry: emit({ type: 'ringback', playing: true } as const),
          exit: emit({ type: 'ringback', playing: false } as const),
          // B sends early media after all (a 180, then a 183 with SDP): A hears B's instead of our tone.
          on: { 'TARGET.PROGRESS': { guard: 'earlyMedia', target: 'earlyMedia' } },
        },
        /** B rings with early media: A hears it (A and B connected), not our ringback. */
        earlyMedia: {
          entry: 'bridge',
        },
      },
      on: {
        'TARGET.ANSWERED': 'transferred',
        'TARGET.CLEARED': {
          target: 'ended',
          actions: [
            assign(({ event }) => ({
              transferCause: transferCauseForTargetEnd(event.cause),
              targetCause: event.cause,
              targetErrorMessage: event.errorMessage ?? null,
            })),
            'unbridge',
            emit(({ event }) => ({
              type: 'clearTarget' as const,
              cause: event.cause,
              by: event.by,
              errorMessage: event.errorMessage,
            })),
            emit(({ context }) => ({ type: 'parentFailed' as const, transferCause: context.transferCause })),
          ],
        },
        TIMEOUT: {
          description: 'after secondsTimeout',
          target: 'ended',
          actions: [
            assign({ transferCause: TransferCause.TIMEOUT, targetCause: 'timeout' }),
            'unbridge',
            emit({ type: 'clearTarget', cause: 'timeout', by: 'local' } as const),
            emit({ type: 'parentFailed', transferCause: TransferCause.TIMEOUT } as const),
          ],
        },
        'PARENT.CLEARED': {
          target: 'ended',
          actions: [
            assign({ transferCause: TransferCause.HANGUP, targetCause: 'cancel', parentUp: false }),
            'unbridge',
            emit({ type: 'clearTarget', cause: 'cancel', by: 'local' } as const),
            emit(({ event }) => ({
              type: 'clearParent' as const,
              cause: event.cause,
              by: event.by,
              transferCause: TransferCause.HANGUP,
            })),
          ],
        },
      },
    },
    transferred: {
      // A and B connected (already, if A heard B's early media), then A is told.
      entry: [assign({ transferCause: TransferCause.NORMAL }), 'bridge', emit({ type: 'parentTransferred' } as const)],
      on: {
        'TARGET.CLEARED': {
          target: 'ended',
          actions: [
            assign(({ event }) => ({ targetCause: event.cause, targetErrorMessage: event.errorMessage ?? null })),
            'unbridge',
            emit(({ event }) => ({
              type: 'clearTarget' as const,
              cause: event.cause,
              by: event.by,
              errorMessage: event.errorMessage,
            })),
            emit({ type: 'reconnectParent', transferCause: TransferCause.NORMAL } as const),
          ],
        },
        RETRIEVE: {
          target: 'ended',
          actions: [
            assign({ targetCause: 'normal' }),
            'unbridge',
            emit({ type: 'clearTarget', cause: 'normal', by: 'local' } as const),
            emit({ type: 'reconnectParent', transferCause: TransferCause.NORMAL } as const),
          ],
        },
        'PARENT.CLEARED': {
          target: 'ended',
          actions: [
            assign({ targetCause: 'normal', parentUp: false }),
            'unbridge',
            emit({ type: 'clearTarget', cause: 'normal', by: 'local' } as const),
            emit(({ event }) => ({
              type: 'clearParent' as const,
              cause: event.cause,
              by: event.by,
              transferCause: TransferCause.NORMAL,
            })),
          ],
        },
      },
    },
    ended: {
      type: 'final',
      entry: emit(({ context }) => ({
        type: 'ended' as const,
        transferCause: context.transferCause,
        targetCause: context.targetCause,
        targetErrorMessage: context.targetErrorMessage,
        parentUp: context.parentUp,
      })),
    },
  },
  output: ({ context }) => ({ transferCause: context.transferCause, targetCause: context.targetCause }),
});

export type RetrievableTransferMachine = typeof retrievableTransferMachine;
