// `npm run bench:load`: parse + load of one batch file by erp-sync (the load step's path: openBatchFile, COPY into
// transactions with each row's file reference, the state change in the same transaction) against the floor measured in the same run on the same
// server: `psql \copy` of the same bytes into a table of text columns. Three kinds (BENCH_LOAD_KINDS): an SAE
// (400 columns), the customer CSV (12 columns) and a QuickBooks bundle (its loaded GL CSV, 11 columns, read by psql
// through `unzip -p`), each of BENCH_LOAD_LINES lines (default 200,000); then an SAE of BENCH_LOAD_BIG_LINES lines
// (default 1,000,000; 0 skips) for the peak RSS at size. Prints the ratios and peak RSS next to issue 18's goals.
// Uses DATABASE_URL when set, else an embedded PostgreSQL in a temp dir. Generation and each load run in child
// processes of their own (this file compiled, run by plain node as production runs), so the peak RSS reported is
// the load's alone.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { createLogger } from '../src/log.js';
import { loadTransactions } from '../src/store/load.js';
import type { Transaction } from '../src/model/transaction.js';
import { loadedParts, openBatchFile } from '../parsers/index.js';
import { SANDBOX_CSV_PROFILE, type BatchFileKind } from '../sandboxes/files/index.js';
import { BENCH_SPEC, generateBatchFile, psqlFloor } from './support/files.js';
import { compiledEntry } from './support/compiled.js';
import { goalLine } from './support/goal.js';
import { createBenchDatabase, startPostgres } from './support/world.js';

if (process.argv[2] === '--generate') {
  const result = await generateBatchFile(process.argv[3] as BatchFileKind, process.argv[4] ?? '', Number(process.argv[5]));
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}

if (process.argv[2] === '--load') {
  const [url, path, batchRowId, fileSha256, fileId] = process.argv.slice(3) as [string, string, string, string, string];
  const ds = await openDatabase({ url, poolSize: 1 });
  const t0 = performance.now();
  const parts = await openBatchFile(path, { sha256: fileSha256, csvProfile: SANDBOX_CSV_PROFILE, defaultCurrency: 'EUR' });
  const load = loadedParts(parts);
  async function* rows(): AsyncGenerator<Transaction> {
    for (const part of parts) if (load(part)) yield* part.rows();
  }
  // As the load step does, every row refers to its file's row (the bench records the file, not a ZIP's entries).
  const result = await loadTransactions(ds, { companyId: 'bench', batchRowId, fileIdOf: () => fileId, rows: rows() }, async (m) => {
    await m.query(`UPDATE batches SET state = 'loaded', loaded_at = now() WHERE id = $1`, [batchRowId]);
  });
  const elapsed = (performance.now() - t0) / 1000;
  await ds.destroy();
  process.stdout.write(JSON.stringify({ parsed: result.parsed, seconds: elapsed, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

const PSQL = process.env.PSQL ?? '/usr/bin/psql';
const logger = createLogger({ level: 'warn' });

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}`))));
  });
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;

const dir = await mkdtemp(join(tmpdir(), 'erp-sync-bench-load-'));
const server = await startPostgres(dir);
const db = await createBenchDatabase(server);
const url = db.url;
const ds = await openDatabase({ url, poolSize: 2 });
const LINES = Number(process.env.BENCH_LOAD_LINES ?? 200_000);
const BIG_LINES = Number(process.env.BENCH_LOAD_BIG_LINES ?? 1_000_000);
const KINDS = (process.env.BENCH_LOAD_KINDS ?? 'sae,csv,quickbooks-zip').split(',').filter(Boolean) as BatchFileKind[];

let table = 0;
let batch = 0;
const goals: string[] = [];

/** Generates one file, loads it by psql (the floor) and by erp-sync; prints both and the goals. */
async function measure(kind: BatchFileKind, lines: number, withFloor: boolean): Promise<void> {
  const path = join(dir, `bench-${kind}-${lines}`);
  const tg = performance.now();
  const generated = JSON.parse(
    execFileSync(process.execPath, [await compiledEntry('bench/load.ts'), '--generate', kind, path, String(lines)], { encoding: 'utf8' }),
  ) as { bytes: number };
  const label = `${kind} ${lines / 1000}k`;
  console.log(`${label}: generated ${(generated.bytes / 1024 / 1024).toFixed(0)} MB in ${seconds(tg).toFixed(1)} s (child process)`);
  let psqlSeconds = NaN;
  if (withFloor) {
    const floor = psqlFloor(kind, path);
    const name = `bench_raw_${++table}`;
    await ds.query(`CREATE TABLE ${name} (${Array.from({ length: floor.columns }, (_, i) => `c${i + 1} text`).join(', ')})`);
    const tb = performance.now();
    await run(PSQL, [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', floor.copy(name)]);
    psqlSeconds = seconds(tb);
    const [{ n }] = (await ds.query(`SELECT count(*)::int AS n FROM ${name}`)) as [{ n: number }];
    await ds.query(`DROP TABLE ${name}`);
    console.log(`  psql \\copy into ${floor.columns} text columns: ${psqlSeconds.toFixed(2)} s, ${n} rows`);
  }
  const [{ id: batchRowId }] = (await ds.query(`INSERT INTO batches (company_id, concur_batch_id, state) VALUES ('bench', $1, 'fetched') RETURNING id`, [
    `${BENCH_SPEC.batchId}-${++batch}`,
  ])) as [{ id: string }];
  // The pipeline hashes a file when it fetches it and records it: the load starts from a known sha256 and files row.
  const sha256 = await sha256Of(path);
  const [{ id: fileId }] = (await ds.query(`INSERT INTO files (batch_row_id, name, kind, sha256, size_bytes) VALUES ($1, $2, $3, $4, $5) RETURNING id`, [
    batchRowId,
    basename(path),
    kind === 'quickbooks-zip' ? 'zip' : kind,
    sha256,
    generated.bytes,
  ])) as [{ id: string }];
  const result = JSON.parse(
    execFileSync(process.execPath, [await compiledEntry('bench/load.ts'), '--load', url, path, batchRowId, sha256, fileId], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  ) as { parsed: number; seconds: number; maxRssMb: number };
  console.log(`  erp-sync parse + load: ${result.seconds.toFixed(2)} s, ${result.parsed} rows, ${Math.round(result.parsed / result.seconds)} rows/s`);
  if (withFloor) goals.push(goalLine(`load ${label} / psql \\copy`, result.seconds / psqlSeconds, { max: 1.5 }));
  goals.push(goalLine(`peak RSS of the load, ${label}`, result.maxRssMb, { max: 200 }, ' MB', 0));
  if (result.parsed < lines) {
    console.log(`  ${label}: ${result.parsed} rows loaded of ${lines}`);
    process.exitCode = 1;
  }
  await ds.query(`DELETE FROM transactions WHERE batch_row_id = $1`, [batchRowId]);
  await rm(path, { force: true });
}

try {
  await migrate(ds, url, logger);
  await ds.query(`INSERT INTO companies (id, name) VALUES ('bench', 'Bench')`);
  for (const kind of KINDS) await measure(kind, LINES, true);
  if (BIG_LINES > 0) await measure('sae', BIG_LINES, false);
  console.log(goals.join('\n'));
} finally {
  await ds.destroy();
  await db.drop();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
