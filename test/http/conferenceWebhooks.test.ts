/**
 * Webhook delivery of the conference callbacks to a real local HTTP receiver: they go to `conferenceUrl`, each
 * once, and a room's callbacks and those of its members' calls share one family, so they arrive in bus order.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSwitchboard, SimulatedClock } from '../../src';
import { loadConfig } from '../../src/http/config';
import { WebhookDeliverer } from '../../src/webhooks/deliverer';
import { until } from '../support/until';
import { quiet, urls } from '../support/webhookCalls';
import { startReceiver } from '../support/webhookReceiver';

test('conference callbacks arrive at conferenceUrl, once each, in bus order with the calls of their members', async () => {
  const rx = await startReceiver<{ eventType: string; callId?: string; conferenceId?: string }>();
  const received = () =>
    rx.requests.map(({ path, body }) => ({
      path,
      eventType: body.eventType,
      id: body.callId ?? String(body.conferenceId),
    }));
  const deliverer = new WebhookDeliverer({ ...urls(rx.base), conferenceUrl: `${rx.base}/conference` }, quiet);
  const sb = createSwitchboard({ clock: new SimulatedClock() });
  deliverer.attach(sb);
  const emitted: Array<{ eventType: string; id: string }> = [];
  sb.on('callback', (p) => emitted.push({ eventType: p.eventType, id: p.callId }));
  sb.on('conferenceCallback', (p) =>
    emitted.push({ eventType: p.eventType, id: 'callId' in p ? p.callId : p.conferenceId }),
  );
  const callers = [];
  for (const from of ['+1555', '+1556']) {
    const { channel } = sb.network.placeCall({ from, to: '+1666' });
    await channel.answer();
    channel.createTonePlayer();
    await channel.transferToConferenceRoom(sb.createChannel(), 'standup');
    callers.push(channel);
  }
  await callers[0].retrieveTransferredCall();
  await callers[1].hangUp();
  await callers[0].hangUp();

  try {
    await until(
      () => rx.requests.length >= emitted.length && deliverer.stats().pending === 0,
      `${emitted.length} deliveries`,
      4_000,
    );
    const conference = received().filter((r) => r.eventType.startsWith('conference'));
    expect(conference.map((r) => r.eventType)).toEqual([
      'conferenceCreated',
      'conferenceMemberJoin',
      'conferenceMemberJoin',
      'conferenceMemberExit',
      'conferenceMemberExit',
      'conferenceCompleted',
    ]);
    expect(new Set(conference.map((r) => r.path))).toEqual(new Set(['/conference']));
    // A member's callbacks join its call's family to the room's: the room's, and each call's, in bus order.
    const byId = (list: Array<{ eventType: string; id: string }>) => {
      const map = new Map<string, string[]>();
      for (const { eventType, id } of list) map.set(id, [...(map.get(id) ?? []), eventType]);
      return map;
    };
    expect(byId(received())).toEqual(byId(emitted));
    const onlyConference = (list: Array<{ eventType: string; id: string }>) =>
      list.filter((r) => r.eventType.startsWith('conference')).map(({ eventType, id }) => `${eventType} ${id}`);
    expect(onlyConference(received())).toEqual(onlyConference(emitted));
    expect(deliverer.stats()).toMatchObject({ delivered: emitted.length, failed: 0, pending: 0 });
  } finally {
    await rx.close();
  }
});

test('the server config takes webhooks.conferenceUrl, and refuses one that is not an http(s) URL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-conf-'));
  const file = join(dir, 'config.json');
  const users = [{ username: 'a', password: 'b', deviceDn: '1' }];
  try {
    writeFileSync(file, JSON.stringify({ users, webhooks: { conferenceUrl: 'https://hooks.example/conf' } }));
    expect(loadConfig({ file, env: {} }).webhooks).toMatchObject({ conferenceUrl: 'https://hooks.example/conf' });
    writeFileSync(file, JSON.stringify({ users, webhooks: { conferenceUrl: 'ftp://x' } }));
    expect(() => loadConfig({ file, env: {} })).toThrow(/webhooks\.conferenceUrl must be an http\(s\) URL/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
