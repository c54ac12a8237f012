// SQL of the sinks that need a person (a Xero connection lacking a scope): marked, listed, cleared.
import type { Queryable } from '../db/sql.js';

export interface SinkAttentionRow {
  companyId: string;
  sink: string;
  reason: string;
  since: Date;
}

/** Keeps the first `since` while the problem lasts; the reason is the latest. */
export async function markSinkAttention(q: Queryable, companyId: string, sink: string, reason: string): Promise<void> {
  await q.query(
    `INSERT INTO sink_attention (company_id, sink, reason) VALUES ($1, $2, $3)
     ON CONFLICT (company_id, sink) DO UPDATE SET reason = EXCLUDED.reason`,
    [companyId, sink, reason],
  );
}

export async function clearSinkAttention(q: Queryable, companyId: string, sink: string): Promise<void> {
  await q.query(`DELETE FROM sink_attention WHERE company_id = $1 AND sink = $2`, [companyId, sink]);
}

export async function sinksNeedingAttention(q: Queryable): Promise<SinkAttentionRow[]> {
  return q.query(`SELECT company_id AS "companyId", sink, reason, since FROM sink_attention ORDER BY company_id, sink`);
}
