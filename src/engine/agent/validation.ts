/**
 * The agent API's parameter rules, in one place: which operations there are, and the bounds and characters of
 * every string an operation carries (`destination.phoneNumber`, `digits`, `userData` keys and values, `key`,
 * `consultCallUri`, `otherCallUri`). The device checks a request here before it looks at any call, so a bad
 * one is refused (statusCode 1, naming the field and why) and changes nothing; the HTTP server's JSON schemas
 * are built from the same limits. A field is checked wherever it appears, whether the operation uses it or not.
 */
import { OPERATIONS, type AgentCallEvent, type OperationName, type UserData } from '../../../machines/agentCall';
import { MAX_NUMBER_LENGTH, codePoint, numberProblem, printableAsciiProblem } from '../numbers';

/** The bounds, in characters (UTF-16 code units) and counts. */
export const LIMITS = {
  operationName: 64,
  number: MAX_NUMBER_LENGTH,
  dtmfDigits: 64,
  userDataKey: 64,
  userDataValue: 1024,
  /** Pairs in one request, and pairs attached to one call. */
  userDataPairs: 100,
  callUri: 512,
} as const;

/** The device route's one operation (`POST /api/v2/me/devices/{id}/calls`). */
export const DEVICE_OPERATIONS = ['Dial'] as const;

