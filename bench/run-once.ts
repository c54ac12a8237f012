// `npm run bench:run-once`: one batch of BENCH_RUN_ONCE_LINES lines (default 200,000) of each kind
// (BENCH_RUN_ONCE_KINDS: SAE, customer CSV, QuickBooks bundle) taken end to end by `erp-sync run-once` (the real CLI
// as a child process: discover, close, fetch, parse, load, deliver to OpenSSH sshd on loopback), against the shell
// floor of the same bytes measured in the same run: `curl` of the file over loopback HTTP + `psql \copy` into text
// columns + OpenSSH `sftp put` to the same sshd on the cipher the sink negotiates. Prints the ratio and the
// daemon's peak RSS beside issue 18's goals.
// Uses DATABASE_URL when set, else an embedded PostgreSQL in a temp dir.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { startConcurSandbox } from '../sandboxes/concur/index.js';
import { SANDBOX_CSV_PROFILE, type BatchFileKind } from '../sandboxes/files/index.js';
import { startSshd, type SshdServer } from '../sandboxes/openssh/sshd.js';
import { BENCH_SPEC, generateBatchFile, psqlFloor } from './support/files.js';
import { goalLine } from './support/goal.js';
import { opensshSftpPut, sinkCipher } from './support/openssh.js';
import { adminQuery, createBenchDatabase, runOnce, startPostgres, type PgServer } from './support/world.js';

const LINES = Number(process.env.BENCH_RUN_ONCE_LINES ?? 200_000);
const KINDS = (process.env.BENCH_RUN_ONCE_KINDS ?? 'sae,csv,quickbooks-zip').split(',').filter(Boolean) as BatchFileKind[];
const PSQL = process.env.PSQL ?? '/usr/bin/psql';
const FILE_NAMES: Record<BatchFileKind, string> = { sae: 'extract.txt', csv: 'batch.csv', 'quickbooks-zip': 'batch.zip' };

