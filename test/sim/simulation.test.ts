/**
 * The randomized simulation, small enough for `npm test`: fast-check draws simulation seeds (the run itself is
 * seeded: set FC_SEED to replay it). Each simulation runs 60 concurrent calls over every path and checks the
 * invariants on every event and at the end. `npm run soak` runs 100,000+ calls the same way.
 */
import fc from 'fast-check';
import { simulate } from './simulation';

const seed = Number(process.env.FC_SEED ?? 20261121);

test(`randomized calls keep every invariant (fast-check seed ${seed}; replay with FC_SEED=${seed})`, async () => {
  let calls = 0;
  let rooms = 0;
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (simulationSeed) => {
      const result = await simulate({ seed: simulationSeed, calls: 60 });
      calls += result.calls;
      rooms += result.rooms;
      expect(result.violations).toEqual([]);
    }),
    { seed, numRuns: 25 },
  );
  console.log(`simulation: ${calls} calls, ${rooms} conference rooms, 0 violations, fast-check seed ${seed}`);
  expect(rooms).toBeGreaterThan(0);
});
