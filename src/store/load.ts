// Exactly-once bulk load: the batch's previous rows are replaced by a COPY straight into transactions, and the
// caller records the batch's state change in the same database transaction, from the figures as stored.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DataSource, EntityManager } from 'typeorm';
import type { Transaction } from '../model/transaction.js';
import type { StoredFigures, StoredGroup } from '../model/reconciliation.js';
import { copyLine, copyPrefix, COPY_COLUMNS, headerNames, LoadError } from './copy-text.js';
import { pgClientOf } from './pg-client.js';
import { prepared } from '../db/prepared.js';

export interface LoadInput {
  companyId: string;
  batchRowId: number | string;
  /** The files row each row belongs to, by its file's logical name (the ZIP entry's own row); null when unknown. */
  fileIdOf?: (file: string) => number | string | null;
  rows: AsyncIterable<Transaction>;
}

export interface LoadResult {
  /** Rows the source yielded. */
  parsed: number;
  /** The batch's rows as stored by this load. */
  stored: StoredFigures;
  /** What the batch held before (an earlier load of it), now replaced. */
  previous: { rows: number; totals: Record<string, string> };
}

// Lines are sent in chunks of about this size: large enough to keep per-message overhead low, small
// enough that the stream's buffering (and so memory) stays flat whatever the row count.
const CHUNK_CHARS = 256 * 1024;
const COLUMN_NAMES = ['company_id', 'batch_row_id', 'file_id', ...COPY_COLUMNS.map(([name]) => name)].join(', ');

// One load of a batch at a time (two replicas after a lost lease): the second waits, then replaces.
const LOCK = prepared(`SELECT pg_advisory_xact_lock(hashtextextended('erp-sync load ' || $1, 0))`);
/** Removes the batch's earlier rows and CSV headers; answers the removed rows' figures per currency. */
const REMOVE_PREVIOUS = prepared(`WITH gone AS (DELETE FROM transactions WHERE batch_row_id = $1 RETURNING currency, amount),
  headers AS (DELETE FROM csv_headers WHERE batch_row_id = $1)
  SELECT COALESCE(currency, '') AS currency, count(*)::int AS rows, sum(amount)::text AS total FROM gone GROUP BY 1 ORDER BY 1`);
const HEADER = prepared(`INSERT INTO csv_headers (batch_row_id, source_file, names) VALUES ($1, $2, $3)`);

/** What the COPY saw: the rows, and each CSV file's header names (stored once per file, not on each row). */
interface Copied {
  parsed: number;
  headers: Map<string, readonly string[]>;
}

async function* copyChunks(input: LoadInput, copied: Copied): AsyncGenerator<Buffer> {
  const prefixes = new Map<string, string>();
  let parts: string[] = [];
  let size = 0;
  for await (const row of input.rows) {
    let prefix = prefixes.get(row.file);
    if (prefix === undefined) {
      prefixes.set(row.file, (prefix = copyPrefix(input.companyId, input.batchRowId, input.fileIdOf?.(row.file) ?? null)));
      const names = headerNames(row);
      if (names) copied.headers.set(row.file, names);
    }
    const line = copyLine(prefix, row);
    copied.parsed++;
    parts.push(line);
    size += line.length;
    if (size >= CHUNK_CHARS) {
      yield Buffer.from(parts.join(''));
      parts = [];
      size = 0;
    }
  }
  if (parts.length) yield Buffer.from(parts.join(''));
}

/** The batch's rows grouped by file, currency and account: every figure reconciliation needs, in one scan. */
export async function storedFigures(client: PoolClient, batchRowId: number | string): Promise<StoredFigures> {
  const { rows } = await client.query<StoredGroup>(
    prepared(`SELECT source_file AS file, COALESCE(currency, '') AS currency, COALESCE(account_code, '') AS account, count(*)::int AS rows, sum(amount)::text AS total
     FROM transactions WHERE batch_row_id = $1 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`),
    [batchRowId],
  );
  return { groups: rows };
}

/** A repeated row identity (e.g. an SAE journal key twice in one file), as the bad input it is. */
function identityError(err: unknown): LoadError | null {
  const e = err as { code?: string; constraint?: string; detail?: string };
  if (e.code !== '23505' || e.constraint !== 'transactions_row_identity') return null;
  const m = /=\(\d+, (.*), (jk|ln):(.*)\) already exists/.exec(e.detail ?? '');
  const file = m?.[1] ?? '(file)';
  return new LoadError(m ? `journal key ${JSON.stringify(m[3])} appears on more than one line` : 'a row identity repeats', file, null, m?.[2] === 'jk' ? 'journalKey' : 'rowKey');
}

async function replaceRows(client: PoolClient, input: LoadInput): Promise<LoadResult> {
  await client.query(LOCK, [String(input.batchRowId)]);
  // After the lock, in a statement of its own: its snapshot sees what a load that held the lock before committed.
  const before = await client.query<{ currency: string; rows: number; total: string }>(REMOVE_PREVIOUS, [input.batchRowId]);
  const copied: Copied = { parsed: 0, headers: new Map() };
  try {
    // Readable.from pulls the next row only when the COPY stream asks: backpressure reaches the source.
    await pipeline(Readable.from(copyChunks(input, copied), { objectMode: false }), client.query(copyFrom(`COPY transactions (${COLUMN_NAMES}) FROM STDIN`)));
  } catch (err) {
    throw identityError(err) ?? err;
  }
  for (const [file, names] of copied.headers) await client.query(HEADER, [input.batchRowId, file, names]);
  return {
    parsed: copied.parsed,
    stored: await storedFigures(client, input.batchRowId),
    previous: {
      rows: before.rows.reduce((n, r) => n + r.rows, 0),
      totals: Object.fromEntries(before.rows.map((r) => [r.currency, r.total])),
    },
  };
}

/**
 * Loads a batch's rows, replacing whatever an earlier load of it stored. Either every row is in, and whatever
 * `inSameTransaction` wrote is committed with them, or nothing changed: any error rolls it all back.
 */
export async function loadTransactions(
  ds: DataSource,
  input: LoadInput,
  inSameTransaction: (m: EntityManager, result: LoadResult) => Promise<void>,
): Promise<LoadResult> {
  return ds.transaction(async (m) => {
    const result = await replaceRows(await pgClientOf(m), input);
    await inSameTransaction(m, result);
    return result;
  });
}
