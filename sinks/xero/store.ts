// SQL of the Xero sink: its OAuth tokens, the batch's lines grouped by report, and the posted batch payments.
import type { ReportLine } from './mapping.js';
import { update, type Queryable } from '../../src/db/sql.js';
import { openToken, sealToken } from '../../src/store/token-cipher.js';
import { xeroContext } from '../../src/store/sealed-tokens.js';
import type { TokenRow } from '../../src/store/token-rotation.js';

export interface XeroTokenRow {
  accessToken: string | null;
  accessExpiresAt: Date | null;
  refreshToken: string | null;
  authState: 'ok' | 'needs_reauth';
  authError: string | null;
}

type Key = { companyId: string; sink: string };


/** Stores the configured refresh token the first time only: afterwards the rotated one in the database wins. */
export async function seedXeroRefreshToken(q: Queryable, k: Key, refreshToken: string): Promise<void> {
  await q.query(`INSERT INTO xero_tokens (company_id, sink, refresh_token) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [k.companyId, k.sink, sealToken(refreshToken, xeroContext(k, 'refresh_token'))]);
}

/** `forUpdate` holds the row until the transaction ends, so two processes never spend one refresh token. */
export async function readXeroTokens(q: Queryable, k: Key, forUpdate = false): Promise<XeroTokenRow | null> {
  const rows: XeroTokenRow[] = await q.query(
    `SELECT access_token AS "accessToken", access_expires_at AS "accessExpiresAt", refresh_token AS "refreshToken",
            auth_state AS "authState", auth_error AS "authError"
       FROM xero_tokens WHERE company_id = $1 AND sink = $2${forUpdate ? ' FOR UPDATE' : ''}`,
    [k.companyId, k.sink],
  );
  const r = rows[0];
  return r ? { ...r, accessToken: openToken(r.accessToken, xeroContext(k, 'access_token')), refreshToken: openToken(r.refreshToken, xeroContext(k, 'refresh_token')) } : null;
}

export async function saveXeroTokens(q: Queryable, k: Key, t: { accessToken: string; accessExpiresAt: Date; refreshToken: string }): Promise<void> {
  await update(
    q,
    `UPDATE xero_tokens SET access_token = $3, access_expires_at = $4, refresh_token = $5, auth_state = 'ok', auth_error = NULL, updated_at = now()
      WHERE company_id = $1 AND sink = $2`,
    [k.companyId, k.sink, sealToken(t.accessToken, xeroContext(k, 'access_token')), t.accessExpiresAt, sealToken(t.refreshToken, xeroContext(k, 'refresh_token'))],
  );
}

export async function markXeroNeedsReauth(q: Queryable, k: Key, error: string): Promise<void> {
  await update(q, `UPDATE xero_tokens SET auth_state = 'needs_reauth', auth_error = $3, access_token = NULL, access_expires_at = NULL, updated_at = now() WHERE company_id = $1 AND sink = $2`, [
    k.companyId,
    k.sink,
    error,
  ]);
}

/** After a person re-authorised the connection: the new refresh token replaces the dead one. */
export async function replaceXeroRefreshToken(q: Queryable, k: Key, refreshToken: string): Promise<void> {
  await q.query(
    `INSERT INTO xero_tokens (company_id, sink, refresh_token) VALUES ($1, $2, $3)
     ON CONFLICT (company_id, sink) DO UPDATE SET refresh_token = EXCLUDED.refresh_token, access_token = NULL, access_expires_at = NULL,
       auth_state = 'ok', auth_error = NULL, updated_at = now()`,
    [k.companyId, k.sink, sealToken(refreshToken, xeroContext(k, 'refresh_token'))],
  );
}

/** A Xero connection's token row for the rotation (src/store/token-rotation.ts); a grant without a new refresh token keeps the old one. */
export function xeroTokenRow<G extends { accessToken: string; expiresAt: number; refreshToken: string | null }>(k: Key, seedRefreshToken: string): TokenRow<XeroTokenRow, G> {
  return {
    seed: (q) => seedXeroRefreshToken(q, k, seedRefreshToken),
    lockAndRead: (q) => readXeroTokens(q, k, true),
    save: (q, g, spent) => saveXeroTokens(q, k, { accessToken: g.accessToken, accessExpiresAt: new Date(g.expiresAt), refreshToken: g.refreshToken ?? spent }),
    markNeedsReauth: (q, error) => markXeroNeedsReauth(q, k, error),
  };
}

/** The batch's transactions, amounts as exact text, in report and file order. */
export async function reportLines(q: Queryable, companyId: string, batchRowId: string): Promise<ReportLine[]> {
  return q.query(
    `SELECT report_id AS "reportId", report_name AS "reportName", employee_id AS "employeeId", employee_name AS "employeeName",
            account_code AS "accountCode", expense_type AS "expenseType", description, amount::text AS amount, currency,
            payment_type AS "paymentType", source_file || ':' || line_number AS "lineRef", transaction_raw(transactions) AS raw
       FROM transactions WHERE company_id = $1 AND batch_row_id = $2 ORDER BY report_id, line_number, id`,
    [companyId, batchRowId],
  );
}

export interface XeroPaymentRow {
  batchRowId: string;
  sink: string;
  companyId: string;
  tenantId: string;
  generation: number;
  reference: string | null;
  batchPaymentId: string | null;
  total: string | null;
  status: string | null;
  isReconciled: boolean | null;
  checkedAt: Date | null;
}

const PAYMENT_COLUMNS = `batch_row_id::text AS "batchRowId", sink, company_id AS "companyId", tenant_id AS "tenantId", generation, reference,
  batch_payment_id AS "batchPaymentId", total::text AS total, status, is_reconciled AS "isReconciled", checked_at AS "checkedAt"`;

export async function readXeroPayment(q: Queryable, batchRowId: string, sink: string): Promise<XeroPaymentRow | null> {
  const rows: XeroPaymentRow[] = await q.query(`SELECT ${PAYMENT_COLUMNS} FROM xero_batch_payments WHERE batch_row_id = $1 AND sink = $2`, [batchRowId, sink]);
  return rows[0] ?? null;
}

/** Records what we are about to post (before the first write), keeping the generation of an earlier reversal. */
export async function notePending(q: Queryable, p: { batchRowId: string; sink: string; companyId: string; tenantId: string; reference: string }): Promise<number> {
  const rows: Array<{ generation: number }> = await q.query(
    `INSERT INTO xero_batch_payments (batch_row_id, sink, company_id, tenant_id, reference) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (batch_row_id, sink) DO UPDATE SET reference = EXCLUDED.reference, tenant_id = EXCLUDED.tenant_id, updated_at = now()
     RETURNING generation`,
    [p.batchRowId, p.sink, p.companyId, p.tenantId, p.reference],
  );
  return rows[0]!.generation;
}

/** The batch payment exists in Xero (posted now or found by its reference): its id is the proof. */
export async function savePosted(q: Queryable, p: { batchRowId: string; sink: string; batchPaymentId: string; total: string; status: string; bills: unknown }): Promise<void> {
  await update(
    q,
    `UPDATE xero_batch_payments SET batch_payment_id = $3, total = $4, status = $5, is_reconciled = false, bills = $6, posted_at = now(),
            deleted_at = NULL, last_error = NULL, updated_at = now()
      WHERE batch_row_id = $1 AND sink = $2`,
    [p.batchRowId, p.sink, p.batchPaymentId, p.total, p.status, JSON.stringify(p.bills)],
  );
}

export async function saveXeroError(q: Queryable, batchRowId: string, sink: string, error: string): Promise<void> {
  await update(q, `UPDATE xero_batch_payments SET last_error = $3, updated_at = now() WHERE batch_row_id = $1 AND sink = $2`, [batchRowId, sink, error]);
}

/** What the follow-up check read back. */
export async function saveChecked(q: Queryable, batchRowId: string, sink: string, s: { status: string; isReconciled: boolean; at: Date }): Promise<void> {
  await update(q, `UPDATE xero_batch_payments SET status = $3, is_reconciled = $4, checked_at = $5, updated_at = now() WHERE batch_row_id = $1 AND sink = $2`, [
    batchRowId,
    sink,
    s.status,
    s.isReconciled,
    s.at,
  ]);
}

/** Posted batch payments still worth reading back: not deleted, not reconciled, not checked since `before`. */
export async function paymentsToCheck(q: Queryable, before: Date, limit: number): Promise<XeroPaymentRow[]> {
  return q.query(
    `SELECT ${PAYMENT_COLUMNS} FROM xero_batch_payments
      WHERE batch_payment_id IS NOT NULL AND status IS DISTINCT FROM 'DELETED' AND is_reconciled IS NOT TRUE
        AND (checked_at IS NULL OR checked_at < $1)
      ORDER BY checked_at NULLS FIRST, batch_row_id LIMIT $2`,
    [before, limit],
  );
}

/** The reversal, with its audit event, in one transaction; the next generation posts under fresh keys. */
export async function recordReversal(q: Queryable, p: { batchRowId: string; sink: string; companyId: string; batchPaymentId: string; actor: string; batchState: string }): Promise<void> {
  await update(
    q,
    `UPDATE xero_batch_payments SET status = 'DELETED', deleted_at = now(), generation = generation + 1, updated_at = now() WHERE batch_row_id = $1 AND sink = $2`,
    [p.batchRowId, p.sink],
  );
  await q.query(`INSERT INTO batch_events (batch_row_id, company_id, kind, from_state, to_state, detail) VALUES ($1, $2, $3, $4, $4, $5)`, [
    p.batchRowId,
    p.companyId,
    'xero_batch_payment_deleted',
    p.batchState,
    { sink: p.sink, batchPaymentId: p.batchPaymentId, by: p.actor },
  ]);
}
