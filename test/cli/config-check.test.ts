// A newcomer's first hour with the command line, without a database: `config check` and bin/erp-sync.js, run as
// people run them (child processes). Split from first-hour.test.ts so the two files run in parallel.
import { cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO, spawnCli } from '../support/cli.js';
import { generateEd25519 } from '../../sandboxes/sftp-drop/keygen.js';
import { tempFiles } from './files.js';

const { dir, file } = tempFiles('config-check');

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
