import { describe, expect, it } from 'vitest';
import { loadTransactions } from '../../src/store/load.js';
import { CompactCsvRaw1764700004000 } from '../../migrations/1764700004000-compact-csv-raw.js';
import { CsvProfileSchema, type CsvProfileInput } from '../../parsers/csv-profile.js';
import { parseCsv } from '../../parsers/csv.js';
import { newTally } from '../../parsers/tally.js';
import { useMigratedDatabase } from '../support/db.js';
import { seedBatch, streamOf } from './fixtures.js';

const noop = async () => undefined;

async function csvRows(text: string, p: CsvProfileInput, file = 'gl.csv') {
  const rows = [];
  for await (const t of parseCsv(streamOf([Buffer.from(text)]), CsvProfileSchema.parse(p), { file, fileSha256: 'b'.repeat(64) }, newTally())) rows.push(t);
  return rows;
}

const named = (ds: ReturnType<ReturnType<typeof useMigratedDatabase>['ds']>, batchRowId: string) =>
  ds.query(`SELECT raw, source_fields, transaction_raw(t) AS named FROM transactions t WHERE batch_row_id = $1 ORDER BY source_file, line_number`, [batchRowId]) as Promise<
    Array<{ raw: unknown; source_fields: string | null; named: Record<string, string> }>
  >;

describe('compact raw storage of CSV rows', () => {
  const db = useMigratedDatabase();

  it('stores the fields and the header once, and reads back the same named raw record as the parser made', async () => {
    const ds = db.ds();
    const batchRowId = await seedBatch(ds, 'acme', 'B-csv');
    // A blank header name, a repeated one (the last field wins), a field beyond the header, escapes and unicode.
    const text = ' Amount ;Memo;;Memo;Note\n12,50;"tab\t ""quoted""\nnext line";x;first;back\\slash;extra\n3;Müller;;;\n';
    const rows = await csvRows(text, { delimiter: ';', decimalSeparator: ',', thousandsSeparator: '', columns: { amount: 'Amount' } });
    const other = await csvRows('1,2\n7,8\n', { header: false, columns: { amount: 1 } }, 'plain.csv');
    await loadTransactions(ds, { companyId: 'acme', batchRowId, rows: streamOf([...rows, ...other]) }, noop);
    const stored = await named(ds, batchRowId);
    expect(stored.map((s) => s.named)).toEqual([...rows, ...other].map((r) => r.raw));
    expect(stored[0]!.named).toEqual({ Amount: '12,50', Memo: 'first', '3': 'x', Note: 'back\\slash', '6': 'extra' });
    expect(stored.every((s) => s.raw !== null && Object.keys(s.raw as object).length === 0 && s.source_fields !== null)).toBe(true);
    const headers = (await ds.query(`SELECT source_file, names FROM csv_headers WHERE batch_row_id = $1`, [batchRowId])) as unknown[];
    expect(headers).toEqual([{ source_file: 'gl.csv', names: ['Amount', 'Memo', '3', 'Memo', 'Note'] }]);
  });

  it('keeps a record whose field holds the separator by name, and refuses NUL in a header name as in a field', async () => {
    const ds = db.ds();
    const batchRowId = await seedBatch(ds, 'acme', 'B-sep');
    const rows = await csvRows('Amount,Memo\n1,a\u001fb\n', { columns: { amount: 'Amount' } });
    await loadTransactions(ds, { companyId: 'acme', batchRowId, rows: streamOf(rows) }, noop);
    expect(await named(ds, batchRowId)).toEqual([{ raw: { Amount: '1', Memo: 'a\u001fb' }, source_fields: null, named: { Amount: '1', Memo: 'a\u001fb' } }]);
    const nul = await csvRows('Amount,Me\0mo\n1,x\n', { columns: { amount: 'Amount' } });
    const err = await loadTransactions(ds, { companyId: 'acme', batchRowId, rows: streamOf(nul) }, noop).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'LoadError', field: 'raw.Me\0mo' });
  });

  it('a reload replaces the header with the rows; the migration down stores the rows by name again', async () => {
    const ds = db.ds();
    const batchRowId = await seedBatch(ds, 'acme', 'B-down');
    const first = await csvRows('Amount,Memo\n1,a\n', { columns: { amount: 'Amount' } });
    const second = await csvRows('Amount,Note\n2,b\n', { columns: { amount: 'Amount' } });
    await loadTransactions(ds, { companyId: 'acme', batchRowId, rows: streamOf(first) }, noop);
    await loadTransactions(ds, { companyId: 'acme', batchRowId, rows: streamOf(second) }, noop);
    expect((await named(ds, batchRowId)).map((s) => s.named)).toEqual([{ Amount: '2', Note: 'b' }]);
    const runner = ds.createQueryRunner();
    try {
      await new CompactCsvRaw1764700004000().down(runner);
      expect(await ds.query(`SELECT raw FROM transactions WHERE batch_row_id = $1`, [batchRowId])).toEqual([{ raw: { Amount: '2', Note: 'b' } }]);
      await new CompactCsvRaw1764700004000().up(runner);
    } finally {
      await runner.release();
    }
  });
});
