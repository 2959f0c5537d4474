/**
 * The four conference callbacks against Bandwidth's own schemas: the `conference*Callback` schemas of the
 * OpenAPI document the `bandwidth-sdk` package ships (`bandwidth.yml`), with a small JSON-schema check (every
 * field is one the schema defines, of its type and format; `$ref`s resolved). Bandwidth's schemas require no
 * field, so the test also pins the exact field set: every field of the schema but `tag` (no room has one).
 */
import { readFileSync } from 'node:fs';
import { safeLoad } from 'js-yaml';
import type { ConferenceCallback } from '../src';
import { answeredCall, ISO_MS, makeHarness } from './harness';

interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  nullable?: boolean;
  properties?: Record<string, Schema>;
}

const document = safeLoad(readFileSync(require.resolve('bandwidth-sdk/bandwidth.yml'), 'utf8')) as {
  components: { schemas: Record<string, Schema> };
};
const schemas = document.components.schemas;

function resolve(schema: Schema): Schema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  const found = schemas[name];
  if (!found) throw new Error(`unresolved $ref ${schema.$ref}`);
  return resolve(found);
}

/** The problems of `value` against `schema` (empty when it conforms). */
function problems(value: unknown, schema: Schema, path = '$'): string[] {
  const s = resolve(schema);
  if (value === null) return s.nullable ? [] : [`${path}: null`];
  if (s.type === 'object') {
    if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: not an object`];
    const out: string[] = [];
    for (const [key, v] of Object.entries(value as object)) {
      const property = s.properties?.[key];
      if (!property) out.push(`${path}.${key}: not in the schema`);
      else out.push(...problems(v, property, `${path}.${key}`));
    }
    return out;
  }
  if (s.type === 'string') {
    if (typeof value !== 'string') return [`${path}: not a string`];
    if (s.format === 'date-time' && Number.isNaN(Date.parse(value))) return [`${path}: not a date-time`];
    return [];
  }
  return [`${path}: the check does not know type ${String(s.type)}`];
}

const SCHEMA_OF: Record<ConferenceCallback['eventType'], string> = {
  conferenceCreated: 'conferenceCreatedCallback',
  conferenceMemberJoin: 'conferenceMemberJoinCallback',
  conferenceMemberExit: 'conferenceMemberExitCallback',
  conferenceCompleted: 'conferenceCompletedCallback',
};

test('the check finds problems (it can fail)', () => {
  const schema = schemas.conferenceMemberJoinCallback;
  expect(problems({ eventType: 'conferenceMemberJoin', callId: 7, extra: 'x', eventTime: 'soon' }, schema)).toEqual([
    '$.callId: not a string',
    '$.extra: not in the schema',
    '$.eventTime: not a date-time',
  ]);
});

test("every conference callback of a room's life conforms to Bandwidth's schema, with every field but tag", async () => {
  const h = makeHarness();
  const payloads: ConferenceCallback[] = [];
  const byType: string[] = [];
  h.sb.on('conferenceCallback', (p) => payloads.push(p));
  for (const type of Object.keys(SCHEMA_OF) as Array<ConferenceCallback['eventType']>)
    h.sb.on(type, (p: ConferenceCallback) => byType.push(p.eventType));
  const { a, b } = await answeredCall(h, '+15550001111', '+15559990000');
  await a.transferToConferenceRoom(b, 'my-conference-name');
  await a.retrieveTransferredCall();

  expect(payloads.map((p) => p.eventType)).toEqual([
    'conferenceCreated',
    'conferenceMemberJoin',
    'conferenceMemberExit',
    'conferenceCompleted',
  ]);
  expect(byType).toEqual(payloads.map((p) => p.eventType));
  for (const payload of payloads) {
    const schema = schemas[SCHEMA_OF[payload.eventType]];
    expect({ type: payload.eventType, problems: problems(payload, schema) }).toEqual({
      type: payload.eventType,
      problems: [],
    });
    const fields = Object.keys(resolve(schema).properties ?? {}).filter((f) => f !== 'tag');
    expect(Object.keys(payload).sort()).toEqual(fields.sort());
    expect(payload.eventTime).toMatch(ISO_MS);
    expect(payload.conferenceId).toMatch(/^conf-/);
    expect(payload.name).toBe('my-conference-name');
  }
  const join = payloads[1];
  expect(join).toMatchObject({ callId: a.callId, from: '+15550001111', to: '+15559990000' });
  expect(new Set(payloads.map((p) => p.conferenceId)).size).toBe(1);
  await h.assertClean();
});
