/**
 * The agent desk: agent devices by DN, live agent calls by id, and the glue between agent operations and
 * the engine's legs and transfers. Calls placed to an agent's DN ring that agent's device.
 */
import { Leg } from '../leg';
import type { ChannelEvent } from '../../../machines/channel';
import type { Channel } from '../channel';
import type { EngineCore } from '../engine';
import type { LegTransfer } from '../leg';
import type { TransferEndedInfo } from '../events';
import { newCallId } from '../ids';
import { AgentCall } from './call';
import { ConsultRun, type ConsultHost } from './consult';
import type { ConsultSide } from '../relations';
import { AgentDevice, type AgentDeviceHost, type AgentOptions } from './device';
import { isInternalNumber } from './notifications';

export class AgentDesk implements AgentDeviceHost, ConsultHost {
  readonly devices = new Map<string, AgentDevice>();
  readonly calls = new Map<string, AgentCall>();
  /** Consults started so far on this switchboard (numbers their inspection ids). */
  consultSeq = 0;

  /** Devices a restarted node restored, until `createAgent` asks for them (durable.ts). */
  readonly restoredDevices = new Map<string, AgentDevice>();

  constructor(private readonly core: EngineCore) {}

  createAgent(options: AgentOptions): AgentDevice {
    const phoneNumber = options?.phoneNumber;
    if (typeof phoneNumber !== 'string' || phoneNumber.trim() === '') {
      throw new TypeError(`agent(): phoneNumber must be a non-empty string, got ${JSON.stringify(phoneNumber)}`);
    }
    const restored = this.restoredDevices.get(phoneNumber);
    if (restored) {
      this.restoredDevices.delete(phoneNumber); // a restarted node's device, with its calls
      return restored;
    }
    if (this.devices.has(phoneNumber))
      throw new Error(`agent(): an agent device with phoneNumber ${phoneNumber} exists already`);
    const timeout = options.consultTimeout;
    if (
      timeout !== undefined &&
      timeout !== null &&
      !(typeof timeout === 'number' && Number.isFinite(timeout) && timeout > 0)
    ) {
      throw new TypeError(
        `agent(): consultTimeout must be a positive number of seconds or null, got ${String(timeout)}`,
      );
    }
    const device = new AgentDevice(this, options, this.core.publicUrl);
    this.devices.set(phoneNumber, device);
    this.core.durable?.device(device);
    return device;
  }

  /** An inbound call has reached an agent's DN: it rings the device. */
  offer(device: AgentDevice, leg: Leg): void {
    const call = new AgentCall(
      device,
      {
        leg,
        start: 'Ringing',
        callType: isInternalNumber(leg.from) ? 'Internal' : 'Inbound',
        party: leg.from,
        dnis: leg.to,
      },
      this.core.actorOptions,
    );
    this.adopt(device, call, leg);
  }

  private adopt(device: AgentDevice, call: AgentCall, leg: Leg): void {
    this.calls.set(call.id, call);
    this.core.relations.show(leg.callId, call.id);
    this.core.inspection.created(call);
    this.core.durable?.track(call);
    device.adopt(call);
  }

  private openLeg(
    device: AgentDevice,
    spec: { from: string; to: string; parent?: Leg },
  ): { leg: Leg; channel: Channel } {
    const channel = this.core.createChannel();
    channel.lockToAgent(device.phoneNumber);
    const leg = new Leg(
      {
        callId: newCallId(),
        direction: 'outbound',
        from: spec.from,
        to: spec.to,
        destination: { kind: 'address', to: spec.to },
        parent: spec.parent,
        startTime: this.core.clock.now(),
      },
      this.core.actorOptions,
    );
    this.core.open(channel, leg);
    return { leg, channel };
  }

  // ---- AgentDeviceHost ----

  now(): number {
    return this.core.clock.now();
  }

  turn<T>(fn: () => T): T {
    return this.core.turn(fn);
  }

  defer(delivery: () => void): void {
    this.core.supervisor.turns.defer(delivery);
  }

  listenerFailed(event: string, error: unknown): void {
    this.core.supervisor.listenerFailed(event, error);
  }

  findCall(id: string): AgentCall | undefined {
    return typeof id === 'string' ? this.calls.get(id) : undefined;
  }

  forgetCall(call: AgentCall): void {
    this.calls.delete(call.id);
    this.core.relations.forgetCall(call.id);
    this.core.durable?.mark(call);
    this.core.agentLeft(call.legCallId); // a leg that goes on without the agent (nothing when it has ended)
  }

