/**
 * An agent device (`sb.agent({ phoneNumber })`): the agent-desk face of docs/behaviour.md §4, in-process. It takes
 * Genesys voice operations (`operation(callId, body)`, `dial(body)`), answers with Genesys responses, and
 * delivers CometD-format notifications to its listeners. A refused operation changes nothing and emits
 * nothing: every check runs before any effect.
 */
import EventEmitter from 'eventemitter3';
import { newDeviceId } from '../ids';
import type { AgentCall, AgentCallCommand, AgentCallOwner } from './call';
import type { ConsultRun } from './consult';
import type { Leg } from '../leg';
import { notification, type AgentCallObject, type CallNotification, type NotificationType } from './notifications';
import { checkDial, checkOperation, userDataTotalProblem } from './validation';

/** Genesys response: `{ statusCode: 0 }`, or an error with its code and message. */
export type OperationResponse = { statusCode: 0 } | { statusCode: ErrorCode; statusMessage: string };

/** `GET /api/v2/me/calls/{id}`: the call object, as the list shows it, or an error (5 or 6). */
export type CallResponse = { statusCode: 0; call: AgentCallObject } | { statusCode: ErrorCode; statusMessage: string };

/**
 * 1 missing or invalid parameter, 2 not valid in the current state, 3 forbidden, 4 internal error,
 * 5 no permission (another agent's call), 6 unknown call, 20 authentication failed.
 */
export type ErrorCode = 1 | 2 | 3 | 4 | 5 | 6 | 20;

export interface AgentDeviceEvents {
  notification: (message: CallNotification) => void;
}

/** What a device needs from the engine. */
export interface AgentDeviceHost {
  now(): number;
  turn<T>(fn: () => T): T;
  defer(delivery: () => void): void;
  listenerFailed(event: string, error: unknown): void;
  findCall(id: string): AgentCall | undefined;
  forgetCall(call: AgentCall): void;
  /** The leg the call shows, and the consult it is part of (the registry's relations). */
  legOf(call: AgentCall): Leg | null;
  consultOf(call: AgentCall): ConsultRun | null;
  answer(call: AgentCall): void;
  hangUp(call: AgentCall): void;
  hold(call: AgentCall): void;
  retrieve(call: AgentCall): void;
  startTransfer(call: AgentCall, destination: string, blind: boolean, conference: boolean): void;
  dial(device: AgentDevice, destination: string): void;
}

export interface AgentOptions {
  /** The agent's DN, e.g. `5005`: calls placed to it ring this device. */
  phoneNumber: string;
  /** Seconds the consult target has to answer; `null` = no limit. Default 30. */
  consultTimeout?: number | null;
}

const ok: OperationResponse = { statusCode: 0 };
const fail = (statusCode: ErrorCode, statusMessage: string): OperationResponse => ({ statusCode, statusMessage });

export class AgentDevice implements AgentCallOwner {
  readonly phoneNumber: string;
  readonly deviceId: string;
  readonly consultTimeout: number | null;
  private readonly emitter = new EventEmitter<AgentDeviceEvents>();
  /** Each listener given to `on`, with the guarded functions the emitter holds for it. */
  private readonly guarded = new Map<(message: CallNotification) => void, Array<(message: CallNotification) => void>>();
  private readonly live = new Map<string, AgentCall>();
  /** The last notification queued per call and not yet delivered. */
  private readonly queued = new Map<string, CallNotification>();

  /** @internal Devices are made by `sb.agent()`. */
  constructor(
    private readonly host: AgentDeviceHost,
    options: AgentOptions,
    private readonly publicUrl: string,
    /** A restarted node gives a device back the id it had (durable.ts). */
    deviceId: string = newDeviceId(),
  ) {
    this.deviceId = deviceId;
    this.phoneNumber = options.phoneNumber;
    this.consultTimeout = options.consultTimeout === undefined ? 30 : options.consultTimeout;
  }

  get deviceUri(): string {
    return `${this.publicUrl}/api/v2/devices/${this.deviceId}`;
  }

  get callsUri(): string {
    return `${this.publicUrl}/api/v2/me/calls`;
  }

  now(): number {
    return this.host.now();
  }

  /** Listen for CometD notifications (`/v2/me/calls` messages). A listener that throws is reported, not fatal. */
  on(event: 'notification', listener: (message: CallNotification) => void): this {
    const guarded = (message: CallNotification) => {
      try {
        listener(message);
      } catch (error) {
        this.host.listenerFailed(`agent ${this.phoneNumber} ${event}`, error);
      }
    };
    this.guarded.set(listener, [...(this.guarded.get(listener) ?? []), guarded]);
    this.emitter.on(event, guarded);
    return this;
  }

  /** Stop a listener given to `on` (once per time it was added). */
  off(event: 'notification', listener: (message: CallNotification) => void): this {
    const added = this.guarded.get(listener);
    const guarded = added?.pop();
    if (guarded) this.emitter.off(event, guarded);
    if (added?.length === 0) this.guarded.delete(listener);
    return this;
  }

  /** How many listeners are listening now. */
  listenerCount(event: 'notification'): number {
    return this.emitter.listenerCount(event);
  }

  /** The agent's live calls, as the desk sees them. */
  calls(): AgentCallObject[] {
    return [...this.live.values()].map((call) => call.view());
  }

  /** One live call of the agent's (`GET /api/v2/me/calls/{id}`); a released call is gone, as from `calls()`. */
  call(callId: string): CallResponse {
    const call = this.host.findCall(callId);
    if (!call) return { statusCode: 6, statusMessage: `Call '${callId}' not found` };
    if (call.owner !== this)
      return { statusCode: 5, statusMessage: `No permission: call '${callId}' belongs to another agent's device` };
    return { statusCode: 0, call: call.view() };
  }

