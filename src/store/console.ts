// SQL of the operator console (src/console/): the batch list with its filters and keyset pages, one batch's
// audit trail and files, what needs a person, what comes next, and the figures behind the overview's charts.
// Indexed by migrations/1764700000000-console-indexes.ts so every page stays fast at 100,000 batches.
import type { DataSource } from 'typeorm';
import type { Queryable } from '../db/sql.js';

export interface BatchFilter {
  company?: string;
  state?: string;
  /** Discovered on or after / on or before this day (YYYY-MM-DD, UTC). */
  from?: string;
  to?: string;
  currency?: string;
  /** Has a delivery to this sink. */
  sink?: string;
  /** A Concur batch id (or its start), internal id, report id, employee id or employee name (any case). */
  q?: string;
}

/** Keyset pages, newest first: `before` pages on (ids below it), `after` pages back (ids above it). */
export interface PageRequest {
  before?: string;
  after?: string;
  size: number;
}

export interface BatchListRow {
  id: string;
  companyId: string;
  concurBatchId: string;
  name: string | null;
  state: string;
  currency: string | null;
  batchTotal: string | null;
  reconciliation: string;
  createdAt: Date;
  updatedAt: Date;
  deliveries: Array<{ sink: string; state: string }>;
}

export interface BatchPage {
  rows: BatchListRow[];
  /** The `after` of the page before this one, the `before` of the page after it; null at either end. */
  previousAfter: string | null;
  nextBefore: string | null;
  /** Matching batches, counted up to COUNT_CAP (then `totalCapped`). */
  total: number;
  totalCapped: boolean;
}

const COUNT_CAP = 10_000;

const FILTERS = `($1::text IS NULL OR b.company_id = $1)
  AND ($2::text IS NULL OR b.state = $2)
  AND ($3::date IS NULL OR b.created_at >= ($3::date::timestamp AT TIME ZONE 'UTC'))
  AND ($4::date IS NULL OR b.created_at < (($4::date + 1)::timestamp AT TIME ZONE 'UTC'))
  AND ($5::text IS NULL OR b.currency = $5)
  AND ($6::text IS NULL OR EXISTS (SELECT 1 FROM deliveries d WHERE d.batch_row_id = b.id AND d.sink = $6))
  AND ($7::text IS NULL OR b.id IN (
    SELECT id FROM batches WHERE concur_batch_id LIKE $8
    UNION SELECT id FROM batches WHERE id = $9
    UNION SELECT batch_row_id FROM transactions WHERE ARRAY[report_id, employee_id, lower(employee_name)] && ARRAY[$7, lower($7)]))`;

