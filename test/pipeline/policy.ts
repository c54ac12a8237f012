// The pipeline policy the tests start from: short back-off, the documented 30-minute empty-batch wait.
import type { Policy } from '../../src/pipeline/machine.js';

export function testPolicy(over: Partial<Policy> = {}): Policy {
  return {
    backoff: { baseMs: 1_000, maxMs: 60_000, maxAttempts: 4 },
    emptyBatchWaitMs: 30 * 60_000,
    closeWatchTimeoutMs: 15 * 60_000,
    closeWatchIntervalMs: 5_000,
    reconciliation: 'quarantine',
    random: () => 1,
    ...over,
  };
}
