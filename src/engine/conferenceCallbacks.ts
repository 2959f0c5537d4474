/**
 * Conference callbacks in Bandwidth wire format: `conferenceCreated`, `conferenceMemberJoin`,
 * `conferenceMemberExit`, `conferenceCompleted`, with exactly the fields of Bandwidth's own schemas (the
 * `conference*Callback` schemas of its OpenAPI document). A room's events carry its `conferenceId` and `name`;
 * a member's also carry the member call's `callId`, `from` and `to`. No room has a `tag` (none can be set yet),
 * so it is always left out.
 */
export interface ConferenceCreatedCallback {
  eventType: 'conferenceCreated';
  eventTime: string;
  conferenceId: string;
  name: string;
  tag?: string;
}

export interface ConferenceCompletedCallback {
  eventType: 'conferenceCompleted';
  eventTime: string;
  conferenceId: string;
  name: string;
  tag?: string;
}

interface MemberCallback {
  eventTime: string;
  conferenceId: string;
  name: string;
  from: string;
  to: string;
  callId: string;
  tag?: string;
}

export interface ConferenceMemberJoinCallback extends MemberCallback {
  eventType: 'conferenceMemberJoin';
}

export interface ConferenceMemberExitCallback extends MemberCallback {
  eventType: 'conferenceMemberExit';
}

export type ConferenceCallback =
  ConferenceCreatedCallback | ConferenceMemberJoinCallback | ConferenceMemberExitCallback | ConferenceCompletedCallback;

/** A room as its callbacks describe it. */
export interface RoomFacts {
  conferenceId: string;
  name: string;
}

/** A member call as its callbacks describe it. */
export interface MemberFacts {
  callId: string;
  from: string;
  to: string;
}

export function conferenceCallback(
  eventType: 'conferenceCreated' | 'conferenceCompleted',
  room: RoomFacts,
  time: string,
): ConferenceCreatedCallback | ConferenceCompletedCallback {
  return { eventType, eventTime: time, conferenceId: room.conferenceId, name: room.name };
}

export function memberCallback(
  eventType: 'conferenceMemberJoin' | 'conferenceMemberExit',
  room: RoomFacts,
  member: MemberFacts,
  time: string,
): ConferenceMemberJoinCallback | ConferenceMemberExitCallback {
  return {
    eventType,
    eventTime: time,
    conferenceId: room.conferenceId,
    name: room.name,
    from: member.from,
    to: member.to,
    callId: member.callId,
  };
}