  /** The agent call that shows `leg` on a desk, if any (the registry's relation). */
  callOfLeg(leg: Leg): AgentCall | undefined {
    const id = this.core.relations.callOf(leg.callId);
    return id === undefined ? undefined : this.calls.get(id);
  }

  legOf(call: AgentCall): Leg | null {
    const id = this.core.relations.legOf(call.id);
    return (id !== undefined && this.core.legs.get(id)) || null;
  }

  consultOf(call: AgentCall): ConsultRun | null {
    const id = this.core.relations.consultOf(call.id);
    return id === undefined ? null : ((this.core.transfers.get(id) as ConsultRun | undefined) ?? null);
  }

  answer(call: AgentCall): void {
    if (call.leg) this.core.sendToLeg(call.leg, { type: 'ANSWER' });
  }

  hangUp(call: AgentCall): void {
    if (call.leg) this.core.hangUp(call.leg);
  }

  hold(call: AgentCall): void {
    if (call.leg) this.core.sendToLeg(call.leg, { type: 'HOLD' });
  }

  retrieve(call: AgentCall): void {
    if (call.leg) this.core.sendToLeg(call.leg, { type: 'UNHOLD' });
  }

  startTransfer(call: AgentCall, destination: string, blind: boolean, conference = false): void {
    if (!call.leg) return;
    const device = call.owner as AgentDevice;
    const id = `consult:${++this.consultSeq}`;
    const run = new ConsultRun(
      id,
      device,
      call.leg,
      call,
      destination,
      blind,
      device.consultTimeout,
      this,
      this.core.actorOptions,
      undefined,
      conference,
    );
    this.core.transfers.add(run);
    this.core.inspection.created(run);
    this.core.durable?.track(run);
    run.start();
  }

  dial(device: AgentDevice, destination: string): void {
    const { leg } = this.openLeg(device, { from: device.phoneNumber, to: destination });
    const call = new AgentCall(
      device,
      {
        leg,
        start: 'Dialing',
        callType: isInternalNumber(destination) ? 'Internal' : 'Outbound',
        party: destination,
        dnis: destination,
      },
      this.core.actorOptions,
    );
    this.adopt(device, call, leg);
    this.core.sendToLeg(leg, { type: 'DIAL', secondsTimeout: null });
  }

  // ---- ConsultHost ----

  openConsultLeg(
    device: AgentDevice,
    parent: Leg,
    destination: string,
    consultOf: AgentCall | null,
  ): { leg: Leg; call: AgentCall | null } {
    // A consult call comes from the agent's DN; a single-step transfer presents the caller's number.
    const from = consultOf ? device.phoneNumber : parent.from;
    const { leg } = this.openLeg(device, { from, to: destination, parent });
    if (!consultOf) return { leg, call: null };
    const call = new AgentCall(
      device,
      {
        leg,
        start: 'Dialing',
        callType: 'Consult',
        role: 'consult',
        party: destination,
        dnis: destination,
        parentCallUri: consultOf.uri,
      },
      this.core.actorOptions,
    );
    this.adopt(device, call, leg);
    return { leg, call };
  }

  callIn(run: ConsultRun, side: ConsultSide): AgentCall | null {
    const id = this.core.relations.callIn(run.registryId, side);
    return (id !== undefined && this.calls.get(id)) || null;
  }

  joinConsult(call: AgentCall, run: ConsultRun, side: ConsultSide): void {
    this.core.relations.joinConsult(call.id, run.registryId, side);
  }

  leaveConsult(call: AgentCall): void {
    this.core.relations.leaveConsult(call.id);
  }

  transferCompleted(parent: Leg, target: Leg): void {
    this.core.supervisor.transferCompleted(parent, target);
  }

  sendToLeg(leg: Leg, event: ChannelEvent): void {
    this.core.sendToLeg(leg, event);
  }

  joinTransfer(leg: Leg, run: LegTransfer): void {
    this.core.joinTransfer(leg, run);
  }

  leaveTransfer(leg: Leg, only?: LegTransfer): void {
    this.core.leaveTransfer(leg, only);
  }

  playTone(leg: Leg, tone: string): void {
    this.core.playTone(leg, tone);
  }

  stopTone(leg: Leg): void {
    this.core.stopTone(leg);
  }

  bridge(a: Leg, b: Leg): void {
    this.core.bridge(a, b);
  }

  unbridge(a: Leg, b: Leg): void {
    this.core.unbridge(a, b);
  }

  transferFinished(run: LegTransfer, ended: TransferEndedInfo): void {
    this.core.transferFinished(run, ended);
  }
}
