/**
 * Identifiers: leg ids in Bandwidth form (`c-` + nanoid), error ids for callbacks that carry an error, and the
 * Genesys-style ids of the agent desk (32-character call ids, 16-character connection ids, device UUIDs).
 */
import { randomUUID } from 'node:crypto';
import { customAlphabet, nanoid } from 'nanoid';

export const newCallId = (): string => `c-${nanoid()}`;
export const newErrorId = (): string => nanoid();
/** Retrievable-transfer id (`t-` + nanoid), the key its timers are addressed by. */
export const newTransferId = (): string => `t-${nanoid()}`;
/** Conference id (`conf-` + nanoid), Bandwidth's `conferenceId`. */
export const newConferenceId = (): string => `conf-${nanoid()}`;

/** Agent-call id (also its `callUuid`), like `011DJV5JI898NB2L04000VTAES000005`. */
export const newAgentCallId: () => string = customAlphabet('0123456789ABCDEFGHIJKLMNOPQRSTUV', 32);

/** Connection id, 16 hex digits like `007102385535e005`. */
const hex12 = customAlphabet('0123456789abcdef', 12);
export const newConnId = (): string => `0071${hex12()}`;

export const newDeviceId = (): string => randomUUID();
