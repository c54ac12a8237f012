// SQL for reading back a batch's stored files (the fetch step records them through file-store.ts).
import type { Queryable } from '../db/sql.js';
import { prepared } from '../db/prepared.js';

export interface StoredBatchFile {
  id: string;
  parentFileId: string | null;
  name: string;
  kind: string;
  sha256: string;
  size: number;
  storagePath: string;
}

/** The batch's newest original file and the entries extracted from it. */
export async function latestFiles(db: Queryable, batchRowId: string): Promise<{ original: StoredBatchFile; entries: StoredBatchFile[] } | null> {
  const rows: StoredBatchFile[] = await db.query(
    prepared(`WITH original AS (SELECT id FROM files WHERE batch_row_id = $1 AND parent_file_id IS NULL ORDER BY id DESC LIMIT 1)
     SELECT id::text, parent_file_id::text AS "parentFileId", name, kind, sha256, size_bytes::float8 AS size, storage_path AS "storagePath"
     FROM files WHERE id = (SELECT id FROM original) OR parent_file_id = (SELECT id FROM original) ORDER BY id`),
    [batchRowId],
  );
  const original = rows.find((r) => r.parentFileId === null);
  return original ? { original, entries: rows.filter((r) => r.parentFileId !== null) } : null;
}
