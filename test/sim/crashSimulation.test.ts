/**
 * The randomized simulation with crash points (crashSimulation.ts) against a real redis-server and `switchboard
 * serve --redis` child processes SIGKILLed at random moments. In `npm test`: one seeded run of 24 calls and 3
 * crashes (about half a minute). SWITCHBOARD_CRASH_SEED replays a seed; SWITCHBOARD_CRASH_RUNS,
 * SWITCHBOARD_CRASH_CALLS and SWITCHBOARD_CRASH_KILLS make a longer run (docs/testing.md).
 */
import { assertBuilt } from '../support/builtCli';
import { useRedis } from '../support/redis';
import { simulateCrashes } from './crashSimulation';

const redis = useRedis();
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const seed = env('SWITCHBOARD_CRASH_SEED', 20261202);
const runs = env('SWITCHBOARD_CRASH_RUNS', 1);
const calls = env('SWITCHBOARD_CRASH_CALLS', 24);
const crashes = env('SWITCHBOARD_CRASH_KILLS', 3);

beforeAll(() => assertBuilt());

test(
  `random calls with random SIGKILLs keep every invariant (seed ${seed}; replay with SWITCHBOARD_CRASH_SEED=${seed})`,
  async () => {
    for (let run = 0; run < runs; run++) {
      const result = await simulateCrashes({ seed: seed + run, calls, crashes, redis: redis() });
      expect(result.violations).toEqual([]);
      expect(result.legs).toBeGreaterThan(calls);
      console.log(
        `crash simulation: seed ${result.seed}, ${result.calls} calls, ${result.crashes} SIGKILLs, ${result.legs} legs, ${result.callbacks} callbacks, ${result.failed} requests cut by a kill, 0 violations`,
      );
    }
  },
  120_000 * runs,
);
