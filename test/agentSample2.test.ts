/**
 * Genesys's sample 2 (Genesys Web Services two-step transfer, CompleteTransfer documentation), reproduced:
 * the same notifications in the same order, with the same state, callType, capabilities (as sets; less the
 * conference operations, not built yet), participants, dnis, parentCallUri linkage and envelope fields. Ids,
 * connIds, device UUIDs and durations are ours; their form is checked instead.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallNotification } from '../src';
import { makeHarness } from './harness';

const sample = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'genesys-sample2.json'), 'utf8')) as {
  notifications: CallNotification[];
};

test('sample 2: Ringing → Answer → Established → InitiateTransfer → Held + Dialing → CompleteTransfer → Released ×2', async () => {
  const h = makeHarness();
  const agent = h.sb.agent({ phoneNumber: '5005' });
  h.sb.network.addEndpoint('5001', { outcome: 'noAnswer' });
  const got: CallNotification[] = [];
  agent.on('notification', (m) => got.push(m));

  h.sb.network.placeCall({ from: '5000', to: '5005' });
  const c1 = agent.calls()[0].id;
  expect(await agent.operation(c1, { operationName: 'Answer' })).toEqual({ statusCode: 0 });
  await h.advance(36);
  expect(
    await agent.operation(c1, { operationName: 'InitiateTransfer', destination: { phoneNumber: '5001' } }),
  ).toEqual({ statusCode: 0 });
  const c2 = agent.calls().find((c) => c.callType === 'Consult')?.id as string;
  await h.advance(12);
  expect(await agent.operation(c2, { operationName: 'CompleteTransfer' })).toEqual({ statusCode: 0 });

  expect(got).toHaveLength(sample.notifications.length);
  const ourIds = new Map([
    [c1, 'C1'],
    [c2, 'C2'],
  ]);
  const sampleIds = new Map([
    ['011DJV5JI898NB2L04000VTAES000005', 'C1'],
    ['011DJV5JI898NB2L04000VTAES000006', 'C2'],
  ]);
  const deviceUris = new Set<string>();
  got.forEach((message, i) => {
    const expected = sample.notifications[i];
    const ours = message.data.call;
    const theirs = expected.data.call;
    const context = `notification ${i + 1} (${theirs.state})`;

    // Envelope.
    expect({ context, channel: message.channel }).toEqual({ context, channel: expected.channel });
    const { call: _ourCall, ...ourData } = message.data;
    const { call: _theirCall, ...theirData } = expected.data;
    expect({ context, data: ourData }).toEqual({ context, data: theirData });

    // The call: same fields (we add userData, and monitoring on Released as the spec says), same values.
    const extra = new Set(['userData', 'monitoring']);
    expect(Object.keys(ours).filter((k) => !extra.has(k))).toEqual(Object.keys(theirs).filter((k) => !extra.has(k)));
    expect({ context, id: ourIds.get(ours.id) }).toEqual({ context, id: sampleIds.get(theirs.id) });
    for (const key of [
      'state',
      'callType',
      'dnis',
      'participants',
      'mute',
      'supervisorListeningIn',
      'monitoredUserMuted',
    ] as const) {
      expect({ context, key, value: ours[key] }).toEqual({ context, key, value: theirs[key] });
    }
    // Genesys's lists exactly, the conference operations included (docs/conference.md).
    expect({ context, capabilities: [...ours.capabilities].sort() }).toEqual({
      context,
      capabilities: [...theirs.capabilities].sort(),
    });
    // parentCallUri links the consult call to the call being transferred, as in the sample.
    if (theirs.parentCallUri !== undefined) {
      expect(ours.parentCallUri).toBe(`https://sb.example/api/v2/me/calls/${c1}`);
    } else {
      expect(ours.parentCallUri).toBeUndefined();
    }
    // Forms of our own ids and links.
    expect(ours.callUuid).toBe(ours.id);
    expect(ours.id).toMatch(/^[0-9A-V]{32}$/);
    expect(ours.connId).toMatch(/^[0-9a-f]{16}$/);
    expect(ours.uri).toBe(`https://sb.example/api/v2/me/calls/${ours.id}`);
    expect(ours.path).toBe(`/calls/${ours.id}`);
    expect(ours.duration).toMatch(/^\d+$/);
    expect(ours.deviceUri).toMatch(/^https:\/\/sb\.example\/api\/v2\/devices\/[0-9a-f-]{36}$/);
    deviceUris.add(ours.deviceUri);
    if (ours.state === 'Released') expect(ours.monitoring).toBe(false);
  });
  expect(deviceUris.size).toBe(1);
  // Durations count whole seconds on the engine clock: C1 was held at 36 s and released at 48 s, C2 lived 12 s.
  expect(got.map((m) => m.data.call.duration)).toEqual(['0', '0', '36', '0', '48', '12']);
  expect(agent.calls()).toEqual([]);
});
