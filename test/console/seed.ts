// A small console world in the database: a company to re-authorise, a batch quarantined at delivery with a
// reconciliation mismatch (rows, a stored file, its audit trail), a done batch, and a failed Saferpay close.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { storeFile } from '../../src/store/file-store.js';

export const FILE_BYTES = Buffer.from('Employee ID;Report ID;Amount\nE1;RPT-42;100.00\nE1;RPT-42;10.00\n');

export const MISMATCH = {
  status: 'mismatch',
  rows: 2,
  totals: { EUR: '110' },
  difference: { 'batch-total:EUR': '-10' },
  checks: [
    { check: 'rows-present', file: null, expected: 'at least 1', actual: '2', difference: '0', ok: true },
    { check: 'batch-total', file: null, currency: 'EUR', expected: '120.00', actual: '110.00', difference: '-10.00', ok: false },
  ],
  warnings: [],
};

export async function seedConsole(ds: DataSource): Promise<{ dataDir: string; quarantined: string; done: string; fileId: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'erp-sync-console-'));
  await ds.query(`INSERT INTO companies (id, name) VALUES ('acme', 'Acme AG') ON CONFLICT DO NOTHING`);
  await ds.query(`INSERT INTO companies (id, name, auth_state, auth_error) VALUES ('globex', 'Globex', 'needs_reauth', 'invalid_grant') ON CONFLICT DO NOTHING`);
  const [q] = (await ds.query(
    `INSERT INTO batches (company_id, concur_batch_id, name, currency, batch_total, payment_demands, state, quarantine_reason, reconciliation, loaded_at, closed_at)
     VALUES ('acme', 'B-QUAR-1', 'Reimbursements <script>alert(1)</script>', 'EUR', 120.00, 1, 'quarantined', 'deliver: sftp: connection refused (retries exhausted)', $1, now(), now())
     RETURNING id::text AS id`,
    [MISMATCH],
  )) as Array<{ id: string }>;
  const [d] = (await ds.query(
    `INSERT INTO batches (company_id, concur_batch_id, name, currency, batch_total, state, reconciliation, loaded_at, delivered_at, done_at)
     VALUES ('acme', 'B-DONE-1', 'Done batch', 'CHF', 50, 'done', $1, now(), now(), now()) RETURNING id::text AS id`,
    [{ ...MISMATCH, status: 'reconciled', totals: { CHF: '50' }, difference: {}, checks: [] }],
  )) as Array<{ id: string }>;
  const src = join(dataDir, 'incoming.csv');
  writeFileSync(src, FILE_BYTES);
  const sha = createHash('sha256').update(FILE_BYTES).digest('hex');
  const stored = await storeFile(dataDir, src, sha);
  const [f] = (await ds.query(
    `INSERT INTO files (batch_row_id, name, kind, sha256, size_bytes, storage_path) VALUES ($1, 'B-QUAR-1.csv', 'csv', $2, $3, $4) RETURNING id::text AS id`,
    [q!.id, sha, FILE_BYTES.length, stored.storagePath],
  )) as Array<{ id: string }>;
  await ds.query(
    `INSERT INTO transactions (company_id, batch_row_id, file_id, source_file, row_key, line_number, employee_id, employee_name, report_id, amount, currency, debit_credit)
     VALUES ('acme', $1, $2, 'B-QUAR-1.csv', 'ln:2', 2, 'E1', 'Erika Muster', 'RPT-42', 100.00, 'EUR', 'DR'),
            ('acme', $1, $2, 'B-QUAR-1.csv', 'ln:3', 3, 'E1', 'Erika Muster', 'RPT-42', 10.00, 'EUR', 'DR')`,
    [q!.id, f!.id],
  );
  await ds.query(
    `INSERT INTO batch_events (batch_row_id, company_id, kind, from_state, to_state, detail) VALUES
       ($1, 'acme', 'discovered', NULL, 'discovered', '{}'),
       ($1, 'acme', 'loaded', 'fetched', 'loaded', '{"worker": "w1", "reconciliation": "mismatch"}'),
       ($1, 'acme', 'quarantined', 'loaded', 'quarantined', '{"worker": "w1", "reason": "retries exhausted"}')`,
    [q!.id],
  );
  await ds.query(`INSERT INTO deliveries (batch_row_id, sink, state, attempts, last_error) VALUES ($1, 'sftp', 'failed', 8, 'connection refused')`, [q!.id]);
  await ds.query(
    `INSERT INTO saferpay_closes (terminal_id, terminal_name, customer_id, business_day, request_id, state, attempts, next_attempt_at, error_name, error_message, finished_at)
     VALUES ('17700001', 'Shop', '123', CURRENT_DATE - 1, 'req-1', 'failed', 3, now(), 'PERMISSION_DENIED', 'Access to the terminal denied', now())`,
  );
  return { dataDir, quarantined: q!.id, done: d!.id, fileId: f!.id };
}