const seconds = (t0: number) => (performance.now() - t0) / 1000;
const timed = (fn: () => void): number => {
  const t0 = performance.now();
  fn();
  return seconds(t0);
};

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The shell floor: the same bytes fetched by curl, copied by psql, put by OpenSSH's sftp; each step timed. */
async function shellFloor(kind: BatchFileKind, path: string, dbUrl: string, sshd: SshdServer, cipher: string, dir: string): Promise<{ curl: number; psql: number; sftp: number }> {
  const http = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': String(statSync(path).size) });
    void pipeline(createReadStream(path), res).catch(() => res.destroy());
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  const { port } = http.address() as { port: number };
  const fetched = join(dir, `fetched-${kind}`);
  try {
    // Asynchronously: the HTTP server in this process must answer while curl runs.
    const t0 = performance.now();
    await promisify(execFile)('curl', ['-sS', '--fail', '-o', fetched, `http://127.0.0.1:${port}/file`]);
    const curl = seconds(t0);
    const floor = psqlFloor(kind, fetched);
    await adminQuery(dbUrl, `CREATE TABLE bench_floor (${Array.from({ length: floor.columns }, (_, i) => `c${i + 1} text`).join(', ')})`);
    const psql = timed(() => execFileSync(PSQL, [dbUrl, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', floor.copy('bench_floor')], { stdio: ['ignore', 'ignore', 'inherit'] }));
    await adminQuery(dbUrl, `DROP TABLE bench_floor`);
    const sftp = timed(() => opensshSftpPut(sshd, cipher, fetched, `${sshd.dropDir}/floor-${kind}`));
    return { curl, psql, sftp };
  } finally {
    http.close();
    rmSync(fetched, { force: true });
  }
}

function writeConfig(dir: string, kind: BatchFileKind, sandbox: Awaited<ReturnType<typeof startConcurSandbox>>, dbUrl: string, sshd: SshdServer): string {
  const [c] = sandbox.companies;
  const config = {
    dataDir: join(dir, `data-${kind}`),
    database: { url: dbUrl, poolSize: 4 },
    http: { port: 0, host: '127.0.0.1' },
    log: { level: 'warn' },
    pipeline: { pollMs: 100, leaseMs: 120_000 },
    companies: [
      {
        id: c!.id,
        concur: {
          baseUrl: sandbox.url,
          auth: { kind: 'oauth', clientId: c!.clientId, clientSecret: c!.clientSecret, refreshToken: c!.refreshToken, geolocation: sandbox.url },
          discovery: { schedule: 'immediate' },
          close: { schedule: 'immediate', closeWatchTimeoutMs: 60_000, closeWatchIntervalMs: 1 },
        },
        csvProfiles: { 'concur-sandbox': SANDBOX_CSV_PROFILE },
        defaultCsvProfile: 'concur-sandbox',
        sinks: [
          { type: 'sftp', host: '127.0.0.1', port: sshd.port, username: sshd.username, privateKeyPath: sshd.privateKeyPath, knownHostsFile: sshd.knownHostsFile, remoteDir: join(sshd.dropDir, `erp-sync-${kind}`) },
        ],
      },
    ],
  };
  const path = join(dir, `erp-sync-${kind}.json`);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

async function measure(kind: BatchFileKind, server: PgServer, sshd: SshdServer, cipher: string, dir: string, goals: string[]): Promise<void> {
  const path = join(dir, FILE_NAMES[kind]);
  const generated = await generateBatchFile(kind, path, LINES);
  const label = `${kind} ${LINES / 1000}k`;
  console.log(`${label}: ${(generated.bytes / 1024 / 1024).toFixed(0)} MB`);
  const db = await createBenchDatabase(server);
  try {
    const floor = await shellFloor(kind, path, db.url, sshd, cipher, dir);
    const floorSeconds = floor.curl + floor.psql + floor.sftp;
    console.log(`  shell floor ${floorSeconds.toFixed(2)} s: curl ${floor.curl.toFixed(2)} s + psql \\copy ${floor.psql.toFixed(2)} s + sftp put ${floor.sftp.toFixed(2)} s`);
    const file = { path, fileName: FILE_NAMES[kind], contentType: generated.contentType, size: generated.bytes, sha256: await sha256Of(path), total: generated.total };
    const sandbox = await startConcurSandbox({
      companies: [{ id: 'bench', batches: [{ name: `Bench ${kind}`, kind, currency: BENCH_SPEC.currency, type: 'Employee', paymentMethod: 'Expense Pay by SAP Concur', reports: Math.ceil(LINES / 8), linesPerReport: 8, file }] }],
      latencyMs: 0,
      closeDelayMs: 0,
    });
    try {
      const run = await runOnce(writeConfig(dir, kind, sandbox, db.url, sshd));
      const [state] = await adminQuery<{ state: string; rows: number }>(db.url, `SELECT b.state, (SELECT count(*)::int FROM transactions t WHERE t.batch_row_id = b.id) AS rows FROM batches b`);
      console.log(`  erp-sync run-once: ${run.seconds.toFixed(2)} s (process start to exit), batch ${state?.state}, ${state?.rows} rows; CPU ${run.cpuSeconds.toFixed(1)} s; peak RSS ${run.peakRssMb.toFixed(0)} MB`);
      // Where the wall time went: each audit event's time from the first one.
      const events = await adminQuery<{ kind: string; at: number }>(db.url, `SELECT kind, extract(epoch FROM at - min(at) OVER ())::float8 AS at FROM batch_events ORDER BY id`);
      console.log(`  steps (s from the first event): ${events.map((e) => `${e.kind} ${e.at.toFixed(2)}`).join(', ')}`);
      if (run.code !== 0 || state?.state !== 'done') {
        console.log(`  run-once failed (exit ${run.code}): ${run.output.trim().split('\n').slice(-3).join('\n    ')}`);
        process.exitCode = 1;
      }
      goals.push(goalLine(`run-once ${label} / shell floor (curl + psql \\copy + sftp put)`, run.seconds / floorSeconds, { max: 1.5 }));
      goals.push(goalLine(`peak RSS of run-once, ${label}`, run.peakRssMb, { max: 200 }, ' MB', 0));
    } finally {
      await sandbox.close();
    }
  } finally {
    await db.drop();
    rmSync(path, { force: true });
    for (const name of readdirSync(sshd.dropDir)) if (name !== 'locked') rmSync(join(sshd.dropDir, name), { recursive: true, force: true });
  }
}

const dir = await mkdtemp(join(tmpdir(), 'erp-sync-bench-run-once-'));
const server = await startPostgres(dir);
const sshd = await startSshd();
try {
  const cipher = await sinkCipher(sshd);
  console.log(`sftp put on ${cipher}, the cipher the sink negotiates`);
  const goals: string[] = [];
  for (const kind of KINDS) await measure(kind, server, sshd, cipher, dir, goals);
  console.log(goals.join('\n'));
} finally {
  await sshd.stop();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
