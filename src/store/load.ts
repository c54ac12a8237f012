// Exactly-once bulk load: COPY into a temporary staging table, merge on the natural key, and let the
// caller record the batch's state change in the same database transaction.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DataSource } from 'typeorm';
import type { Transaction } from '../model/transaction.js';
import { copyLine, STAGE_COLUMNS } from './copy-text.js';
import { withTransaction } from './pg-client.js';

export interface LoadInput {
  companyId: string;
  batchId: number | string;
  fileId?: number | string | null;
  rows: AsyncIterable<Transaction>;
}

export interface LoadResult {
  /** Rows the source yielded. */
  parsed: number;
  /** Rows new to the transactions table. */
  inserted: number;
  /** Rows already there (an earlier load, a regenerated file) or repeated within this file. */
  duplicates: number;
}

// Lines are sent in chunks of about this size: large enough to keep per-message overhead low, small
// enough that the stream's buffering (and so memory) stays flat whatever the row count.
const CHUNK_CHARS = 256 * 1024;
const STAGE = 'erp_sync_stage';
const COLUMN_NAMES = STAGE_COLUMNS.map(([name]) => name).join(', ');

async function* copyChunks(rows: AsyncIterable<Transaction>, count: { parsed: number }): AsyncGenerator<Buffer> {
  let parts: string[] = [];
  let size = 0;
  for await (const row of rows) {
    const line = copyLine(row);
    count.parsed++;
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

async function stageAndMerge(client: PoolClient, input: LoadInput): Promise<LoadResult> {
  const columns = STAGE_COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ');
  // Temporary and ON COMMIT DROP: never WAL-logged, never visible to others, gone with the transaction.
  await client.query(`CREATE TEMP TABLE ${STAGE} (${columns}) ON COMMIT DROP`);
  const count = { parsed: 0 };
  // Readable.from pulls the next row only when the COPY stream asks: backpressure reaches the source.
  await pipeline(Readable.from(copyChunks(input.rows, count), { objectMode: false }), client.query(copyFrom(`COPY ${STAGE} (${COLUMN_NAMES}) FROM STDIN`)));
  const merged = await client.query(
    `INSERT INTO transactions (company_id, batch_id, file_id, ${COLUMN_NAMES})
     SELECT $1, $2, $3, ${COLUMN_NAMES} FROM ${STAGE}
     ON CONFLICT (company_id, batch_id, natural_key) DO NOTHING`,
    [input.companyId, input.batchId, input.fileId ?? null],
  );
  const inserted = merged.rowCount ?? 0;
  return { parsed: count.parsed, inserted, duplicates: count.parsed - inserted };
}

/**
 * Loads a file's rows for one batch. Either every row is in (or was already), and whatever
 * `inSameTransaction` wrote is committed with them, or nothing is: any error rolls it all back.
 */
export async function loadTransactions(
  ds: DataSource,
  input: LoadInput,
  inSameTransaction: (client: PoolClient, result: LoadResult) => Promise<void>,
): Promise<LoadResult> {
  return withTransaction(ds, async (client) => {
    const result = await stageAndMerge(client, input);
    await inSameTransaction(client, result);
    return result;
  });
}
