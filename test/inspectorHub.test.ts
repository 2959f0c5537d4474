/**
 * The inspector hub's timelines are in time order, and in emission order at equal times, even though the
 * engine delivers callbacks only when its turn ends (so on a real clock a callback stamped .401 reaches the hub
 * after a step taken at .402). The clock here advances 1 ms at every read during the retrieval, as a busy
 * real clock does.
 */
import { createSwitchboard, SimulatedClock, State } from '../src';
import { InspectorHub, type TimelineEntry } from '../src/inspect/hub';

function tickingClock() {
  const clock = new SimulatedClock();
  const base = clock.now.bind(clock);
  let drift = 0;
  let ticking = false;
  clock.now = () => base() + (ticking ? ++drift : drift);
  return { clock, tick: (on: boolean) => void (ticking = on) };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
const line = (e: TimelineEntry) =>
  e.kind === 'step' ? `${e.machine} ${e.event.type}` : e.kind === 'callback' ? `callback ${e.eventType}` : 'watching';

test('a retrieval on a clock that moves during the turn: every timeline in time order, callbacks where they were made', async () => {
  const { clock, tick } = tickingClock();
  const sb = createSwitchboard({ clock, publicUrl: 'https://sb.example' });
  const hub = new InspectorHub(sb, { mode: 'always' });
  sb.network.addEndpoint('+15557770000', { outcome: 'answer', ringFor: 1 });
  const { channel: a } = sb.network.placeCall({ from: '+15550001111', to: '+15559990000' });
  await a.answer();
  a.createTonePlayer();
  const b = sb.createChannel();
  void a.retrievableTransfer(b, '+15557770000');
  for (let i = 0; i < 10; i++) {
    clock.increment(100);
    await flush();
  }
  expect(a.state).toBe(State.TRANSFERRED);
  tick(true);
  await a.retrieveTransferredCall();
  tick(false);
  await flush();

  for (const callId of [a.callId as string, b.callId as string]) {
    const { timeline } = hub.call(callId) ?? { timeline: [] };
    const times = timeline.map((e) => e.time);
    expect(times).toEqual([...times].sort((x, y) => x - y));
  }
  // B's transferDisconnect is stamped when B ended, before A reconnected: it is shown there.
  const retrieval = (hub.call(a.callId as string)?.timeline ?? []).map(line).slice(-5);
  expect(retrieval).toEqual([
    'retrievable-transfer RETRIEVE',
    'callback transferDisconnect',
    'channel TRANSFER.RECONNECT',
    'channel NET.RECONNECTED',
    'callback transferComplete',
  ]);
  hub.close();
});
