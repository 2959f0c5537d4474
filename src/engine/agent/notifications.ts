/**
 * Agent-desk notifications in Genesys Web Services format (docs/behaviour.md §4): the call object an agent desktop sees
 * and the CometD message that carries it on `/v2/me/calls`.
 */
import type { AgentCallState, CallType, OperationName, UserData } from '../../../machines/agentCall';

export interface CallParticipant {
  e164Number: string;
  formattedPhoneNumber: string;
  phoneNumber: string;
  digits: string;
}

export interface AgentCallObject {
  id: string;
  state: AgentCallState;
  callUuid: string;
  connId: string;
  deviceUri: string;
  participants: CallParticipant[];
  dnis: string;
  callType: CallType;
  capabilities: OperationName[];
  /** Consult calls only: the call being transferred. */
  parentCallUri?: string;
  /** Whole seconds since the call reached the desk, as a string. */
  duration: string;
  mute: 'Off';
  supervisorListeningIn: boolean;
  monitoredUserMuted: boolean;
  /** On Released calls. */
  monitoring?: boolean;
  uri: string;
  path: string;
  userData: UserData;
}

/** `ParticipantsUpdated`: a conference call's participants changed (a party joined or left). */
export type NotificationType = 'StatusChange' | 'AttachedDataChanged' | 'ParticipantsUpdated';

export interface CallNotification {
  data: {
    notificationType: NotificationType;
    call: AgentCallObject;
    /** The agent's DN. */
    phoneNumber: string;
    extensions: { WrapUpTime: number; BusinessCall: number };
    messageType: 'CallStateChangeMessage';
  };
  channel: '/v2/me/calls';
}

/** A participant entry for a number: `e164Number` only for numbers in E.164 form. */
export function participant(number: string): CallParticipant {
  return {
    e164Number: number.startsWith('+') ? number : '',
    formattedPhoneNumber: number,
    phoneNumber: number,
    digits: number.replace(/[^0-9*#]/g, ''),
  };
}

/** Short dialling numbers without `+` (extensions like 5001) are internal; anything else is external. */
export function isInternalNumber(number: string): boolean {
  return /^[0-9]{1,6}$/.test(number);
}

export function notification(
  notificationType: NotificationType,
  call: AgentCallObject,
  phoneNumber: string,
): CallNotification {
  return {
    data: {
      notificationType,
      call,
      phoneNumber,
      extensions: { WrapUpTime: 0, BusinessCall: 0 },
      messageType: 'CallStateChangeMessage',
    },
    channel: '/v2/me/calls',
  };
}
