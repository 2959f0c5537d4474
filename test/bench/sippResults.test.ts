// The SIP benchmark's pure helpers (bench/sip/sippResults.ts): SIPp's statistics screen and -trace_rtt file,
// percentiles, and the max-rate search (driven by a fake trial, no SIPp and no timing).
import { parseRtt, parseSippCounts, percentile, searchMaxRate } from '../../bench/sip/sippResults';

const screen = (created: number, ok: number, failed: number) => `
  Counter Name           | Periodic value            | Cumulative value
  Total Calls created    |                           |      ${created}
  Current Calls          |        0                  |
  Successful call        |        3                  |      ${ok}
  Failed call            |        1                  |      ${failed}
`;

test('parseSippCounts reads the cumulative column of the last screen', () => {
  expect(parseSippCounts(screen(10, 8, 2) + screen(500, 497, 3))).toEqual({ created: 500, successful: 497, failed: 3 });
  expect(parseSippCounts('sipp: no screen at all')).toEqual({ created: 0, successful: 0, failed: 0 });
});

test('parseRtt groups response times by RTD timer and skips the header and junk', () => {
  const csv = 'Date_ms;response_time_ms;rtd_no\n16.001;4;1\n24.001;0;1\n24.5;7;2\nnot a row\n32.001;2.5;1\n';
  expect([...parseRtt(csv)]).toEqual([
    [1, [4, 0, 2.5]],
    [2, [7]],
  ]);
});

test('percentile is nearest-rank; NaN for no values', () => {
  const values = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
  expect([percentile(values, 50), percentile(values, 99), percentile(values, 0), percentile([42], 99)]).toEqual([
    5, 10, 1, 42,
  ]);
  expect(percentile([], 50)).toBeNaN();
});

test('searchMaxRate doubles until a failure, then bisects (rounded to the step)', async () => {
  const limit = 730;
  const r = await searchMaxRate(async (rate) => rate <= limit, { start: 100, max: 6400, refine: 3 });
  expect(r.trials).toEqual([
    { rate: 100, ok: true },
    { rate: 200, ok: true },
    { rate: 400, ok: true },
    { rate: 800, ok: false },
    { rate: 600, ok: true },
    { rate: 700, ok: true },
    { rate: 750, ok: false },
  ]);
  expect(r.rate).toBe(700);
});

test('searchMaxRate stops at max when everything passes, and reports 0 when the first step fails', async () => {
  const all = await searchMaxRate(async () => true, { start: 100, max: 400, refine: 3 });
  expect(all).toEqual({
    rate: 400,
    trials: [100, 200, 400].map((rate) => ({ rate, ok: true })),
  });
  const none = await searchMaxRate(async () => false, { start: 100, max: 400, refine: 2, step: 10 });
  expect(none.rate).toBe(0);
  expect(none.trials.map((t) => t.rate)).toEqual([100, 50, 30]);
});
