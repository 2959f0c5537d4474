/**
 * The supervisor: watches legs and transfers and emits the callbacks of docs/behaviour.md §5 on the event bus,
 * on every exit path. It keeps the rules: one terminal event per leg (the one the channel chart names:
 * `disconnect`, or `transferDisconnect` for a transfer leg), `transferComplete` only while the parent is
 * up, and a listener that throws never stops the engine or the other listeners.
 */
import EventEmitter from 'eventemitter3';
import type { BandwidthCallback } from './callbacks';
import type { ConferenceCallback } from './conferenceCallbacks';
import { CallbackBuilder, type CallbackContext } from './callbacks';
import type { EngineClock } from './clock';
import type { SwitchboardEvents, SwitchboardEventName, TransferEndedInfo } from './events';
import { newErrorId } from './ids';
import type { Leg } from './leg';
import { Turns } from './turns';
import type { State } from '../../machines/vocabulary';
import type { AnswerCallback, EndCallback } from '../../machines/channel';

type Listener = (...args: never[]) => void;

export class Supervisor {
  readonly bus = new EventEmitter<SwitchboardEvents>();
  readonly callbacks: CallbackBuilder;
  private readonly wrappers = new Map<SwitchboardEventName, Map<Listener, Listener>>();
  /** Terminal events sent so far (for stats and invariants). */
  terminalEvents = 0;

  /** Engine turns: payloads are built at once and delivered when the outermost turn ends. */
  readonly turns = new Turns();

  constructor(
    context: CallbackContext,
    private readonly clock: EngineClock,
  ) {
    this.callbacks = new CallbackBuilder(context);
  }

  // ---- listener registration: each listener is isolated in a try/catch ----

  on<E extends SwitchboardEventName>(event: E, listener: SwitchboardEvents[E], once = false): void {
    const wrapped = ((...args: unknown[]) => {
      if (once) this.wrappers.get(event)?.delete(listener as Listener);
      try {
        (listener as (...a: unknown[]) => void)(...args);
      } catch (error) {
        this.listenerFailed(event, error);
      }
    }) as SwitchboardEvents[E];
    let byEvent = this.wrappers.get(event);
    if (!byEvent) this.wrappers.set(event, (byEvent = new Map()));
    byEvent.set(listener as Listener, wrapped as Listener);
    // eventemitter3's typings want the exact listener type; `wrapped` has it.
    if (once) this.bus.once(event, wrapped as never);
    else this.bus.on(event, wrapped as never);
  }

  off<E extends SwitchboardEventName>(event: E, listener: SwitchboardEvents[E]): void {
    const wrapped = this.wrappers.get(event)?.get(listener as Listener);
    if (!wrapped) return;
    this.wrappers.get(event)?.delete(listener as Listener);
    this.bus.off(event, wrapped as never);
  }

  /** Report a listener that threw (also used by agent devices for their own listeners). */
  listenerFailed(event: string, error: unknown): void {
    if (event !== 'listenerError' && this.bus.listenerCount('listenerError') > 0) {
      this.bus.emit('listenerError', { event, error });
    } else {
      console.error(`switchboard: a '${event}' listener threw:`, error);
    }
  }

  /** A network command threw (the engine failed the leg); reported on `networkError`, or logged. */
  networkError(command: string, callId: string, error: unknown): void {
    if (this.bus.listenerCount('networkError') > 0)
      this.turns.defer(() => this.bus.emit('networkError', { command, callId, error }));
    else console.error(`switchboard: the network's ${command} for ${callId} threw:`, error);
  }

  private send(payload: BandwidthCallback, leg?: Leg): void {
    const meta = leg?.callbackUrls ? { urls: leg.callbackUrls } : {};
    this.turns.defer(() => {
      this.bus.emit(payload.eventType, payload as never);
      this.bus.emit('callback', payload, meta);
    });
  }

  // ---- what the engine reports ----

  offered(leg: Leg): void {
    this.send(this.callbacks.initiate(leg, this.clock.now()));
  }

  /** The leg was answered: the callback the channel chart named, if any. */
  answered(leg: Leg, callback: AnswerCallback | null): void {
    const now = this.clock.now();
    if (callback === 'transferAnswer') this.send(this.callbacks.transferAnswer(leg, leg.parent as Leg, now), leg);
    else if (callback === 'answer') this.send(this.callbacks.answer(leg, now));
  }

  /**
   * The leg has ended: the one terminal event the channel chart named, then the Catapult v1 hangup. An end in
   * error (the chart has given its message) gets an error id.
   */
  ended(leg: Leg, callback: EndCallback, error: boolean): void {
    const now = this.clock.now();
    if (error) leg.errorId ??= newErrorId();
    this.terminalEvents++;
    if (callback === 'transferDisconnect')
      this.send(this.callbacks.transferDisconnect(leg, leg.parent as Leg, now), leg);
    else this.send(this.callbacks.disconnect(leg, now));
    const hangup = this.callbacks.catapultHangup(leg, now);
    this.turns.defer(() => this.bus.emit('hangup', hangup));
  }

  transferCompleted(parent: Leg, target: Leg): void {
    this.send(this.callbacks.transferComplete(parent, target, this.clock.now()), target);
  }

  /** A conference room's callback (created, a member joined or left, completed). */
  conferenceEvent(payload: ConferenceCallback): void {
    this.turns.defer(() => {
      this.bus.emit(payload.eventType, payload as never);
      this.bus.emit('conferenceCallback', payload);
    });
  }

  transferEnded(info: TransferEndedInfo): void {
    this.turns.defer(() => this.bus.emit('transferEnded', info));
  }

  stateChanged(leg: Leg, previous: State, state: State): void {
    if (this.bus.listenerCount('legState') === 0) return;
    const change = { callId: leg.callId, previous, state, time: this.clock.now() };
    this.turns.defer(() => this.bus.emit('legState', change));
  }

  incomingCall(...args: Parameters<SwitchboardEvents['incomingCall']>): void {
    this.turns.defer(() => this.bus.emit('incomingCall', ...args));
  }
}
