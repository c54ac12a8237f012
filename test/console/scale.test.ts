// The batch list and the overview at 100,000 batches (seeded with generate_series): right answers, keyset pages that
// meet again, and plans that read indexes rather than the whole table. Times are printed for the record, not asserted.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/sql.js';
import { listBatches, type BatchFilter } from '../../src/store/console.js';
import { overviewData } from '../../src/console/pages.js';
import { useMigratedDatabase } from '../support/db.js';

const db = useMigratedDatabase();
const N = 100_000;

beforeAll(async () => {
  const ds = db.ds();
  await ds.query(`INSERT INTO companies (id, name) SELECT 'c' || i, 'Company ' || i FROM generate_series(0, 4) i`);
  await ds.query(
    `INSERT INTO batches (company_id, concur_batch_id, name, currency, batch_total, state, quarantine_reason, reconciliation, created_at, loaded_at, delivered_at)
     SELECT 'c' || (i % 5), 'B' || lpad(i::text, 7, '0'), 'Batch ' || i, (ARRAY['EUR', 'CHF', 'USD'])[1 + i % 3], i % 1000 + 0.5,
            CASE WHEN i % 997 = 0 THEN 'quarantined' WHEN i % 101 = 0 THEN 'loaded' ELSE 'done' END,
            CASE WHEN i % 997 = 0 THEN 'parse error' END,
            jsonb_build_object('status', 'reconciled', 'totals', jsonb_build_object((ARRAY['EUR', 'CHF', 'USD'])[1 + i % 3], (i % 1000 + 0.5)::text)),
            now() - (${N} - i) * interval '40 seconds', now() - (${N} - i) * interval '40 seconds', now() - (${N} - i) * interval '40 seconds'
     FROM generate_series(1, ${N}) i`,
  );
  await ds.query(
    `INSERT INTO transactions (company_id, batch_row_id, source_file, row_key, line_number, employee_id, employee_name, report_id, amount, currency)
     SELECT company_id, id, 'f.csv', 'ln:2', 2, 'E' || (id % 5000), 'Employee ' || (id % 5000), 'RPT-' || id, batch_total, currency FROM batches`,
  );
  await ds.query(`INSERT INTO deliveries (batch_row_id, sink, state, attempts) SELECT id, CASE WHEN id % 2 = 0 THEN 'sftp' ELSE 'xero' END, 'delivered', 1 FROM batches`);
  await ds.query(
    `INSERT INTO batch_events (batch_row_id, company_id, kind, from_state, to_state, at)
     SELECT id, company_id, 'done', 'loaded', state, created_at FROM batches WHERE created_at > now() - interval '30 days'`,
  );
  await ds.query('ANALYZE');
}, 300_000);

/** Runs `fn` against a Queryable that answers with each statement's plan, and returns each plan's nodes (type, relation, index). */
async function plans(fn: (q: Queryable) => Promise<unknown>): Promise<string[][]> {
  const statements: string[][] = [];
  let nodes: string[] = [];
  const walk = (n: { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; Plans?: unknown[] }) => {
    nodes.push(`${n['Node Type']}${n['Relation Name'] ? ` on ${n['Relation Name']}` : ''}${n['Index Name'] ? ` using ${n['Index Name']}` : ''}`);
    for (const p of (n.Plans ?? []) as Array<typeof n>) walk(p);
  };
  await fn({
    query: async (sql: string, params?: unknown[]) => {
      const [row] = (await db.ds().query(`EXPLAIN (FORMAT JSON) ${sql}`, params)) as Array<{ 'QUERY PLAN': Array<{ Plan: Parameters<typeof walk>[0] }> }>;
      statements.push((nodes = []));
      walk(row!['QUERY PLAN'][0]!.Plan);
      return [{ n: 0 }];
    },
  } as Queryable);
  return statements;
}

async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const out = await fn();
  console.info(`[scale ${N}] ${what}: ${(performance.now() - t).toFixed(1)} ms`);
  return out;
}

