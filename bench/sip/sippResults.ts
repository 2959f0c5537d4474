/**
 * Pure helpers of the SIP benchmark: SIPp's final statistics screen and its `-trace_rtt` file, percentiles,
 * and the short search for the highest call rate a system carries with 0 failed calls.
 */

export interface SippCounts {
  created: number;
  successful: number;
  failed: number;
}

/** The cumulative counters of the last statistics screen SIPp printed (zeros when there is none). */
export function parseSippCounts(output: string): SippCounts {
  const last = (label: string): number => {
    const all = [...output.matchAll(new RegExp(`${label}\\s*\\|[^|\\n]*\\|\\s*(\\d+)`, 'g'))];
    return all.length ? Number(all[all.length - 1][1]) : 0;
  };
  return { created: last('Total Calls created'), successful: last('Successful call'), failed: last('Failed call') };
}

/**
 * SIPp's `-trace_rtt` CSV (`Date_ms;response_time_ms;rtd_no`): the response times in ms of each RTD timer
 * (1: INVITE to 200; 2: INVITE to the bridging re-INVITE, where a scenario has one).
 */
export function parseRtt(csv: string): Map<number, number[]> {
  const byTimer = new Map<number, number[]>();
  for (const line of csv.split('\n')) {
    const m = /^\s*[\d.]+;([\d.]+);(\d+)\s*$/.exec(line);
    if (!m) continue;
    const timer = Number(m[2]);
    let list = byTimer.get(timer);
    if (!list) byTimer.set(timer, (list = []));
    list.push(Number(m[1]));
  }
  return byTimer;
}

/** The nearest-rank percentile `p` (0-100) of `values`; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export interface RateSearch {
  /** The highest rate that passed (0 when even the first failed). */
  rate: number;
  /** Every trial in order. */
  trials: { rate: number; ok: boolean }[];
}

/**
 * The highest call rate for which `trial` passes: doubling from `start` until a trial fails or `max` passed,
 * then `refine` bisections between the last pass and the first failure (rates rounded to `step`).
 */
export async function searchMaxRate(
  trial: (rate: number) => Promise<boolean>,
  options: { start: number; max: number; refine: number; step?: number },
): Promise<RateSearch> {
  const step = options.step ?? 10;
  const trials: { rate: number; ok: boolean }[] = [];
  const run = async (rate: number) => {
    const ok = await trial(rate);
    trials.push({ rate, ok });
    return ok;
  };
  let lo = 0;
  let hi = options.start;
  while (await run(hi)) {
    lo = hi;
    if (hi >= options.max) return { rate: lo, trials };
    hi *= 2;
  }
  for (let i = 0; i < options.refine; i++) {
    const mid = Math.round((lo + hi) / 2 / step) * step;
    if (mid <= lo || mid >= hi) break;
    if (await run(mid)) lo = mid;
    else hi = mid;
  }
  return { rate: lo, trials };
}
