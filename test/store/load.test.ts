import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadTransactions } from '../../src/store/load.js';
import { LoadError } from '../../src/store/copy-text.js';
import { useMigratedDatabase } from '../support/db.js';
import { batchState, countRows, markLoaded, range, seedBatch, streamOf, txn } from './fixtures.js';

const noop = async () => undefined;

describe('loadTransactions', () => {
  const db = useMigratedDatabase();

  it('holds exactly one copy of the latest file: the same file twice and a regenerated file replace the rows', async () => {
    const ds = db.ds();
    const batchRowId = await seedBatch(ds, 'acme', 'B-once');
    const file = range(500).map((i) => txn(i));
    // A regenerated file: other bytes, other name, other line numbers, the same content.
    const regenerated = range(500).map((i) => txn(i, { file: 'extract-2.txt', fileSha256: 'b'.repeat(64), lineNumber: 1000 - i }));

    const first = await loadTransactions(ds, { companyId: 'acme', batchRowId, rows: streamOf(file) }, markLoaded(batchRowId));
    const again = await loadTransactions(ds, { companyId: 'acme', batchRowId, rows: streamOf(file) }, noop);
    const regen = await loadTransactions(ds, { companyId: 'acme', batchRowId, rows: streamOf(regenerated) }, noop);

    const total = (r: typeof first) => r.stored.groups.reduce((n, g) => n + g.rows, 0);
    expect([first.parsed, total(first), first.previous.rows]).toEqual([500, 500, 0]);
    expect([again.parsed, total(again), again.previous.rows]).toEqual([500, 500, 500]);
    expect([regen.parsed, total(regen), regen.previous.rows]).toEqual([500, 500, 500]);
    expect(regen.previous.totals).toEqual(again.previous.totals);
    expect(await countRows(ds, batchRowId)).toBe(500);
    const files = await ds.query(`SELECT DISTINCT source_file FROM transactions WHERE batch_row_id = $1`, [batchRowId]);
    expect(files).toEqual([{ source_file: 'extract-2.txt' }]);
    expect(await batchState(ds, batchRowId)).toEqual({ state: 'loaded', events: 1 });
  });

  it('keeps lines that share report and entry ids (allocation splits, itemizations): identity is the line, not its keys', async () => {
    const ds = db.ds();
    const batchRowId = await seedBatch(ds, 'acme', 'B-split');
    const split = { reportId: 'R1', entryId: 'E1', journalKey: null };
    const rows = [txn(1, { ...split, amount: '100.00', accountCode: '6100' }), txn(2, { ...split, amount: '50.00', accountCode: '6200' }), txn(3, { ...split, amount: '50.00', accountCode: '6200' })];
    const r = await loadTransactions(ds, { companyId: 'acme', batchRowId, rows: streamOf(rows) }, noop);
    expect(r.stored.groups.reduce((n, g) => n + g.rows, 0)).toBe(3);
    const [sum] = await ds.query(`SELECT sum(amount)::text AS s, count(*)::int AS n FROM transactions WHERE batch_row_id = $1`, [batchRowId]);
    expect(sum).toEqual({ s: '200.00', n: 3 });
  });

  it('refuses a journal key repeated within one file, naming the file and the key, and keeps the previous rows', async () => {
    const ds = db.ds();
    const batchRowId = await seedBatch(ds, 'acme', 'B-repeat');
    await loadTransactions(ds, { companyId: 'acme', batchRowId, rows: streamOf([txn(7)]) }, noop);
    const rows = [txn(1), txn(2), txn(1, { lineNumber: 99 })];
    const err = await loadTransactions(ds, { companyId: 'acme', batchRowId, rows: streamOf(rows) }, noop).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LoadError);
    expect(err).toMatchObject({ file: 'extract.txt', field: 'journalKey', message: 'extract.txt: journalKey: journal key "5001" appears on more than one line' });
    expect(await countRows(ds, batchRowId)).toBe(1);
  });

  it('keeps the same rows apart for another batch and another company', async () => {
    const ds = db.ds();
    const a = await seedBatch(ds, 'acme', 'B-apart');
    const b = await seedBatch(ds, 'globex', 'B-apart');
    const rows = range(10).map((i) => txn(i));
    await loadTransactions(ds, { companyId: 'acme', batchRowId: a, rows: streamOf(rows) }, noop);
    await loadTransactions(ds, { companyId: 'globex', batchRowId: b, rows: streamOf(rows) }, noop);
    expect(await countRows(ds, a)).toBe(10);
    expect(await countRows(ds, b)).toBe(10);
  });

  it('stores every value exactly: escapes, unicode, amounts as written, raw as jsonb, the file id', async () => {
    const ds = db.ds();
    const batchRowId = await seedBatch(ds, 'acme', 'B-values');
    const [file] = (await ds.query(
      `INSERT INTO files (batch_row_id, name, kind, sha256, size_bytes) VALUES ($1, 'x.txt', 'sae', $2, 1) RETURNING id::text AS id`,
      [batchRowId, 'c'.repeat(64)],
    )) as Array<{ id: string }>;
    const nasty = 'tab\there, new\nline, cr\r, back\\slash, \\N, "quoted", \'single\', |pipe|, ÄÖü €, 😀';
    const row = txn(1, {
      description: nasty,
      employeeName: '\\N',
      vendor: '',
      amount: '-12345678901234567890123.12345678',
      raw: { [nasty]: nasty, 'Journal Amount': '-50.00', empty: '' },
      debitCredit: 'CR',
      transactionDate: null,
      currency: null,
    });
    await loadTransactions(ds, { companyId: 'acme', batchRowId, fileIdOf: () => file!.id, rows: streamOf([row, txn(2, { amount: '-50.00' })]) }, noop);

    const stored = (await ds.query(
      `SELECT description, employee_name, vendor, amount::text AS amount, raw, debit_credit, transaction_date, currency, file_id::text AS file_id
       FROM transactions WHERE batch_row_id = $1 ORDER BY line_number`,
      [batchRowId],
    )) as Array<Record<string, unknown>>;
    expect(stored[0]).toEqual({
      description: nasty,
      employee_name: '\\N',
      vendor: '',
      amount: '-12345678901234567890123.12345678',
      raw: row.raw,
      debit_credit: 'CR',
      transaction_date: null,
      currency: null,
      file_id: file!.id,
    });
    expect(stored[1]!.amount).toBe('-50.00');
  });

  it('round-trips arbitrary text in every free-text field and in raw', async () => {
    const ds = db.ds();
    const batchRowId = await seedBatch(ds, 'acme', 'B-prop');
    const piece = fc.oneof(fc.constantFrom('\\', '\t', '\n', '\r', '\r\n', '"', "'", '\\N', '\\t', '|', ','), fc.string({ unit: 'grapheme' }));
    const value = fc.array(piece, { maxLength: 6 }).map((parts) => parts.join(''));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(value, fc.dictionary(value, value, { maxKeys: 4 }), async (text, raw) => {
        const t = txn(100 + n++, { description: text, employeeName: text, raw });
        await loadTransactions(ds, { companyId: 'acme', batchRowId, rows: streamOf([t]) }, noop);
        const [back] = (await ds.query(`SELECT description, employee_name, raw FROM transactions WHERE batch_row_id = $1 AND row_key = $2`, [
          batchRowId,
          t.rowKey,
        ])) as Array<Record<string, unknown>>;
        expect(back).toEqual({ description: text, employee_name: text, raw });
      }),
      { numRuns: 60 },
    );
  });

  it('commits the caller’s state change with the rows, and rolls both back when it fails', async () => {
    const ds = db.ds();
    const batchRowId = await seedBatch(ds, 'acme', 'B-callback');
    const failing = async (client: Parameters<ReturnType<typeof markLoaded>>[0]) => {
      await markLoaded(batchRowId)(client);
      throw new Error('audit write failed');
    };
    await expect(loadTransactions(ds, { companyId: 'acme', batchRowId, rows: streamOf(range(50).map((i) => txn(i))) }, failing)).rejects.toThrow(
      'audit write failed',
    );
    expect(await countRows(ds, batchRowId)).toBe(0);
    expect(await batchState(ds, batchRowId)).toEqual({ state: 'fetched', events: 0 });
  });

  it('loads nothing when the source fails part-way, and keeps the pool usable', async () => {
    const ds = db.ds();
    const batchRowId = await seedBatch(ds, 'acme', 'B-source-fails');
    async function* failsAfter(n: number) {
      // Enough rows that several COPY chunks reach the server before the failure.
      for (const i of range(n)) yield txn(i, { description: 'x'.repeat(200) });
      throw new Error('extract.txt:9999: Journal Amount: malformed amount');
    }
    await expect(loadTransactions(ds, { companyId: 'acme', batchRowId, rows: failsAfter(5000) }, markLoaded(batchRowId))).rejects.toThrow(/malformed amount/);
    expect(await countRows(ds, batchRowId)).toBe(0);
    expect(await batchState(ds, batchRowId)).toEqual({ state: 'fetched', events: 0 });
    // Every pooled connection still works (none was left inside an aborted COPY or transaction).
    await Promise.all(range(5).map(() => ds.query('SELECT 1')));
    expect((await loadTransactions(ds, { companyId: 'acme', batchRowId, rows: streamOf([txn(1)]) }, noop)).parsed).toBe(1);
    expect(await countRows(ds, batchRowId)).toBe(1);
  });

  it('refuses a value PostgreSQL cannot hold with an error naming file, line and field', async () => {
    const ds = db.ds();
    const batchRowId = await seedBatch(ds, 'acme', 'B-nul');
    const rows = [txn(1), txn(2, { vendor: 'a\0b' })];
    const err = await loadTransactions(ds, { companyId: 'acme', batchRowId, rows: streamOf(rows) }, noop).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LoadError);
    expect(err).toMatchObject({ file: 'extract.txt', line: 4, field: 'vendor' });
    const rawErr = await loadTransactions(ds, { companyId: 'acme', batchRowId, rows: streamOf([txn(3, { raw: { Vendor: 'a\0b' } })]) }, noop).catch(
      (e: unknown) => e,
    );
    expect(rawErr).toMatchObject({ name: 'LoadError', field: 'raw.Vendor' });
    const amountErr = await loadTransactions(ds, { companyId: 'acme', batchRowId, rows: streamOf([txn(4, { amount: '1,00' })]) }, noop).catch(
      (e: unknown) => e,
    );
    expect(amountErr).toMatchObject({ name: 'LoadError', field: 'amount' });
    expect(await countRows(ds, batchRowId)).toBe(0);
  });
});
