// Rows of docs/behaviour.md §3 (retrievable transfer) over UDP with SIPp dropping 10% of what it sends and receives
// on both sides (`-lost 10`): retransmissions (ours and SIPp's) absorb the loss, and the states, transferCause(),
// the exact callbacks in order and SIPp's verdicts are those of the loss-free runs in sipNetwork.test.ts: both
// play the rows of test/sip/rows.ts, this file with their `*-lossy.xml` scenarios.
import { closeRuns } from '../support/sipRun';
import { rowTests } from './rows';

afterEach(closeRuns);

describe('retrievable transfer under SIPp -lost 10 (UDP, both sides)', () => {
  rowTests('lossy', {
    transport: 'udp',
    sippExtra: ['-lost', '10', '-default_behaviors', 'all,-abortunexp'],
    sippTimeoutSeconds: 40,
    testTimeoutMs: 60000,
  });
});
