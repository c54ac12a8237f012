// A newcomer's first hour with the command line, run as people run it: child processes, real PostgreSQL.
import { createServer, type Server } from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { REPO, spawnCli, waitForOutput } from '../support/cli.js';
import { createDatabase } from '../support/db.js';
import { renderBatchFile } from '../../sandboxes/files/index.js';
import { isAlive, startEmbeddedPostgres } from '../../src/db/embedded.js';
import { tempFiles } from './files.js';

const { dir, file } = tempFiles('first-hour');
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function tables(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`)).rows[0].n;
  } finally {
    await c.end();
  }
}


describe('the command line, as a newcomer meets it', () => {
  it('--version prints the version of package.json', async () => {
    const r = await spawnCli(['--version']).done;
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version);
  });

  it('start with its HTTP port taken exits 2 naming the port and the setting, and leaves nothing running', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '0.0.0.0', () => r()));
    cleanups.push(() => new Promise((r) => blocker.close(r)));
    const port = (blocker.address() as { port: number }).port;
    const dataDir = join(dir, 'taken');
    const config = file('taken.yaml', `database: { embeddedPort: 0 }\ncompanies: [{ id: demo }]\n`);
    const r = await spawnCli(['--config', config, 'start'], { HTTP_PORT: String(port), ERP_SYNC_DATA_DIR: dataDir }).done;
    expect(r.code, r.output.slice(-3000)).toBe(2);
    expect(r.stderr).toContain(`:${port}`);
    expect(r.stderr).toMatch(/in use.*http\.port.*HTTP_PORT/);
    expect(r.output).not.toMatch(/\n\s+at /); // no stack trace
    // The embedded PostgreSQL it started is stopped: no server left behind in its data directory.
    const pidFile = join(dataDir, 'pg', 'postmaster.pid');
    expect(existsSync(pidFile) && isAlive(Number(readFileSync(pidFile, 'utf8').split('\n')[0]))).toBe(false);

    // A command beside a running server joins it without announcing a start.
    const server = await startEmbeddedPostgres({ dataDir: join(dataDir, 'pg') });
    cleanups.push(() => server.stop());
    const joined = await spawnCli(['--config', config, 'migrate'], { ERP_SYNC_DATA_DIR: dataDir }).done;
    expect(joined.code, joined.output.slice(-2000)).toBe(0);
    expect(joined.output).not.toContain('embedded PostgreSQL started');
  });

  it('Ctrl-C (SIGINT) stops `node bin/erp-sync.js start` cleanly with exit 0', async () => {
    const db = await createDatabase();
    cleanups.push(() => db.drop());
    const daemon = spawnCli(['--config', file('sigint.yaml', 'companies: [{ id: demo }]\n'), 'start'], { DATABASE_URL: db.url, HTTP_PORT: '0', ERP_SYNC_DATA_DIR: join(dir, 'sigint') }, { entry: join(REPO, 'bin', 'erp-sync.js') });
    await waitForOutput(daemon.read, /"message":"erp-sync ready"/, daemon.done);
    daemon.kill('SIGINT');
    const r = await daemon.done;
    expect(r.code, r.output.slice(-2000)).toBe(0);
    expect(r.output).toMatch(/"signal":"SIGINT"[\s\S]*"message":"stopped"/);
  });

  it('status and report never migrate: on an unmigrated database they say so and exit 2', async () => {
    const db = await createDatabase();
    cleanups.push(() => db.drop());
    const config = file('plain.yaml', 'companies: [{ id: demo }]\n');
    for (const args of [['status'], ['report', 'batches']]) {
      const r = await spawnCli(['--config', config, ...args], { DATABASE_URL: db.url }).done;
      expect(r.code, r.output).toBe(2);
      expect(r.stderr).toMatch(/lacks \d+ of \d+ migrations.*run erp-sync migrate/);
    }
    expect(await tables(db.url)).toBe(0);
    expect((await spawnCli(['--config', config, 'migrate'], { DATABASE_URL: db.url }).done).code).toBe(0);
    const status = await spawnCli(['--config', config, 'status', '--json'], { DATABASE_URL: db.url }).done;
    expect(status.code, status.output).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual([]);
  });

  it('a database that does not exist is named, with how to create it (exit 2, no stack trace)', async () => {
    const url = new URL(inject('databaseUrl'));
    url.pathname = '/erp_sync_no_such_db';
    const r = await spawnCli(['--config', file('plain.yaml', 'companies: [{ id: demo }]\n'), 'migrate'], { DATABASE_URL: url.toString() }).done;
    expect(r.code, r.output).toBe(2);
    expect(r.stderr).toMatch(/database "erp_sync_no_such_db" does not exist on .*CREATE DATABASE "erp_sync_no_such_db"/);
    expect(r.output).not.toMatch(/\n\s+at /);
  });

  it('parse --json | head -1 ends quietly', async () => {
    const f = renderBatchFile('sae', { batchId: '7', batchName: 'Pipe', closeDate: '2026-11-30', seed: 9, reports: 40, linesPerReport: 50 });
    const path = file(f.fileName, '');
    writeFileSync(path, f.bytes);
    const child = spawn('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" --import tsx src/cli.ts parse --json "${path}" | head -1`], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(out)).toHaveProperty('amount');
  });

  it('a file with just a company on the sandbox runs the demo with run-once (sandbox schedules and CSV profile)', async () => {
    const db = await createDatabase();
    cleanups.push(() => db.drop());
    const config = file('demo.yaml', 'companies: [{ id: demo }]\n');
    const r = await spawnCli(['--config', config, 'run-once'], { DATABASE_URL: db.url, ERP_SYNC_DATA_DIR: join(dir, 'demo') }).done;
    expect(r.code, r.output.slice(-3000)).toBe(0);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const states = (await c.query(`SELECT state FROM batches ORDER BY state`)).rows.map((x) => x.state);
    await c.end();
    expect(states.filter((s) => s === 'done')).toHaveLength(4);
    // The sandbox's CSV profile can be named in a file.
    const named = file('named.yaml', 'companies: [{ id: demo, defaultCsvProfile: concur-sandbox }]\n');
    expect((await spawnCli(['--config', named, 'config', 'check']).done).code).toBe(0);
  });
});
