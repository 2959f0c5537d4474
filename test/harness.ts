/**
 * Test harness: a switchboard on a SimulatedClock that records, in order, every callback, every Catapult
 * hangup and every leg state change, and can assert that a finished scenario left nothing behind.
 */
import {
  createSwitchboard,
  SimulatedClock,
  type BandwidthCallback,
  type CatapultHangupEvent,
  type Channel,
  type LegStateChange,
  type Switchboard,
} from '../src';
import { engineOf } from './support/engineOf';

export interface Harness {
  sb: Switchboard;
  clock: SimulatedClock;
  callbacks: BandwidthCallback[];
  hangups: CatapultHangupEvent[];
  states: LegStateChange[];
  /** Advance simulated time by `seconds`, letting promise continuations run in between. */
  advance(seconds: number): Promise<void>;
  /** The states a leg went through, in order. */
  statesOf(callId: string | null): string[];
  /** [eventType, callId, cause?] of every callback so far. */
  summary(): Array<[string, string, string?]>;
  /** Hang up what is left and assert: no leg, transfer or timer remains; one terminal event per leg. */
  assertClean(): Promise<void>;
}

export function makeHarness(): Harness {
  const clock = new SimulatedClock();
  const sb = createSwitchboard({
    clock,
    accountId: '9900000',
    applicationId: 'app-1',
    publicUrl: 'https://sb.example',
  });
  const callbacks: BandwidthCallback[] = [];
  const hangups: CatapultHangupEvent[] = [];
  const states: LegStateChange[] = [];
  sb.on('callback', (p) => callbacks.push(p));
  sb.on('hangup', (p) => hangups.push(p));
  sb.on('legState', (c) => states.push(c));
  return {
    sb,
    clock,
    callbacks,
    hangups,
    states,
    async advance(seconds) {
      for (let i = 0; i < seconds * 10; i++) {
        clock.increment(100);
        await flush();
      }
      await flush();
    },
    statesOf(callId) {
      return states.filter((c) => c.callId === callId).map((c) => c.state);
    },
    summary() {
      return callbacks.map((c) => ('cause' in c ? [c.eventType, c.callId, c.cause] : [c.eventType, c.callId]));
    },
    async assertClean() {
      sb.close();
      await flush();
      expect(sb.stats()).toEqual({
        legs: 0,
        agentCalls: 0,
        transfers: 0,
        timers: 0,
        terminalEvents: expect.any(Number),
      });
      expect(engineOf(sb).relations.size).toBe(0); // no relation outlives its records
      const legIds = new Set(states.map((s) => s.callId));
      for (const id of legIds) {
        const terminal = callbacks.filter(
          (c) => c.callId === id && (c.eventType === 'disconnect' || c.eventType === 'transferDisconnect'),
        );
        expect({ id, terminal: terminal.length }).toEqual({ id, terminal: 1 });
        const last = callbacks.filter((c) => c.callId === id).at(-1);
        expect(last?.eventType === 'disconnect' || last?.eventType === 'transferDisconnect').toBe(true);
        expect(hangups.filter((h) => h.callId === id)).toHaveLength(1);
      }
      expect(sb.stats().terminalEvents).toBe(legIds.size);
    },
  };
}

/** Let pending promise continuations run (no timers, no sleeping). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** An inbound call, answered by the application, with a tone player (ready to transfer). */
export async function answeredCall(
  h: Harness,
  from = '+15550001111',
  to = '+15559990000',
): Promise<{ a: Channel; b: Channel }> {
  const { channel: a } = h.sb.network.placeCall({ from, to });
  await a.answer();
  a.createTonePlayer();
  const b = h.sb.createChannel();
  return { a, b };
}

export const COMMON_FIELDS = [
  'eventType',
  'eventTime',
  'accountId',
  'applicationId',
  'from',
  'to',
  'direction',
  'callId',
  'callUrl',
];

/** Assert a payload has exactly the common fields plus `extra`. */
export function expectFields(payload: object, extra: string[]): void {
  expect(Object.keys(payload).sort()).toEqual([...COMMON_FIELDS, ...extra].sort());
}

export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
