// The timer source of the SIP dialog layer: the real one, or a test's manual clock, so timers are deterministic.

export type TimerHandle = unknown;

export interface SipClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Node's timers. */
export const realClock: SipClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};
