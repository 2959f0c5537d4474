/**
 * The engine behind a switchboard on the simulated network, for tests that check its registry's internals (the
 * relations between records: every one is gone once nothing is left).
 */
import type { SimulatedNetwork, Switchboard } from '../../src';
import type { Engine } from '../../src/engine/engine';

export function engineOf(sb: Switchboard<SimulatedNetwork>): Engine {
  return (sb.network as unknown as { engine: Engine }).engine;
}
