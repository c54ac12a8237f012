// The one lease primitive: a claim ends with its holder's session (a dead process) or, for a live holder cut off,
// with its lease; fences refuse a holder whose claim was taken over. The same for batches, listings (and Saferpay,
// in test/saferpay/job.test.ts).
import { describe, expect, it } from 'vitest';
import { killableHolder, useMigratedDatabase } from '../support/db.js';
import { applyTransition, claimDue, LostClaimError, upsertDiscovered } from '../../src/store/batches.js';
import { claimDiscovery } from '../../src/store/companies.js';
import type { Transition } from '../../src/model/transition.js';

const db = useMigratedDatabase();
const now = new Date('2026-11-22T10:00:00Z');
const LEASE = 120_000;
const closing: Transition = { state: 'closing', event: 'close_requested', detail: {}, nextAttemptAt: now, attempts: 0, lastError: null, set: {} };

async function seed(companyId: string) {
  await db.ds().query(`INSERT INTO companies (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING`, [companyId]);
  await upsertDiscovered(db.ds(), {
    companyId, concurBatchId: 'B1', name: 'Batch', batchUrl: 'https://x/b', type: 'Employee', paymentMethod: 'Expense Pay by SAP Concur',
    currency: 'EUR', batchTotal: '10.00', paymentDemands: 1, state: 'discovered', nextAttemptAt: now, stateData: {},
  });
}
const claim = async (holderId: string, companyId: string, at = now) =>
  claimDue(db.ds(), { holder: await db.holder(holderId), now: at, leaseMs: LEASE, limit: 5, perCompany: 5, companies: [companyId] });

describe('claims', () => {
  it('a batch claimed by a process that dies is free at once, its lease notwithstanding; the dead holder is fenced', async () => {
    await seed('dies');
    const dead = await killableHolder(db.url(), 'dead-process');
    const [mine] = await claimDue(db.ds(), { holder: dead.holder, now, leaseMs: LEASE, limit: 5, perCompany: 5, companies: ['dies'] });
    expect(mine).toBeDefined();
    expect(await claim('other', 'dies')).toEqual([]);
    await dead.kill();
    const [theirs] = await claim('other', 'dies');
    expect(theirs?.id).toBe(mine!.id);
    await expect(applyTransition(db.ds(), mine!, dead.holder, closing, 'close')).rejects.toBeInstanceOf(LostClaimError);
    await expect(applyTransition(db.ds(), theirs!, await db.holder('other'), closing, 'close')).resolves.toBeUndefined();
  });

  it('a live holder keeps its claim until its lease runs out (cut off), then loses it', async () => {
    await seed('cut-off');
    expect(await claim('stuck', 'cut-off')).toHaveLength(1);
    expect(await claim('next', 'cut-off', new Date(now.getTime() + LEASE - 1))).toEqual([]);
    expect(await claim('next', 'cut-off', new Date(now.getTime() + LEASE))).toHaveLength(1);
  });

  it('one process never claims the same batch twice at once', async () => {
    await seed('twice');
    const [a, b] = await Promise.all([claim('same', 'twice'), claim('same', 'twice')]);
    expect(a!.length + b!.length).toBe(1);
  });

  it("a company's listing: held by a live process (named), free once it dies", async () => {
    await db.ds().query(`INSERT INTO companies (id, name) VALUES ('listed', 'listed')`);
    const dead = await killableHolder(db.url(), 'lister');
    expect(await claimDiscovery(db.ds(), 'listed', dead.holder, now, LEASE, true)).toEqual({ taken: true });
    const other = await db.holder('other');
    expect(await claimDiscovery(db.ds(), 'listed', other, now, LEASE, true)).toEqual({ taken: false, heldBy: 'lister' });
    await dead.kill();
    expect(await claimDiscovery(db.ds(), 'listed', other, now, LEASE, true)).toEqual({ taken: true });
  });
});