const DTMF = /^[0-9*#A-Da-d]+$/;
/** Characters no user-data value may hold: controls, lone surrogates, line separators, bidirectional controls. */
const FORBIDDEN_IN_TEXT = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

export type Invalid = { statusCode: 1; statusMessage: string };

/** A call operation, checked: its name, the chart event it becomes and, for transfers, the destination. */
export interface CheckedOperation {
  op: OperationName;
  event: AgentCallEvent;
  destination?: string;
}

const invalid = (statusMessage: string): Invalid => ({ statusCode: 1, statusMessage });
const bad = (field: string, why: string): Invalid => invalid(`Invalid parameter '${field}': ${why}`);
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `POST /api/v2/me/calls/{id}`: the body of a call operation, checked before any call is looked at. */
export function checkOperation(body: unknown): CheckedOperation | Invalid {
  if (!isObject(body)) return invalid("The request body must be a JSON object with 'operationName'");
  const name = body.operationName;
  if (typeof name !== 'string' || name === '') return invalid("Missing parameter 'operationName'");
  const nameProblem = operationNameProblem(name, OPERATIONS);
  if (nameProblem) return nameProblem;
  const fields = checkFields(body);
  if ('statusCode' in fields) return fields;
  const op = name as OperationName;
  switch (op) {
    case 'DeleteFromConference':
      if (fields.participant === undefined) return invalid("Missing parameter 'participant'");
      return { op, event: { type: op, participant: fields.participant } };
    case 'InitiateTransfer':
    case 'SingleStepTransfer':
    case 'InitiateConference':
    case 'SingleStepConference':
      if (fields.destination === undefined) return invalid("Missing parameter 'destination.phoneNumber'");
      return { op, event: { type: op, destination: fields.destination }, destination: fields.destination };
    case 'SendDtmf':
      if (fields.digits === undefined) return invalid("Missing or invalid parameter 'digits' (0-9, *, #, A-D)");
      return { op, event: { type: op } };
    case 'AttachUserData':
    case 'UpdateUserData':
      if (fields.userData === undefined) {
        return invalid("Missing or invalid parameter 'userData' (an object of string, number or boolean values)");
      }
      return { op, event: { type: op, userData: fields.userData } };
    case 'DeleteUserDataPair':
      if (fields.key === undefined) return invalid("Missing parameter 'key'");
      return { op, event: { type: op, key: fields.key } };
    default:
      return { op, event: { type: op } };
  }
}

/** `POST /api/v2/me/devices/{id}/calls`: a Dial (`operationName` may be left out), checked. */
export function checkDial(body: unknown): { destination: string } | Invalid {
  if (!isObject(body)) return invalid("Missing parameter 'destination.phoneNumber'");
  const name = body.operationName;
  if (name !== undefined) {
    if (typeof name !== 'string' || name === '') return bad('operationName', "must be 'Dial' (or left out)");
    const nameProblem = operationNameProblem(name, DEVICE_OPERATIONS);
    if (nameProblem) return nameProblem;
  }
  const fields = checkFields(body);
  if ('statusCode' in fields) return fields;
  if (fields.destination === undefined) return invalid("Missing parameter 'destination.phoneNumber'");
  return { destination: fields.destination };
}

/** Attaching or updating `added` on a call that holds `current` must leave at most `LIMITS.userDataPairs`. */
export function userDataTotalProblem(current: UserData, added: UserData): Invalid | null {
  const total = new Set([...Object.keys(current), ...Object.keys(added)]).size;
  if (total <= LIMITS.userDataPairs) return null;
  return bad('userData', `the call would hold ${total} user-data pairs (at most ${LIMITS.userDataPairs} per call)`);
}

/** An unknown name is a bad parameter (the valid ones are listed); a known one is for the state to judge. */
function operationNameProblem(name: string, valid: readonly string[]): Invalid | null {
  if (valid.includes(name)) return null;
  if (name.length > LIMITS.operationName) {
    return bad('operationName', `is ${name.length} characters long (at most ${LIMITS.operationName})`);
  }
  const characters = printableAsciiProblem(name);
  if (characters) return bad('operationName', characters);
  const near = valid.find((known) => known.toLowerCase() === name.toLowerCase());
  const hint = near ? ` (did you mean '${near}'?)` : '';
  const where = valid === OPERATIONS ? '' : ' on this route';
  const callOperation = valid !== OPERATIONS && (OPERATIONS as readonly string[]).includes(name);
  const why = callOperation
    ? `'${name}' is a call operation (POST /api/v2/me/calls/{id})`
    : `unknown operation '${name}'${hint}`;
  return bad('operationName', `${why}; valid operations${where}: ${[...valid].sort().join(', ')}`);
}

interface Fields {
  destination?: string;
  /** DeleteFromConference: the number of the participant to remove. */
  participant?: string;
  digits?: string;
  userData?: UserData;
  key?: string;
}

/** Every known parameter that is present, checked (those absent stay undefined). */
function checkFields(body: Record<string, unknown>): Fields | Invalid {
  const fields: Fields = {};
  if (body.destination !== undefined) {
    if (!isObject(body.destination)) return bad('destination', 'must be an object with phoneNumber');
    const number = body.destination.phoneNumber;
    if (number !== undefined) {
      const problem = numberProblem(number);
      if (problem) return bad('destination.phoneNumber', problem);
      fields.destination = number as string;
    }
  }
  if (body.participant !== undefined) {
    const problem = numberProblem(body.participant);
    if (problem) return bad('participant', problem);
    fields.participant = body.participant as string;
  }
  if (body.digits !== undefined) {
    const digits = body.digits;
    if (typeof digits !== 'string' || !DTMF.test(digits) || digits.length > LIMITS.dtmfDigits) {
      const long = typeof digits === 'string' && digits.length > LIMITS.dtmfDigits;
      return bad(
        'digits',
        long ? `is ${digits.length} digits long (at most ${LIMITS.dtmfDigits})` : 'DTMF digits only (0-9, *, #, A-D)',
      );
    }
    fields.digits = digits;
  }
  if (body.userData !== undefined) {
    const userData = checkUserData(body.userData);
    if ('statusCode' in userData) return userData;
    fields.userData = userData;
  }
  if (body.key !== undefined) {
    const problem = keyProblem(body.key);
    if (problem) return bad('key', problem);
    fields.key = body.key as string;
  }
  for (const name of ['consultCallUri', 'otherCallUri'] as const) {
    const uri = body[name];
    if (uri === undefined) continue;
    if (typeof uri !== 'string' || uri === '') return bad(name, 'must be a non-empty string (a call URI)');
    if (uri.length > LIMITS.callUri) return bad(name, `is ${uri.length} characters long (at most ${LIMITS.callUri})`);
    const problem = printableAsciiProblem(uri);
    if (problem) return bad(name, problem);
  }
  return fields;
}

/** User data: at most `LIMITS.userDataPairs` pairs of a key and a string, finite number or boolean; a copy. */
function checkUserData(value: unknown): UserData | Invalid {
  if (!isObject(value)) return bad('userData', 'must be an object of string, number or boolean values');
  const keys = Object.keys(value);
  if (keys.length > LIMITS.userDataPairs)
    return bad('userData', `has ${keys.length} pairs (at most ${LIMITS.userDataPairs})`);
  const copy: UserData = {};
  for (const [index, key] of keys.entries()) {
    const problem = keyProblem(key);
    if (problem) return bad('userData', `${describeKey(key, index)} ${problem}`);
    const field = `userData.${key}`;
    const item = value[key];
    if (typeof item === 'string') {
      if (item.length > LIMITS.userDataValue)
        return bad(field, `is ${item.length} characters long (at most ${LIMITS.userDataValue})`);
      const forbidden = FORBIDDEN_IN_TEXT.exec(item);
      if (forbidden)
        return bad(
          field,
          `contains ${codePoint(forbidden[0])} (a control or bidirectional character) at position ${forbidden.index + 1}`,
        );
    } else if (typeof item === 'number') {
      if (!Number.isFinite(item)) return bad(field, 'must be a finite number');
    } else if (typeof item !== 'boolean') {
      return bad(
        field,
        `must be a string, number or boolean, got ${item === null ? 'null' : Array.isArray(item) ? 'an array' : typeof item}`,
      );
    }
    Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** Keys (of user data, and DeleteUserDataPair's `key`) follow the number's characters rule, up to 64 long. */
function keyProblem(key: unknown): string | null {
  if (typeof key !== 'string') return `must be a string, got ${key === null ? 'null' : typeof key}`;
  if (key === '') return 'must not be empty';
  if (key.length > LIMITS.userDataKey) return `is ${key.length} characters long (at most ${LIMITS.userDataKey})`;
  if (key === '__proto__') return 'is reserved';
  return printableAsciiProblem(key);
}

/** A key as an error shows it: quoted when it is short printable ASCII, else by its place in the object. */
function describeKey(key: string, index: number): string {
  return key.length <= LIMITS.userDataKey && printableAsciiProblem(key) === null
    ? `key '${key}'`
    : `key number ${index + 1}`;
}

/** The bounds above as JSON schemas, for the HTTP routes (characters and keys are checked by the device). */
const string = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;
const destinationSchema = {
  type: 'object',
  properties: { phoneNumber: string(LIMITS.number) },
} as const;

export const OPERATION_BODY_SCHEMA = {
  type: 'object',
  required: ['operationName'],
  properties: {
    operationName: string(LIMITS.operationName),
    destination: destinationSchema,
    digits: string(LIMITS.dtmfDigits),
    userData: {
      type: 'object',
      maxProperties: LIMITS.userDataPairs,
      additionalProperties: { type: ['string', 'number', 'boolean'], maxLength: LIMITS.userDataValue },
    },
    key: string(LIMITS.userDataKey),
    participant: string(LIMITS.number),
    consultCallUri: string(LIMITS.callUri),
    otherCallUri: string(LIMITS.callUri),
  },
} as const;

export const DIAL_BODY_SCHEMA = {
  type: 'object',
  properties: { operationName: string(LIMITS.operationName), destination: destinationSchema },
} as const;
