// A transition is one statement: the batch's new state, its audit event, and the row as committed come together.
import { describe, expect, it } from 'vitest';
import { useMigratedDatabase } from '../support/db.js';
import { claimDue, commitTransition, LostClaimError, upsertDiscovered } from '../../src/store/batches.js';
import type { Transition } from '../../src/model/transition.js';

const db = useMigratedDatabase();
const now = new Date('2026-11-22T10:00:00Z');
const closeAt = new Date('2026-11-22T10:00:05Z');
const closing: Transition = {
  state: 'closing', event: 'close_requested', detail: { why: 'due' }, nextAttemptAt: now, attempts: 0, lastError: null,
  set: { closeRequestedAt: closeAt, stateData: { window: 1 } },
};

async function seedAndClaim(companyId: string, holderId: string) {
  await db.ds().query(`INSERT INTO companies (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING`, [companyId]);
  const added = await upsertDiscovered(db.ds(), {
    companyId, concurBatchId: 'B1', name: 'Batch', batchUrl: 'https://x/b', type: 'Employee', paymentMethod: 'Expense Pay by SAP Concur',
    currency: 'EUR', batchTotal: '10.00', paymentDemands: 1, state: 'discovered', nextAttemptAt: now, stateData: { firstSeenAt: 'then' },
  });
  const holder = await db.holder(holderId);
  const [batch] = await claimDue(db.ds(), { holder, now, leaseMs: 120_000, limit: 1, perCompany: 1, companies: [companyId] });
  return { added, holder, batch: batch! };
}

describe('commitTransition', () => {
  it('returns the row as committed and records its event with it', async () => {
    const { added, holder, batch } = await seedAndClaim('t-row', 'w1');
    expect(added).toBe(true);
    const row = await commitTransition(db.ds(), batch, holder, closing, 'close');
    expect(row).toMatchObject({ id: batch.id, companyId: 't-row', state: 'closing', attempts: 0, stepStarted: null, stepStarts: 0, stateData: { firstSeenAt: 'then', window: 1 } });
    const events: Array<{ kind: string; from_state: string; to_state: string; detail: Record<string, unknown> }> = await db.ds().query(
      `SELECT kind, from_state, to_state, detail FROM batch_events WHERE batch_row_id = $1 ORDER BY id`, [batch.id],
    );
    expect(events).toEqual([
      expect.objectContaining({ kind: 'discovered', to_state: 'discovered' }),
      { kind: 'close_requested', from_state: 'discovered', to_state: 'closing', detail: { step: 'close', worker: holder.id, why: 'due' } },
    ]);
  });

  it('from a state the batch is no longer in: LostClaimError, and neither the batch nor its events change', async () => {
    const { holder, batch } = await seedAndClaim('t-stale', 'w2');
    await commitTransition(db.ds(), batch, holder, closing, 'close');
    await expect(commitTransition(db.ds(), batch, holder, closing, 'close')).rejects.toBeInstanceOf(LostClaimError);
    const [events]: Array<{ n: number }> = await db.ds().query(`SELECT count(*)::int AS n FROM batch_events WHERE batch_row_id = $1`, [batch.id]);
    expect(events?.n).toBe(2);
  });

  it('a discovered batch seen again is not added twice; its list figures are refreshed while it is open', async () => {
    await seedAndClaim('t-again', 'w3');
    const again = await upsertDiscovered(db.ds(), {
      companyId: 't-again', concurBatchId: 'B1', name: 'Batch', batchUrl: 'https://x/b2', type: 'Employee', paymentMethod: 'Expense Pay by SAP Concur',
      currency: 'EUR', batchTotal: '12.50', paymentDemands: 2, state: 'discovered', nextAttemptAt: now, stateData: {},
    });
    expect(again).toBe(false);
    const rows: Array<{ batch_url: string; batch_total: string; payment_demands: number; events: number }> = await db.ds().query(
      `SELECT batch_url, batch_total::text, payment_demands, (SELECT count(*)::int FROM batch_events e WHERE e.batch_row_id = b.id) AS events
       FROM batches b WHERE company_id = 't-again'`,
    );
    expect(rows).toEqual([{ batch_url: 'https://x/b2', batch_total: '12.50', payment_demands: 2, events: 1 }]);
  });
});
