// Batch files for the benchmarks, written to disk: an SAE streamed in constant memory, the customer CSV and the
// QuickBooks bundle rendered as the sandbox serves them. Each kind's floor is `psql \copy` of the same bytes.
import { writeFile } from 'node:fs/promises';
import { SAE_DETAIL_COLUMNS } from '../../parsers/sae.js';
import { renderBatchFile, writeSaeFile, type BatchFileKind } from '../../sandboxes/files/index.js';

export const BENCH_SPEC = { batchId: '2001', batchName: 'load bench', closeDate: '2025-06-30', seed: 7, reports: 0, linesPerReport: 8, currency: 'EUR' };

/** Writes a batch file of `lines` transaction lines of `kind` (currency EUR); its total and content type. */
export async function generateBatchFile(kind: BatchFileKind, path: string, lines: number): Promise<{ bytes: number; total: string; contentType: string }> {
  if (kind === 'sae') return { ...(await writeSaeFile(path, { ...BENCH_SPEC, detailLines: lines })), contentType: 'text/plain' };
  const file = renderBatchFile(kind, { ...BENCH_SPEC, reports: Math.ceil(lines / BENCH_SPEC.linesPerReport) });
  await writeFile(path, file.bytes);
  return { bytes: file.bytes.length, total: file.totals[BENCH_SPEC.currency] ?? '0', contentType: file.contentType };
}

/** The floor's table width and `\copy` command for each kind: the same bytes into text columns. */
export function psqlFloor(kind: BatchFileKind, path: string): { columns: number; copy: (table: string) => string } {
  if (kind === 'sae') return { columns: SAE_DETAIL_COLUMNS, copy: (t) => `\\copy ${t} FROM '${path}' WITH (FORMAT text, DELIMITER '|', HEADER true)` };
  if (kind === 'csv') return { columns: 12, copy: (t) => `\\copy ${t} FROM '${path}' WITH (FORMAT csv, DELIMITER ';', HEADER true)` };
  // The bundle's GL CSV is the part erp-sync loads (its IIF is kept and delivered).
  return { columns: 11, copy: (t) => `\\copy ${t} FROM PROGRAM 'unzip -p ${path} *_GL.csv' WITH (FORMAT csv, HEADER true)` };
}
