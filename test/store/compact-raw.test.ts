import { describe, expect, it } from 'vitest';
import { loadTransactions } from '../../src/store/load.js';
import { CompactRaw1764700001000 } from '../../migrations/1764700001000-compact-raw.js';
import { BatchIdNames1764700003000 } from '../../migrations/1764700003000-batch-id-names.js';
import { TransactionRefsPerStatement1764700005000 } from '../../migrations/1764700005000-transaction-refs-per-statement.js';
import { parseSae, SAE_COL, SAE_DETAIL_COLUMNS } from '../../parsers/sae.js';
import { newTally } from '../../parsers/tally.js';
import { useMigratedDatabase } from '../support/db.js';
import { seedBatch, streamOf } from './fixtures.js';

const noop = async () => undefined;

/** A DETAIL line of 400 fields with the given values by 0-based column. */
function detail(values: Record<number, string>): string {
  return Array.from({ length: SAE_DETAIL_COLUMNS }, (_, i) => values[i] ?? '').join('|');
}

const LINE = detail({
  0: 'DETAIL', [SAE_COL.concurBatchId]: '77', [SAE_COL.employeeId]: 'E1', [SAE_COL.lastName]: 'Müller', [SAE_COL.amount]: '12.50', [SAE_COL.journalKey]: 'JK1',
  [SAE_COL.reimbursementCurrency]: 'CHF', [SAE_COL.description]: 'tab\\t "quoted", back\\slash', 399: 'last',
});

async function saeRows(lines: string[]) {
  const text = [`EXTRACT|2025-06-30|${lines.length}|12.50|77`, ...lines].join('\n');
  const rows = [];
  for await (const t of parseSae(streamOf([Buffer.from(text)]), { file: 'extract.txt', fileSha256: 'a'.repeat(64) }, newTally())) rows.push(t);
  return rows;
}

describe('compact raw storage of SAE rows', () => {
  const db = useMigratedDatabase();

  it('stores the source line and reads back the same named raw record, in the store and in reporting.sae_lines', async () => {
    const ds = db.ds();
    const batchRowId = await seedBatch(ds, 'acme', 'B-line');
    const rows = await saeRows([LINE]);
    await loadTransactions(ds, { companyId: 'acme', batchRowId, rows: streamOf(rows) }, noop);
    const [stored] = (await ds.query(`SELECT raw, source_line, transaction_raw(raw, source_line) AS named FROM transactions WHERE batch_row_id = $1`, [batchRowId])) as Array<
      Record<string, unknown>
    >;
    expect(stored).toMatchObject({ raw: {}, source_line: LINE });
    expect(stored!.named).toEqual(rows[0]!.raw);
    expect(stored!.named).toMatchObject({ 'Employee Last Name': 'Müller', 'Journal Amount': '12.50', 'Report Entry Description': 'tab\\t "quoted", back\\slash' });
    const [view] = (await ds.query(`SELECT "Employee ID", "Journal Key", "Employee First Name", line_number FROM reporting.sae_lines WHERE batch_id = $1`, [batchRowId])) as Array<
      Record<string, unknown>
    >;
    expect(view).toEqual({ 'Employee ID': 'E1', 'Journal Key': 'JK1', 'Employee First Name': null, line_number: 2 });
  });

  it('converts SAE rows stored by name before the migration, and leaves other raw records alone', async () => {
    const ds = db.ds();
    const batchRowId = await seedBatch(ds, 'acme', 'B-migrate');
    const [sae] = await saeRows([LINE]);
    const runner = ds.createQueryRunner();
    try {
      // The schema as CompactRaw found it: the later column renames undone first, done again after.
      await new TransactionRefsPerStatement1764700005000().down(runner);
      await new BatchIdNames1764700003000().down(runner);
      await new CompactRaw1764700001000().down(runner);
      const insert = `INSERT INTO transactions (company_id, batch_id, source_file, row_key, line_number, amount, raw) VALUES ('acme', $1, 'f', $2, 1, 1, $3)`;
      await ds.query(insert, [batchRowId, 'ln:1', JSON.stringify(sae!.raw)]);
      await ds.query(insert, [batchRowId, 'ln:2', JSON.stringify({ Constant: 'DETAIL', Memo: 'a CSV column' })]);
      await new CompactRaw1764700001000().up(runner);
      await new BatchIdNames1764700003000().up(runner);
      await new TransactionRefsPerStatement1764700005000().up(runner);
    } finally {
      await runner.release();
    }
    const stored = (await ds.query(`SELECT raw, source_line, transaction_raw(raw, source_line) AS named FROM transactions WHERE batch_row_id = $1 ORDER BY row_key`, [
      batchRowId,
    ])) as Array<Record<string, unknown>>;
    expect(stored[0]).toMatchObject({ raw: {}, named: sae!.raw });
    expect((stored[0]!.source_line as string).split('|')).toEqual(LINE.split('|'));
    expect(stored[1]).toEqual({ raw: { Constant: 'DETAIL', Memo: 'a CSV column' }, source_line: null, named: { Constant: 'DETAIL', Memo: 'a CSV column' } });
  });
});