describe(`the batch list at ${N.toLocaleString('en')} batches`, () => {
  it('pages newest first with keysets that lead back to the same page', async () => {
    const first = await timed('first page', () => listBatches(db.ds(), {}, { size: 50 }));
    expect(first.rows).toHaveLength(50);
    expect(first.rows[0]!.concurBatchId).toBe('B0100000');
    expect(first.totalCapped).toBe(true);
    expect(first.previousAfter).toBeNull();
    const second = await timed('second page', () => listBatches(db.ds(), {}, { before: first.nextBefore!, size: 50 }));
    expect(second.rows[0]!.concurBatchId).toBe('B0099950');
    const back = await listBatches(db.ds(), {}, { after: second.previousAfter!, size: 50 });
    expect(back.rows.map((r) => r.id)).toEqual(first.rows.map((r) => r.id));
    expect(back.previousAfter).toBeNull();
    const deep = await timed('a page 1,000 pages in', () => listBatches(db.ds(), {}, { before: String(Number(first.rows[0]!.id) - 50_000), size: 50 }));
    expect(deep.rows).toHaveLength(50);
  });

  it('filters by company, state, currency, sink and days, and counts exactly below the cap', async () => {
    const f: BatchFilter = { company: 'c3', state: 'quarantined', currency: 'EUR', sink: 'sftp' };
    const page = await timed('filtered (company, state, currency, sink)', () => listBatches(db.ds(), f, { size: 50 }));
    const [{ n }] = (await db.ds().query(
      `SELECT count(*)::int AS n FROM batches b JOIN deliveries d ON d.batch_row_id = b.id AND d.sink = 'sftp' WHERE b.company_id = 'c3' AND b.state = 'quarantined' AND b.currency = 'EUR'`,
    )) as [{ n: number }];
    expect(n).toBeGreaterThan(0);
    expect(page.total).toBe(n);
    expect(page.totalCapped).toBe(false);
    expect(page.rows.every((r) => r.companyId === 'c3' && r.state === 'quarantined' && r.currency === 'EUR' && r.deliveries.some((d) => d.sink === 'sftp'))).toBe(true);
    const today = new Date().toISOString().slice(0, 10);
    const days = await timed('one day', () => listBatches(db.ds(), { from: today, to: today }, { size: 50 }));
    expect(days.rows.every((r) => r.createdAt.toISOString().slice(0, 10) === today)).toBe(true);
  });

  it('finds a batch by report id and by employee among all of them', async () => {
    const byReport = await timed('search by report id', () => listBatches(db.ds(), { q: 'RPT-77777' }, { size: 50 }));
    expect(byReport.rows.map((r) => r.concurBatchId)).toEqual(['B0077777']);
    const byEmployee = await timed('search by employee id', () => listBatches(db.ds(), { q: 'E4321' }, { size: 50 }));
    expect(byEmployee.total).toBe(N / 5000);
  });

  it('reads indexes for the page, never the whole table; the count stops at its cap', async () => {
    for (const f of [{}, { state: 'quarantined' }, { q: 'RPT-77777' }, { company: 'c1' }] as BatchFilter[]) {
      const [list, count] = await plans((q) => listBatches(q, f, { size: 50 }));
      expect(list!.filter((n) => /^Seq Scan on (batches|transactions)/.test(n)), JSON.stringify(f)).toEqual([]);
      // The count reads at most 10,001 rows, by whatever path: a Limit below the Aggregate.
      expect(count!.slice(0, 2), JSON.stringify(f)).toEqual(['Aggregate', 'Limit']);
    }
  });

  it('builds the overview (what needs a person, next actions, 30 days of charts)', async () => {
    const data = (await timed('overview', () => overviewData(db.ds(), new Date()))) as { attention: { counts: Record<string, number> }; statePoints: Array<{ counts: Record<string, number> }> };
    expect(data.attention.counts.quarantined).toBe(Math.floor(N / 997));
    const last = data.statePoints[data.statePoints.length - 1]!.counts;
    expect(Object.values(last).reduce((a, b) => a + b, 0)).toBe(N);
  });
});
