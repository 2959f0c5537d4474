/** Identifiers: leg ids in Bandwidth form (`c-` + nanoid) and error ids for callbacks that carry an error. */
import { nanoid } from 'nanoid';

export const newCallId = (): string => `c-${nanoid()}`;
export const newErrorId = (): string => nanoid();