const likePrefix = (text: string) => `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const filterParams = (f: BatchFilter) => [
  f.company ?? null, f.state ?? null, f.from ?? null, f.to ?? null, f.currency ?? null, f.sink ?? null,
  f.q ?? null, f.q === undefined ? null : likePrefix(f.q), f.q !== undefined && /^[0-9]{1,18}$/.test(f.q) ? f.q : null,
];

export async function listBatches(db: Queryable, f: BatchFilter, page: PageRequest): Promise<BatchPage> {
  const backwards = page.after !== undefined && page.before === undefined;
  const rows: BatchListRow[] = await db.query(
    `SELECT b.id::text AS id, b.company_id AS "companyId", b.concur_batch_id AS "concurBatchId", b.name, b.state, b.currency,
            b.batch_total::text AS "batchTotal", COALESCE(b.reconciliation ->> 'status', 'not-checked') AS reconciliation,
            b.created_at AS "createdAt", b.updated_at AS "updatedAt",
            COALESCE((SELECT jsonb_agg(jsonb_build_object('sink', d.sink, 'state', d.state) ORDER BY d.sink) FROM deliveries d WHERE d.batch_row_id = b.id), '[]') AS deliveries
     FROM batches b
     WHERE ${FILTERS} AND ($10::bigint IS NULL OR b.id < $10) AND ($11::bigint IS NULL OR b.id > $11)
     ORDER BY b.id ${backwards ? 'ASC' : 'DESC'} LIMIT $12`,
    [...filterParams(f), page.before ?? null, backwards ? page.after : null, page.size + 1],
  );
  const more = rows.length > page.size;
  const shown = rows.slice(0, page.size);
  if (backwards) shown.reverse();
  const [{ n }] = (await db.query(`SELECT count(*)::int AS n FROM (SELECT 1 FROM batches b WHERE ${FILTERS} LIMIT ${COUNT_CAP + 1}) x`, filterParams(f))) as [{ n: number }];
  const first = shown[0]?.id ?? null;
  const last = shown[shown.length - 1]?.id ?? null;
  return {
    rows: shown,
    // Going back, `more` says whether newer pages exist; going on, whether older ones do.
    previousAfter: backwards ? (more ? first : null) : page.before !== undefined ? first : null,
    nextBefore: backwards ? last : more ? last : null,
    total: Math.min(n, COUNT_CAP),
    totalCapped: n > COUNT_CAP,
  };
}

/** The values the batch filters offer: companies, currencies and sinks seen. */
export async function filterChoices(db: Queryable): Promise<{ companies: string[]; currencies: string[]; sinks: string[] }> {
  const [row] = (await db.query(
    `SELECT (SELECT COALESCE(array_agg(id ORDER BY id), '{}') FROM companies) AS companies,
            (SELECT COALESCE(array_agg(c ORDER BY c), '{}') FROM (SELECT DISTINCT currency AS c FROM batches WHERE currency IS NOT NULL) x) AS currencies,
            (SELECT COALESCE(array_agg(s ORDER BY s), '{}') FROM (SELECT DISTINCT sink AS s FROM deliveries) y) AS sinks`,
  )) as Array<{ companies: string[]; currencies: string[]; sinks: string[] }>;
  return row!;
}

export interface BatchEvent {
  id: string;
  at: Date;
  kind: string;
  fromState: string | null;
  toState: string | null;
  detail: Record<string, unknown>;
}

/** A batch's audit trail, oldest first. */
export async function batchEvents(db: Queryable, batchRowId: string): Promise<BatchEvent[]> {
  return db.query(
    `SELECT id::text, at, kind, from_state AS "fromState", to_state AS "toState", detail FROM batch_events WHERE batch_row_id = $1 ORDER BY at, id`,
    [batchRowId],
  );
}

export interface BatchFile {
  id: string;
  parentFileId: string | null;
  name: string;
  kind: string;
  contentType: string | null;
  sha256: string;
  size: number;
  storagePath: string | null;
  createdAt: Date;
}

const FILE_COLUMNS = `id::text, parent_file_id::text AS "parentFileId", name, kind, content_type AS "contentType", sha256,
  size_bytes::float8 AS size, storage_path AS "storagePath", created_at AS "createdAt"`;

/** Every file fetched for a batch (each fetch's original and the entries taken from it). */
export async function batchFiles(db: Queryable, batchRowId: string): Promise<BatchFile[]> {
  return db.query(`SELECT ${FILE_COLUMNS} FROM files WHERE batch_row_id = $1 ORDER BY id`, [batchRowId]);
}

export async function batchFile(db: Queryable, batchRowId: string, fileId: string): Promise<BatchFile | null> {
  const rows: BatchFile[] = await db.query(`SELECT ${FILE_COLUMNS} FROM files WHERE batch_row_id = $1 AND id = $2`, [batchRowId, fileId]);
  return rows[0] ?? null;
}

export interface CurrencyRows {
  currency: string;
  rows: number;
  debit: string;
  credit: string;
  net: string;
}

/** The stored rows of a batch per currency: how many, debits, credits and the net sum (exact decimal text). */
export async function rowsPerCurrency(db: Queryable, batchRowId: string): Promise<CurrencyRows[]> {
  return db.query(
    `SELECT COALESCE(currency, '') AS currency, count(*)::int AS rows,
            COALESCE(sum(amount) FILTER (WHERE debit_credit = 'DR'), 0)::text AS debit,
            COALESCE(sum(amount) FILTER (WHERE debit_credit = 'CR'), 0)::text AS credit, sum(amount)::text AS net
     FROM transactions WHERE batch_row_id = $1 GROUP BY 1 ORDER BY 1`,
    [batchRowId],
  );
}

/** Per sink, the files of its last delivery attempt (deliveries.result) and when it was last tried. */
export async function deliveryResults(db: Queryable, batchRowId: string): Promise<Array<{ sink: string; result: unknown; updatedAt: Date }>> {
  return db.query(`SELECT sink, result, updated_at AS "updatedAt" FROM deliveries WHERE batch_row_id = $1 ORDER BY sink`, [batchRowId]);
}

export interface AttentionItem {
  kind: 'quarantined' | 'needs-reauthorisation' | 'sink-needs-attention' | 'delivery-failing' | 'reconciliation-mismatch' | 'saferpay-close-failed';
  companyId: string | null;
  /** Internal batch id (links to its page), Concur batch id and name. */
  batchRowId: string | null;
  concurBatchId: string | null;
  sink: string | null;
  terminalId: string | null;
  detail: string | null;
  since: Date;
}

/**
 * What needs a person, most urgent kinds first, at most `limit` of each kind (with each kind's full count):
 * quarantined batches, companies to re-authorise, sinks needing a person, deliveries failing on batches still in the
 * pipeline, loaded batches flagged with a reconciliation mismatch, and terminals whose latest Saferpay close failed.
 */
export async function needsAPerson(db: Queryable, limit = 20): Promise<{ items: AttentionItem[]; counts: Record<AttentionItem['kind'], number> }> {
  const items: Array<AttentionItem & { n: number }> = await db.query(
    `WITH q AS (
       SELECT 'quarantined' AS kind, company_id, id, concur_batch_id, NULL::text AS sink, NULL::text AS terminal, quarantine_reason AS detail, updated_at AS since,
              count(*) OVER () AS n
       FROM batches WHERE state = 'quarantined' ORDER BY id DESC LIMIT $1
     ), r AS (
       SELECT 'needs-reauthorisation' AS kind, id AS company_id, NULL::bigint AS id, NULL::text, NULL::text, NULL::text, auth_error, updated_at, count(*) OVER ()
       FROM companies WHERE auth_state = 'needs_reauth' ORDER BY id LIMIT $1
     ), s AS (
       SELECT 'sink-needs-attention' AS kind, company_id, NULL::bigint, NULL::text, sink, NULL::text, reason, since, count(*) OVER ()
       FROM sink_attention ORDER BY company_id, sink LIMIT $1
     ), d AS (
       SELECT 'delivery-failing' AS kind, b.company_id, b.id, b.concur_batch_id, d.sink, NULL::text, d.last_error, d.updated_at, count(*) OVER ()
       FROM deliveries d JOIN batches b ON b.id = d.batch_row_id
       WHERE d.state = 'failed' AND b.state NOT IN ('done', 'quarantined') ORDER BY d.updated_at LIMIT $1
     ), m AS (
       SELECT 'reconciliation-mismatch' AS kind, company_id, id, concur_batch_id, NULL::text, NULL::text, (reconciliation -> 'difference')::text, updated_at, count(*) OVER ()
       FROM batches WHERE reconciliation ->> 'status' = 'mismatch' AND state <> 'quarantined' ORDER BY id DESC LIMIT $1
     ), latest AS (
       SELECT DISTINCT ON (terminal_id) * FROM saferpay_closes ORDER BY terminal_id, business_day DESC, seq DESC
     ), p AS (
       SELECT 'saferpay-close-failed' AS kind, NULL::text, NULL::bigint, NULL::text, NULL::text, terminal_id,
              concat_ws(': ', to_char(business_day, 'YYYY-MM-DD'), state, COALESCE(error_message, last_error)), COALESCE(finished_at, updated_at), count(*) OVER ()
       FROM latest WHERE state IN ('failed', 'config-error') ORDER BY terminal_id LIMIT $1
     )
     SELECT kind, company_id AS "companyId", id::text AS "batchRowId", concur_batch_id AS "concurBatchId", sink, terminal AS "terminalId", detail, since, n::int AS n
     FROM (SELECT * FROM q UNION ALL SELECT * FROM r UNION ALL SELECT * FROM s UNION ALL SELECT * FROM d UNION ALL SELECT * FROM m UNION ALL SELECT * FROM p) x`,
    [limit],
  );
  const counts = { quarantined: 0, 'needs-reauthorisation': 0, 'sink-needs-attention': 0, 'delivery-failing': 0, 'reconciliation-mismatch': 0, 'saferpay-close-failed': 0 };
  for (const i of items) counts[i.kind] = i.n;
  return { items: items.map(({ n: _n, ...i }) => i), counts };
}

export interface NextAction {
  kind: 'discovery' | 'batch-step' | 'saferpay-close';
  companyId: string | null;
  batchRowId: string | null;
  concurBatchId: string | null;
  /** The batch's state (its next step), or the terminal. */
  what: string;
  at: Date | null;
}

/** What the daemon will do next: each company's next listing, the next batches due, pending Saferpay closes. */
export async function nextActions(db: Queryable, limit = 10): Promise<NextAction[]> {
  return db.query(
    `(SELECT 'discovery' AS kind, id AS "companyId", NULL AS "batchRowId", NULL AS "concurBatchId", 'list batches' AS what,
             CASE WHEN next_discovery_at = '-infinity' THEN NULL ELSE next_discovery_at END AS at
      FROM companies ORDER BY next_discovery_at, id LIMIT $1)
     UNION ALL
     (SELECT 'batch-step', company_id, id::text, concur_batch_id, state, next_attempt_at
      FROM batches WHERE state NOT IN ('done', 'quarantined') ORDER BY next_attempt_at NULLS FIRST, id LIMIT $1)
     UNION ALL
     (SELECT 'saferpay-close', NULL, NULL, NULL, terminal_id || ' ' || to_char(business_day, 'YYYY-MM-DD'), next_attempt_at
      FROM saferpay_closes WHERE state = 'pending' ORDER BY next_attempt_at LIMIT $1)`,
    [limit],
  );
}

export interface DayAmount {
  day: string;
  currency: string;
  loaded: string;
  delivered: string;
}

/**
 * Per UTC day since `since` and currency, the amounts of the batches loaded and delivered that day (exact decimal
 * text), from the totals each batch's reconciliation recorded of its stored rows.
 */
export async function amountsPerDay(ds: DataSource, since: Date): Promise<DayAmount[]> {
  return withoutJit(ds, (db) => db.query(
    `WITH moved AS (
       SELECT (loaded_at AT TIME ZONE 'UTC')::date AS day, t.key AS currency, t.value::numeric AS loaded, 0::numeric AS delivered
       FROM batches, jsonb_each_text(reconciliation -> 'totals') t WHERE loaded_at >= $1
       UNION ALL
       SELECT (delivered_at AT TIME ZONE 'UTC')::date, t.key, 0, t.value::numeric
       FROM batches, jsonb_each_text(reconciliation -> 'totals') t WHERE delivered_at >= $1
     )
     SELECT to_char(day, 'YYYY-MM-DD') AS day, currency, sum(loaded)::text AS loaded, sum(delivered)::text AS delivered FROM moved GROUP BY day, currency ORDER BY day, currency`,
    [since],
  ));
}

/**
 * Runs a short aggregate with PostgreSQL's JIT off: jsonb_each's fixed estimate of 100 rows a call makes the planner
 * expect millions of rows and compile the query, which took longer (0.7 s) than the query itself at 100,000 batches.
 */
function withoutJit<T>(ds: DataSource, fn: (db: Queryable) => Promise<T>): Promise<T> {
  return ds.transaction(async (m) => {
    await m.query('SET LOCAL jit = off');
    return fn(m);
  });
}

/** Batches per state now, and per UTC day since `since` the net change of each state (entries − exits) from the audit trail. */
export async function stateChanges(db: Queryable, since: Date): Promise<{ now: Array<{ state: string; n: number }>; deltas: Array<{ day: string; state: string; delta: number }> }> {
  const [now, deltas] = await Promise.all([
    db.query(`SELECT state, count(*)::int AS n FROM batches GROUP BY 1`),
    db.query(
      `SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, state, sum(delta)::int AS delta
       FROM (SELECT at, to_state AS state, 1 AS delta FROM batch_events WHERE at >= $1 AND to_state IS NOT NULL AND from_state IS DISTINCT FROM to_state
             UNION ALL
             SELECT at, from_state, -1 FROM batch_events WHERE at >= $1 AND from_state IS NOT NULL AND from_state IS DISTINCT FROM to_state) e
       GROUP BY 1, 2 ORDER BY 1, 2`,
      [since],
    ),
  ]);
  return { now, deltas };
}