  /** `POST /api/v2/me/calls/{id}` with `{ operationName, … }`. */
  async operation(callId: string, body: unknown): Promise<OperationResponse> {
    return internalErrors(() => this.host.turn(() => this.perform(callId, body)));
  }

  /** `POST /api/v2/me/devices/{deviceId}/calls` with `{ destination: { phoneNumber } }` (Dial). */
  async dial(body: unknown): Promise<OperationResponse> {
    const checked = checkDial(body);
    if ('statusCode' in checked) return checked;
    const { destination } = checked;
    return internalErrors(() => {
      this.host.turn(() => this.host.dial(this, destination));
      return ok;
    });
  }

  // ---- AgentCallOwner ----

  /** @internal */
  adopt(call: AgentCall): void {
    this.live.set(call.id, call);
    call.start();
  }

  /**
   * @internal Queue a notification for delivery after the current turn. A StatusChange for a call whose last
   * queued StatusChange (not yet delivered) has the same state is updated in place: within one turn the desk
   * sees each state of a call once, with its final capabilities.
   */
  notify(call: AgentCall, type: NotificationType): void {
    const view = call.view();
    const queued = this.queued.get(call.id);
    if (
      type === 'StatusChange' &&
      queued?.data.notificationType === 'StatusChange' &&
      queued.data.call.state === view.state
    ) {
      queued.data.call = view;
      return;
    }
    const message = notification(type, view, this.phoneNumber);
    this.queued.set(call.id, message);
    this.host.defer(() => {
      if (this.queued.get(call.id) === message) this.queued.delete(call.id);
      this.emitter.emit('notification', message);
    });
  }

  /** @internal */
  legOf(call: AgentCall): Leg | null {
    return this.host.legOf(call);
  }

  /** @internal */
  consultOf(call: AgentCall): ConsultRun | null {
    return this.host.consultOf(call);
  }

  /** @internal An accepted operation's effect, as the call's chart decided it, carried out in order. */
  carryOut(call: AgentCall, command: AgentCallCommand): void {
    switch (command.type) {
      case 'answerLeg':
        return this.host.answer(call);
      case 'hangUpLeg':
        return this.host.hangUp(call);
      case 'holdLeg':
        return this.host.hold(call);
      case 'retrieveLeg':
        return this.host.retrieve(call);
      case 'startTransfer':
        return this.host.startTransfer(call, command.destination, command.blind, command.conference);
      case 'consult':
        return call.consult?.command(command.command);
      case 'sendDtmf':
        return; // the network port has no DTMF command yet: the desk accepts the digits, nothing is played
    }
  }

  /** @internal */
  released(call: AgentCall): void {
    this.live.delete(call.id);
    this.host.forgetCall(call);
  }

  // ---- operations ----

  private perform(callId: string, body: unknown): OperationResponse {
    // The parameters first (validation.ts): a bad request is refused before any call is looked at.
    const parsed = checkOperation(body);
    if ('statusCode' in parsed) return parsed;
    const { op, event } = parsed;
    const request = body as Record<string, unknown>;
    const call = this.host.findCall(callId);
    if (!call) return fail(6, `Call '${callId}' not found`);
    if (call.owner !== this) return fail(5, `No permission: call '${callId}' belongs to another agent's device`);
    if (event.type === 'AttachUserData' || event.type === 'UpdateUserData') {
      const tooMany = userDataTotalProblem(call.actor.getSnapshot().context.userData, event.userData);
      if (tooMany) return tooMany;
    }

    // The chart decides whether the operation is valid now (its capabilities) and what it does.
    if (!call.can(event)) {
      if (op === 'Answer' && call.answersOnPhone && call.state === 'Ringing')
        return fail(2, `Answer is not valid for a call that rings the agent's phone: answer it on the phone`);
      return fail(
        2,
        `${op} is not valid for a call in state ${call.state} (capabilities: ${call.capabilities().join(', ') || 'none'})`,
      );
    }
    // Parameters that name the other call of the pair must name it.
    const consult = call.consult;
    if (
      (op === 'SwapCalls' || op === 'Retrieve') &&
      consult &&
      typeof request.otherCallUri === 'string' &&
      request.otherCallUri !== consult.otherOf(call)?.uri
    ) {
      return fail(2, `otherCallUri '${request.otherCallUri}' is not the other call of this consult`);
    }
    if (
      op === 'DeleteFromConference' &&
      event.type === 'DeleteFromConference' &&
      event.participant !== consult?.target?.to
    ) {
      return fail(2, `participant '${String(event.participant)}' cannot be removed from this conference`);
    }
    if (
      (op === 'CompleteTransfer' || op === 'CompleteConference') &&
      typeof request.consultCallUri === 'string' &&
      request.consultCallUri !== consult?.consultCall?.uri
    ) {
      return fail(2, `consultCallUri '${request.consultCallUri}' is not this call's consult call`);
    }

    // Every check passed: the chart takes the operation and emits its effect (carryOut, below).
    call.send(event);
    return ok;
  }
}

/** Anything unexpected (the switchboard closed, a bug) is answered with 4, never thrown at the desk. */
function internalErrors(fn: () => OperationResponse): OperationResponse {
  try {
    return fn();
  } catch (error) {
    return fail(4, `Internal error: ${error instanceof Error ? error.message : String(error)}`);
  }
}
