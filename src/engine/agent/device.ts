/**
 * An agent device (`sb.agent({ phoneNumber })`): the agent-desk face of SPEC section 4, in-process. It takes
 * Genesys voice operations (`operation(callId, body)`, `dial(body)`), answers with Genesys responses, and
 * delivers CometD-format notifications to its listeners. A refused operation changes nothing and emits
 * nothing: every check runs before any effect.
 */
import EventEmitter from 'eventemitter3';
import { OPERATIONS, type AgentCallEvent, type OperationName, type UserData } from '../../../machines/agentCall';
import { newDeviceId } from '../ids';
import type { AgentCall, AgentCallOwner } from './call';
import { notification, type AgentCallObject, type CallNotification, type NotificationType } from './notifications';

/** Genesys response: `{ statusCode: 0 }`, or an error with its code and message. */
export type OperationResponse = { statusCode: 0 } | { statusCode: ErrorCode; statusMessage: string };

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
  answer(call: AgentCall): void;
  hangUp(call: AgentCall): void;
  hold(call: AgentCall): void;
  retrieve(call: AgentCall): void;
  startTransfer(call: AgentCall, destination: string, blind: boolean): void;
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

const CONFERENCE: ReadonlySet<OperationName> = new Set(['SingleStepConference', 'InitiateConference']);

export class AgentDevice implements AgentCallOwner {
  readonly phoneNumber: string;
  readonly deviceId = newDeviceId();
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
  ) {
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

  /** `POST /api/v2/me/calls/{id}` with `{ operationName, … }`. */
  async operation(callId: string, body: unknown): Promise<OperationResponse> {
    return internalErrors(() => this.host.turn(() => this.perform(callId, body)));
  }

  /** `POST /api/v2/me/devices/{deviceId}/calls` with `{ destination: { phoneNumber } }` (Dial). */
  async dial(body: unknown): Promise<OperationResponse> {
    const destination = phoneNumberOf(body);
    if (destination === null) return fail(1, "Missing parameter 'destination.phoneNumber'");
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
    if (type === 'StatusChange' && queued?.data.notificationType === 'StatusChange' && queued.data.call.state === view.state) {
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

  /** @internal The call's leg failed (signalling): the desk has no ERROR state, so the call is hung up. */
  legFailed(call: AgentCall): void {
    this.host.hangUp(call);
  }

  /** @internal */
  released(call: AgentCall): void {
    this.live.delete(call.id);
    this.host.forgetCall(call);
  }

  // ---- operations ----

  private perform(callId: string, body: unknown): OperationResponse {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return fail(1, "The request body must be a JSON object with 'operationName'");
    }
    const request = body as Record<string, unknown>;
    const name = request.operationName;
    if (typeof name !== 'string' || name === '') return fail(1, "Missing parameter 'operationName'");
    const call = this.host.findCall(callId);
    if (!call) return fail(6, `Call '${callId}' not found`);
    if (call.owner !== this) return fail(5, `No permission: call '${callId}' belongs to another agent's device`);
    if (!(OPERATIONS as readonly string[]).includes(name)) return fail(2, `Unknown operation '${name}'`);
    const op = name as OperationName;

    const parsed = parseParameters(op, request);
    if ('statusCode' in parsed) return parsed;
    const event = parsed.event;

    const consult = call.consult;
    // CompleteTransfer may be posted to either call of a consult, held or not (the consult's chart judges it).
    const completingFromPair = op === 'CompleteTransfer' && consult !== null && call.role !== 'none' && consult.consulting;
    if (!completingFromPair && !call.can(event)) {
      return fail(2, `${op} is not valid for a call in state ${call.state} (capabilities: ${call.capabilities().join(', ') || 'none'})`);
    }
    if (CONFERENCE.has(op)) return fail(2, `${op} is not supported yet`);
    if ((op === 'InitiateTransfer' || op === 'SingleStepTransfer') && consult) {
      return fail(2, `A transfer is already in progress for call '${callId}'`);
    }
    // Retrieve of the held caller while the target still rings abandons the consult (below).
    const abandoning = op === 'Retrieve' && consult !== null && consult.consulting && !consult.consultConnected && call.role === 'parent';
    const swapping = op === 'SwapCalls' || (op === 'Retrieve' && consult !== null && !abandoning);
    if (swapping && !consult?.consultConnected) {
      return fail(2, `${op} needs the consult call answered first (hang it up to cancel the consult)`);
    }
    if (swapping && typeof request.otherCallUri === 'string' && request.otherCallUri !== consult?.otherOf(call)?.uri) {
      return fail(2, `otherCallUri '${request.otherCallUri}' is not the other call of this consult`);
    }
    if (op === 'CompleteTransfer' && typeof request.consultCallUri === 'string' && request.consultCallUri !== consult?.consultCall?.uri) {
      return fail(2, `consultCallUri '${request.consultCallUri}' is not this call's consult call`);
    }

    // Every check passed: record the operation on the chart (user data), then carry it out.
    call.send(event);
    switch (op) {
      case 'Answer':
        this.host.answer(call);
        break;
      case 'Hangup':
        if (consult && call.role === 'consult') consult.cancel();
        else this.host.hangUp(call);
        break;
      case 'Hold':
        this.host.hold(call);
        break;
      case 'Retrieve':
        if (abandoning) consult?.abandon();
        else if (consult) consult.swap();
        else this.host.retrieve(call);
        break;
      case 'SwapCalls':
        consult?.swap();
        break;
      case 'InitiateTransfer':
      case 'SingleStepTransfer':
        this.host.startTransfer(call, (parsed as { destination: string }).destination, op === 'SingleStepTransfer');
        break;
      case 'CompleteTransfer':
        consult?.complete();
        break;
      default:
        // SendDtmf and the user-data operations: the chart has done it all.
        break;
    }
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

function phoneNumberOf(body: unknown): string | null {
  const destination = (body as { destination?: { phoneNumber?: unknown } } | null)?.destination;
  const number = destination?.phoneNumber;
  return typeof number === 'string' && number.trim() !== '' ? number : null;
}

function isUserData(value: unknown): value is UserData {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((v) => ['string', 'number', 'boolean'].includes(typeof v));
}

type Parsed = { event: AgentCallEvent; destination?: string } | OperationResponse;

/** The operation's parameters, checked (statusCode 1 when missing or malformed). */
function parseParameters(op: OperationName, request: Record<string, unknown>): Parsed {
  switch (op) {
    case 'InitiateTransfer':
    case 'SingleStepTransfer': {
      const destination = phoneNumberOf(request);
      if (destination === null) return fail(1, "Missing parameter 'destination.phoneNumber'");
      return { event: { type: op }, destination };
    }
    case 'SendDtmf':
      if (typeof request.digits !== 'string' || !/^[0-9*#A-Da-d]+$/.test(request.digits)) {
        return fail(1, "Missing or invalid parameter 'digits' (0-9, *, #, A-D)");
      }
      return { event: { type: op } };
    case 'AttachUserData':
    case 'UpdateUserData':
      if (!isUserData(request.userData)) {
        return fail(1, "Missing or invalid parameter 'userData' (an object of string, number or boolean values)");
      }
      return { event: { type: op, userData: request.userData } };
    case 'DeleteUserDataPair':
      if (typeof request.key !== 'string' || request.key === '') return fail(1, "Missing parameter 'key'");
      return { event: { type: op, key: request.key } };
    case 'DeleteUserData':
      return { event: { type: op } };
    default:
      return { event: { type: op } };
  }
}
