// SQL for the normalized journal export: a batch's stored transactions in a stable order (byte-identical files on
// every delivery), amounts and dates as exact text, and the stored totals the files are checked against.
import type { Queryable } from '../db/sql.js';
import type { StoredJournal, StoredRow } from '../../sinks/journal/lines.js';
import { batchTotals } from './deliveries.js';

/** Reports together (then per employee when a row has no report, then per currency), in file order; "C" collation so every server sorts alike. */
const ORDER = `ORDER BY report_id COLLATE "C" NULLS LAST, (CASE WHEN report_id IS NULL THEN employee_id END) COLLATE "C" NULLS LAST,
  currency COLLATE "C" NULLS LAST, source_file COLLATE "C", line_number, row_key COLLATE "C"`;

/** A batch whose close time is unknown is dated by its load (stored, so every export of it agrees). */
export async function loadJournal(db: Queryable, batchRowId: string): Promise<StoredJournal> {
  const [batch] = (await db.query(
    `SELECT company_id AS company, concur_batch_id AS "concurBatchId", COALESCE(name, concur_batch_id) AS "batchName", COALESCE(closed_at, loaded_at, created_at) AS "closedAt", currency
     FROM batches WHERE id = $1`,
    [
    batchRowId,
    ],
  )) as Array<{ company: string; concurBatchId: string; batchName: string; closedAt: Date; currency: string | null }>;
  if (!batch) throw new Error(`batch ${batchRowId} is not in the database`);
  const rows: StoredRow[] = await db.query(
    `SELECT employee_id AS "employeeId", employee_name AS "employeeName", report_id AS "reportId", report_key AS "reportKey", report_name AS "reportName",
            entry_id AS "entryId", journal_key AS "journalKey", to_char(transaction_date, 'YYYY-MM-DD') AS "transactionDate", expense_type AS "expenseType",
            description, vendor, account_code AS "accountCode", debit_credit AS "debitCredit", amount::text AS amount, currency, payment_type AS "paymentType", transaction_raw(transactions) AS raw
     FROM transactions WHERE batch_row_id = $1 ${ORDER}`,
    [batchRowId],
  );
  const { totals } = await batchTotals(db, batchRowId);
  return { company: batch.company, concurBatchId: batch.concurBatchId, batchName: batch.batchName, closeDate: batch.closedAt, currency: batch.currency, rows, totals };
}
