import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { retryPolicy } from '../../src/concur/retry-policy.js';
import { useMigratedDatabase } from '../support/db.js';
import { client, oauthConfig, useHarness, watchUntilClosed } from './harness.js';

const db = useMigratedDatabase();
const h = useHarness(db, { companies: 3, faults: { rate: 0.2, seed: 7, slowMs: 20, retryAfterSeconds: 2 } });

/** What the pipeline does with an error the client gave up on: wait as the policy says, then run the step again. */
async function asPipeline<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      const d = retryPolicy(err, { attempt, now: h.clock.now(), random: () => 0.5 });
      if (!d.retry || attempt >= 10) throw err;
      h.clock.advance(d.retryAfterMs);
    }
  }
}

describe('under a 20% fault rate', () => {
  it('every batch completes list → close → watch → v1.1 close → download, each file intact, each close done once', async () => {
    let completed = 0;
    for (const [index, company] of h.sandbox.companies.entries()) {
      const c = client(h, db.ds(), company.id, oauthConfig(h, index), { maxAttempts: 4 });
      const open = await asPipeline(() => c.listBatches('OPEN'));
      expect(open).toHaveLength(5);
      for (const batch of open) {
        const requested = await asPipeline(() => c.requestClose(batch.batchUrl));
        if (batch.count === 0) {
          expect(requested.outcome).toBe('empty');
          continue;
        }
        expect(requested.outcome).toBe('requested');
        expect(await watchUntilClosed(h, c, batch.concurBatchId, asPipeline)).toMatchObject({ concurBatchId: batch.concurBatchId });
        const got = await asPipeline(() => c.closeForFileUrl(batch.batchUrl));
        if (got.outcome !== 'file-url') throw new Error(`no File-Url for ${batch.concurBatchId}`);
        const path = join(h.spool, `${batch.concurBatchId}.bin`);
        const file = await asPipeline(() => c.downloadFile(got.fileUrl, path));
        const served = h.sandbox.served(got.fileUrl)!;
        expect(file).toMatchObject({ sha256: served.sha256, size: served.size });
        expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(served.sha256);
        // Faulted requests change nothing: exactly one effective close of each kind and one served download.
        expect([h.sandbox.counters.closeV12(batch.concurBatchId), h.sandbox.counters.closeV11(batch.concurBatchId), h.sandbox.counters.downloads(got.fileUrl)]).toEqual([1, 1, 1]);
        completed++;
      }
    }
    expect(completed).toBe(12);
    for (const kind of ['429', '503', '500', 'reset', 'slow'] as const) expect(h.sandbox.counters.faults(kind)).toBeGreaterThan(0);
  });
});
