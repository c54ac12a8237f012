// For random batches (random allocation splits, repeated report and entry ids, credits, two currencies, every file
// kind), what the database holds is exactly the file: stored count = the file's lines, Σ stored = Σ file per currency.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadedParts, openBatchFile, type BatchFilePart } from '../../parsers/batch-file.js';
import { SANDBOX_CSV_PROFILE } from '../../sandboxes/files/index.js';
import { Money, moneyText } from '../../src/money.js';
import type { Transaction } from '../../src/model/transaction.js';
import { loadTransactions } from '../../src/store/load.js';
import { useMigratedDatabase } from '../support/db.js';
import { FOREIGN_GL_PROFILE, NO_IDS_PROFILE, bundle, csvWithIds, csvWithoutIds, foreignGlCsv, glCsv, iif, sae, type SplitLine } from '../e2e/split-files.js';
import { seedBatch } from './fixtures.js';

const KINDS = {
  'csv with ids': { file: 'ids.csv', multiCurrency: true, bytes: (l: SplitLine[]) => csvWithIds(l), profile: SANDBOX_CSV_PROFILE },
  'csv without ids': { file: 'noids.csv', multiCurrency: true, bytes: (l: SplitLine[]) => csvWithoutIds(l), profile: NO_IDS_PROFILE },
  sae: { file: 'extract.txt', multiCurrency: true, bytes: (l: SplitLine[]) => sae('P', l) },
  iif: { file: 'bills.iif', multiCurrency: false, bytes: (l: SplitLine[]) => iif(l) },
  'bundle, built-in GL': { file: 'qb.zip', multiCurrency: false, bytes: (l: SplitLine[]) => bundle('qb', glCsv(l), l) },
  'bundle, foreign GL (IIF loaded)': { file: 'fx.zip', multiCurrency: false, bytes: (l: SplitLine[]) => bundle('fx', foreignGlCsv('P', l), l) },
  'bundle, configured GL': { file: 'cfg.zip', multiCurrency: false, bytes: (l: SplitLine[]) => bundle('cfg', foreignGlCsv('P', l), l), entryProfile: FOREIGN_GL_PROFILE },
} as const;

const cents = fc.integer({ min: -1_000_000_00, max: 1_000_000_000_00 }).filter((c) => c !== 0);
const line = fc.record({
  report: fc.constantFrom('R1', 'R2', 'R3'),
  entry: fc.constantFrom('E1', 'E2', 'E3'),
  account: fc.constantFrom('6100', '6200', '6300'),
  type: fc.constantFrom('Airfare', 'Hotel', 'Meals'),
  amount: cents.map((c) => moneyText(new Money(c).div(100).toDecimalPlaces(2))),
  currency: fc.constantFrom('EUR', 'USD'),
});
// Repeats of earlier lines, identical to the cent: a split or itemization that happens to look the same.
const batchLines = fc.tuple(fc.array(line, { minLength: 1, maxLength: 10 }), fc.array(fc.nat(), { maxLength: 3 })).map(([ls, repeats]) => [...ls, ...repeats.map((i) => ls[i % ls.length]!)]);

async function* loadable(parts: BatchFilePart[]): AsyncGenerator<Transaction> {
  const keep = loadedParts(parts);
  for (const p of parts) for await (const r of p.rows()) if (keep(p)) yield r;
}

describe('stored rows are the file, for random batches of every kind', () => {
  const db = useMigratedDatabase();
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'money-prop-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('stored count = file lines and Σ stored = Σ file per currency, also after loading the same batch again', async () => {
    const ds = db.ds();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...(Object.keys(KINDS) as Array<keyof typeof KINDS>)), batchLines, fc.boolean(), async (kind, raw, twice) => {
        const k = KINDS[kind];
        const lines = k.multiCurrency ? raw : raw.map((l) => ({ ...l, currency: 'EUR' }));
        const path = join(dir, `${n++}-${k.file}`);
        await writeFile(path, k.bytes(lines));
        const batchRowId = await seedBatch(ds, 'acme', `P-${n}`);
        const open = () =>
          openBatchFile(path, {
            fileName: k.file,
            csvProfile: 'profile' in k ? k.profile : undefined,
            entryCsvProfile: 'entryProfile' in k ? () => ({ name: 'concur-gl', profile: k.entryProfile }) : undefined,
            defaultCurrency: 'EUR',
          });
        for (let i = 0; i < (twice ? 2 : 1); i++) await loadTransactions(ds, { companyId: 'acme', batchRowId, rows: loadable(await open()) }, async () => undefined);

        const expected = new Map<string, Money>();
        for (const l of lines) expected.set(l.currency, (expected.get(l.currency) ?? new Money(0)).plus(l.amount));
        const stored = (await ds.query(`SELECT currency, count(*)::int AS n, sum(amount)::text AS total FROM transactions WHERE batch_row_id = $1 GROUP BY 1 ORDER BY 1`, [batchRowId])) as Array<{ currency: string; n: number; total: string }>;
        expect(stored.reduce((s, r) => s + r.n, 0)).toBe(lines.length);
        expect(Object.fromEntries(stored.map((r) => [r.currency, moneyText(new Money(r.total))]))).toEqual(Object.fromEntries([...expected].map(([c, v]) => [c, moneyText(v)])));
      }),
      { numRuns: 70 },
    );
  });
});
