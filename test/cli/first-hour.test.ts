// A newcomer's first hour with the command line, run as people run it: child processes, real PostgreSQL.
import { createServer, type Server } from 'node:net';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { REPO, spawnCli, waitForOutput } from '../support/cli.js';
import { createDatabase } from '../support/db.js';
import { renderBatchFile } from '../../sandboxes/files/index.js';
import { isAlive, startEmbeddedPostgres } from '../../src/db/embedded.js';
import { generateEd25519 } from '../../sandboxes/sftp-drop/keygen.js';

const dir = mkdtempSync(join(tmpdir(), 'erp-sync-first-hour-'));
chmodSync(dir, 0o755); // run as root, the embedded PostgreSQL runs as postgres and must reach its data directory
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
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

describe('erp-sync config check', () => {
  const keys = generateEd25519();
  const key = file('id_ed25519', keys.private);
  const knownHosts = file('known_hosts', `sftp.example.com ${keys.public}\n`);
  const sftp = (extra: string) =>
    `companies:\n  - id: acme\n    sinks:\n      - { type: sftp, host: sftp.example.com, username: erp, password: "hunter2-secret", ${extra} }\n`;

  it('prints the effective configuration with secrets masked, without database or network', async () => {
    const config = file('check.yaml', sftp(`knownHostsFile: ${knownHosts}`) + 'database: { url: "postgres://erp:db-pass-123@127.0.0.1:1/nowhere" }\n');
    const r = await spawnCli(['--config', config, 'config', 'check']).done;
    expect(r.code, r.output).toBe(0);
    expect(r.output).not.toContain('hunter2-secret');
    const effective = parseYaml(r.stdout);
    expect(effective.companies[0].sinks[0]).toMatchObject({ password: '***', knownHostsFile: knownHosts, port: 22 });
    expect(effective.http.port).toBe(8080);
  });

  it('names every missing or unusable file (exit 2)', async () => {
    const config = file('broken.yaml', sftp(`privateKeyPath: ${file('not-a-key', 'hello')}, knownHostsFile: ${join(dir, 'missing_known_hosts')}`).replace('password: "hunter2-secret", ', ''));
    const r = await spawnCli(['--config', config, 'config', 'check']).done;
    expect(r.code, r.output).toBe(2);
    expect(r.stderr).toMatch(/companies\[0\]\.sinks\[0\]\.privateKeyPath: .*not-a-key is not a usable private key/);
    expect(r.stderr).toMatch(/companies\[0\]\.sinks\[0\]\.knownHostsFile: cannot read .*missing_known_hosts: ENOENT/);
    expect((await spawnCli(['--config', file('ok-key.yaml', sftp(`privateKeyPath: ${key}, knownHostsFile: ${knownHosts}`).replace('password: "hunter2-secret", ', '')), 'config', 'check']).done).code).toBe(0);
  });

  it('rejects a bad cron expression or time zone naming the key (exit 2)', async () => {
    const config = file('cron.yaml', 'companies: [{ id: acme, timezone: Mars/Olympus, concur: { close: { schedule: "every day" } } }]\n');
    const r = await spawnCli(['--config', config, 'config', 'check']).done;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/companies\[0\]\.timezone/);
    expect(r.stderr).toMatch(/companies\[0\]\.concur\.close\.schedule/);
  });

  it('applies the precedence flags > environment > file > defaults', async () => {
    const effective = async (args: string[], env: Record<string, string>) => {
      const r = await spawnCli([...args, 'config', 'check'], env).done;
      expect(r.code, r.output).toBe(0);
      return parseYaml(r.stdout) as { http: { port: number }; log: { level: string } };
    };
    const plain = file('p0.yaml', 'companies: [{ id: acme }]\n');
    const withPort = file('p1.yaml', 'http: { port: 9001 }\nlog: { level: warn }\ncompanies: [{ id: acme }]\n');
    expect((await effective(['--config', plain], {})).http.port).toBe(8080);
    expect((await effective(['--config', withPort], {})).http.port).toBe(9001);
    expect((await effective(['--config', withPort], { HTTP_PORT: '9002' })).http.port).toBe(9002);
    const flagged = await effective(['--config', withPort, '--http-port', '9003', '--log-level', 'debug'], { HTTP_PORT: '9002', LOG_LEVEL: 'error' });
    expect(flagged).toMatchObject({ http: { port: 9003 }, log: { level: 'debug' } });
  });

  it('configures a single company from the environment alone, schedules and time zone included', async () => {
    const r = await spawnCli(['config', 'check'], {
      CONCUR_BASE_URL: 'https://us.api.concursolutions.com',
      CONCUR_CLOSE_SCHEDULE: '0 7 * * 1-5',
      CONCUR_DISCOVERY_SCHEDULE: '*/5 * * * *',
      ERP_SYNC_TIMEZONE: 'Europe/Zurich',
      ERP_SYNC_COMPANY: 'acme',
    }).done;
    expect(r.code, r.output).toBe(0);
    expect(parseYaml(r.stdout).companies[0]).toMatchObject({
      id: 'acme',
      timezone: 'Europe/Zurich',
      concur: { baseUrl: 'https://us.api.concursolutions.com', close: { schedule: '0 7 * * 1-5' }, discovery: { schedule: '*/5 * * * *' } },
    });
  });
});

describe('bin/erp-sync.js', () => {
  /** A checkout-like tree: the repository's code (linked) beside a dist/ whose CLI only says "stale". */
  function tree(withSources: boolean): string {
    const root = mkdtempSync(join(tmpdir(), 'erp-sync-bin-'));
    cpSync(join(REPO, 'bin'), join(root, 'bin'), { recursive: true });
    for (const name of ['node_modules', 'package.json', 'parsers', 'sinks', 'migrations', ...(withSources ? ['src'] : [])]) symlinkSync(join(REPO, name), join(root, name));
    mkdirSync(join(root, 'dist', 'src'), { recursive: true });
    writeFileSync(join(root, 'dist', 'src', 'cli.js'), "process.stdout.write('stale dist\\n');\n");
    return root;
  }

  it('runs the sources a checkout holds, not a stale dist/', async () => {
    const r = await spawnCli(['--version'], {}, { entry: join(tree(true), 'bin', 'erp-sync.js') }).done;
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).not.toContain('stale dist');
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('runs dist/ where there are no sources (an installed package, the image)', async () => {
    const r = await spawnCli(['--version'], {}, { entry: join(tree(false), 'bin', 'erp-sync.js') }).done;
    expect(r.stdout).toBe('stale dist\n');
  });
});
