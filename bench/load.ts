// `npm run bench:load`: an SAE of BENCH_LOAD_LINES DETAIL lines (default 200,000) loaded by erp-sync
// (parse + COPY + merge, one transaction) against the floor measured in the same run on the same
// server: `psql \copy` of the same raw file into a 400-column text table. Prints both times, the
// ratio, rows/s and peak RSS. Uses DATABASE_URL when set, else an embedded PostgreSQL in a temp dir.
// Generation and the load each run in a child process, so the peak RSS reported is the load's alone.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../src/db/database.js';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { createLogger } from '../src/log.js';
import { loadTransactions } from '../src/store/load.js';
import { SAE_DETAIL_COLUMNS, parseSae } from '../parsers/sae.js';
import { newTally } from '../parsers/tally.js';
import { writeSaeFile } from '../src/sandbox/files/index.js';
import { adminQuery, withDatabase } from '../test/support/template-db.js';

const spec = { batchId: '2001', batchName: 'load bench', closeDate: '2025-06-30', seed: 7, reports: 0, linesPerReport: 8 };

if (process.argv[2] === '--generate') {
  const result = await writeSaeFile(process.argv[3] ?? '', { ...spec, detailLines: Number(process.argv[4]) });
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}

if (process.argv[2] === '--load') {
  const [url, path, batchId, fileSha256] = process.argv.slice(3) as [string, string, string, string];
  const ds = await openDatabase({ url, poolSize: 1 });
  const t0 = performance.now();
  const rows = parseSae(createReadStream(path), { file: 'bench.sae', fileSha256 }, newTally());
  const result = await loadTransactions(ds, { companyId: 'bench', batchId, rows }, async (client) => {
    await client.query(`UPDATE batches SET state = 'loaded', loaded_at = now() WHERE id = $1`, [batchId]);
  });
  const elapsed = (performance.now() - t0) / 1000;
  await ds.destroy();
  process.stdout.write(JSON.stringify({ ...result, seconds: elapsed, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

const DETAIL_LINES = Number(process.env.BENCH_LOAD_LINES ?? 200_000);
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
const server = process.env.DATABASE_URL
  ? { url: process.env.DATABASE_URL, stop: async () => undefined }
  : await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), persistent: false });
const dbName = `erp_sync_bench_${randomBytes(4).toString('hex')}`;
await adminQuery(server.url, `CREATE DATABASE ${dbName}`);
const url = withDatabase(server.url, dbName);
const ds = await openDatabase({ url, poolSize: 2 });
try {
  await migrate(ds, url, logger);
  const path = join(dir, 'bench.sae');
  const tg = performance.now();
  const generated = JSON.parse(
    execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--generate', path, String(DETAIL_LINES)], { encoding: 'utf8' }),
  ) as { bytes: number; total: string };
  const mb = generated.bytes / 1024 / 1024;
  console.log(`generated ${DETAIL_LINES} DETAIL lines, ${mb.toFixed(0)} MB, in ${seconds(tg).toFixed(1)} s (child process)`);

  // (b) the floor: the raw bytes into 400 text columns by psql's \copy.
  const columns = Array.from({ length: SAE_DETAIL_COLUMNS }, (_, i) => `c${i + 1} text`).join(', ');
  await ds.query(`CREATE TABLE bench_sae_raw (${columns})`);
  const tb = performance.now();
  await run(PSQL, [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy bench_sae_raw FROM '${path}' WITH (FORMAT text, DELIMITER '|', HEADER true)`]);
  const psqlSeconds = seconds(tb);
  const [{ n: psqlRows }] = (await ds.query(`SELECT count(*)::int AS n FROM bench_sae_raw`)) as [{ n: number }];

  // (a) erp-sync: parse and load the same file, with the batch's state change in the same transaction.
  await ds.query(`INSERT INTO companies (id, name) VALUES ('bench', 'Bench')`);
  const [{ id: batchId }] = (await ds.query(`INSERT INTO batches (company_id, external_id, state) VALUES ('bench', $1, 'fetched') RETURNING id`, [
    spec.batchId,
  ])) as [{ id: string }];
  // The pipeline hashes a file when it fetches it; the load starts from a known sha256. The load runs
  // in a child process of its own, so its peak RSS is the load's alone.
  const fileSha256 = await sha256Of(path);
  const result = JSON.parse(
    execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--load', url, path, batchId, fileSha256], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  ) as { parsed: number; inserted: number; duplicates: number; seconds: number; maxRssMb: number };
  const erpSeconds = result.seconds;
  const ratio = erpSeconds / psqlSeconds;
  console.log(`psql \\copy into ${SAE_DETAIL_COLUMNS} text columns: ${psqlSeconds.toFixed(2)} s, ${psqlRows} rows, ${Math.round(psqlRows / psqlSeconds)} rows/s`);
  console.log(
    `erp-sync parse + load:          ${erpSeconds.toFixed(2)} s, ${result.parsed} rows (${result.inserted} inserted, ${result.duplicates} duplicate keys in the file), ${Math.round(result.parsed / erpSeconds)} rows/s`,
  );
  console.log(`ratio erp-sync / psql: ${ratio.toFixed(2)}x (target <= 2x): ${ratio <= 2 ? 'ok' : 'OVER'}`);
  console.log(`peak RSS of the loading process ${result.maxRssMb.toFixed(0)} MB (target < 200 MB): ${result.maxRssMb < 200 ? 'ok' : 'OVER'}`);
  if (result.parsed !== DETAIL_LINES || psqlRows !== DETAIL_LINES) {
    console.log('row counts differ from the generated file');
    process.exitCode = 1;
  }
} finally {
  await ds.destroy();
  await adminQuery(server.url, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
