import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_PARSE_LIMITS, DEFAULT_ZIP_LIMITS } from '../../parsers/index.js';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config-error.js';

const dir = mkdtempSync(join(tmpdir(), 'erp-sync-config-'));
function yamlFile(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('configuration', () => {
  it('reads a YAML file with defaults filled in', () => {
    const file = yamlFile('ok.yaml', 'companies:\n  - id: acme\n    timezone: Europe/Zurich\n');
    const { config, defaults } = loadConfig({ file, env: {} });
    expect(config.dataDir).toBe('./var');
    expect(config.companies[0]).toMatchObject({ id: 'acme', timezone: 'Europe/Zurich', concur: { authHeader: 'Bearer' } });
    expect(config.companies[0]!.concur.close.adoptClosedBatches).toBe(true);
    expect(defaults).toEqual([
      'no DATABASE_URL: embedded PostgreSQL under ./var/pg',
      'company acme: no Concur base URL: the built-in Concur sandbox',
      'company acme: no sinks: the local SFTP drop under ./var/sftp-drop',
    ]);
  });

  it('names the key path of an unknown key and of a wrong type', () => {
    const file = yamlFile('bad.yaml', 'companies:\n  - id: acme\n    colour: blue\nhttp:\n  port: "eighty"\n');
    let error: unknown;
    try {
      loadConfig({ file, env: {} });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(file);
    expect(message).toMatch(/companies\[0\].*colour/);
    expect(message).toMatch(/http\.port: .*number/);
  });

  it('names each repeated company id and sink name, not their first use', () => {
    const sink = (name: string) => `      - { name: ${name}, type: sftp, host: drop, username: u, password: p, insecureSkipHostKeyCheck: true }\n`;
    const company = (id: string) => `  - id: ${id}\n    timezone: UTC\n    sinks:\n${sink('a')}${sink('b')}${sink('a')}`;
    const file = yamlFile('repeats.yaml', `companies:\n${company('acme')}${company('beta')}${company('acme')}`);
    let message = '';
    try {
      loadConfig({ file, env: {} });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.match(/company id "acme" appears twice/g)).toHaveLength(1);
    expect(message).toContain('companies[2].id: company id "acme"');
    expect(message.match(/sink name "a" appears twice/g)).toHaveLength(3);
    expect(message).toContain('companies[1].sinks[2].name: sink name "a"');
    expect(message).not.toMatch(/companies\[0\]\.id|sinks\[0\]\.name/);
  });

  it('interpolates ${VAR} from the environment and from VAR_FILE', () => {
    const secret = yamlFile('secret.txt', 's3cr3t-from-file\n');
    const file = yamlFile(
      'interp.yaml',
      'companies:\n  - id: acme\n    concur:\n      baseUrl: ${BASE}\n      auth: {kind: oauth, clientId: cid, clientSecret: "${SECRET}", refreshToken: "${file:' + secret + '}"}\n',
    );
    const { config } = loadConfig({ file, env: { BASE: 'https://us.api.concursolutions.com', SECRET_FILE: secret } });
    expect(config.companies[0]!.concur.baseUrl).toBe('https://us.api.concursolutions.com');
    expect(config.companies[0]!.concur.auth).toMatchObject({ clientSecret: 's3cr3t-from-file', refreshToken: 's3cr3t-from-file' });
  });

  it('fails naming the variable when an interpolated one is missing', () => {
    const file = yamlFile('missing.yaml', 'companies:\n  - id: acme\n    concur:\n      baseUrl: ${NOPE}\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(/companies\[0\]\.concur\.baseUrl: \$\{NOPE\} is not set/);
  });

  it('configures a single company from the environment alone', () => {
    const { config, source, defaults } = loadConfig({
      env: {
        DATABASE_URL: 'postgres://u@db:5432/erp',
        CONCUR_BASE_URL: 'https://us.api.concursolutions.com',
        CONCUR_CLIENT_ID: 'id',
        CONCUR_CLIENT_SECRET: 'secret',
        CONCUR_REFRESH_TOKEN: 'refresh',
        HTTP_PORT: '9090',
        LOG_LEVEL: 'debug',
        ERP_SYNC_DATA_DIR: '/data',
      },
    });
    expect(source).toBe('environment');
    expect(config).toMatchObject({ dataDir: '/data', database: { url: 'postgres://u@db:5432/erp' }, http: { port: 9090 }, log: { level: 'debug' } });
    expect(config.companies[0]!.concur.auth).toEqual({ kind: 'oauth', clientId: 'id', clientSecret: 'secret', refreshToken: 'refresh' });
    expect(defaults).toEqual(['company default: no sinks: the local SFTP drop under /data/sftp-drop']);
  });

  it('rejects an incomplete Concur credential set from the environment', () => {
    expect(() => loadConfig({ env: { CONCUR_CLIENT_ID: 'id' } })).toThrow(/companies\[0\]\.concur\.auth\.clientSecret/);
  });

  it('lets the environment override a file for the database, port, level and data directory', () => {
    const file = yamlFile('over.yaml', 'dataDir: /x\nhttp: {port: 1}\ncompanies: [{id: a}]\n');
    const { config } = loadConfig({ file, env: { HTTP_PORT: '2', ERP_SYNC_DATA_DIR: '/y' } });
    expect(config.http.port).toBe(2);
    expect(config.dataDir).toBe('/y');
  });

  it('reads a .json file as JSON and names the file when it is broken', () => {
    const good = yamlFile('c.json', JSON.stringify({ companies: [{ id: 'from-json' }] }));
    expect(loadConfig({ file: good, env: {} }).config.companies[0]!.id).toBe('from-json');
    const bad = yamlFile('bad.json', '{"companies": [');
    expect(() => loadConfig({ file: bad, env: {} })).toThrow(new RegExp(`^${bad}: `));
  });

  it('puts an ERP_SYNC_DEFAULTS file (the image\'s) beneath the configuration file and the environment', () => {
    const defaults = yamlFile('image-defaults.yaml', 'dataDir: /var/lib/erp-sync\nhttp:\n  host: 0.0.0.0\n  port: 8080\n');
    const file = yamlFile('mounted.yaml', 'http:\n  port: 9000\ncompanies:\n  - id: acme\n');
    const fromFile = loadConfig({ file, env: { ERP_SYNC_DEFAULTS: defaults } }).config;
    expect(fromFile.http).toEqual({ host: '0.0.0.0', port: 9000, console: 'login' }); // the file's port, the image's host
    expect(fromFile.dataDir).toBe('/var/lib/erp-sync');
    expect(loadConfig({ file, env: { ERP_SYNC_DEFAULTS: defaults, HTTP_PORT: '9100' } }).config.http.port).toBe(9100);
    // The console's tokens come from the environment or a file named there, like the other secrets.
    const tokenFile = yamlFile('admin-token', 'admin-token-from-a-file\n');
    expect(loadConfig({ file, env: { ERP_SYNC_ADMIN_TOKEN_FILE: tokenFile, ERP_SYNC_VIEWER_TOKEN: 'viewer-token-0123456789' } }).config.http).toMatchObject({
      adminToken: 'admin-token-from-a-file', viewerToken: 'viewer-token-0123456789',
    });
    // Environment-only mode gets the image's defaults too.
    const envOnly = loadConfig({ env: { ERP_SYNC_DEFAULTS: defaults, ERP_SYNC_COMPANY: 'solo' } }).config;
    expect(envOnly).toMatchObject({ dataDir: '/var/lib/erp-sync', http: { host: '0.0.0.0', port: 8080 }, companies: [{ id: 'solo' }] });
    expect(() => loadConfig({ file, env: { ERP_SYNC_DEFAULTS: yamlFile('list.yaml', '- a\n') } })).toThrow(/list\.yaml \(ERP_SYNC_DEFAULTS\): expected a mapping/);
  });

  it('takes the file from ERP_SYNC_CONFIG', () => {
    const file = yamlFile('envfile.yaml', 'companies: [{id: from-env-file}]\n');
    expect(loadConfig({ env: { ERP_SYNC_CONFIG: file } }).config.companies[0]!.id).toBe('from-env-file');
  });
});

describe('the documented example configuration', () => {
  it('validates', () => {
    const env = { DATABASE_URL: 'postgres://u@db/erp', ACME_CONCUR_CLIENT_ID: 'i', ACME_CONCUR_CLIENT_SECRET: 's', ACME_CONCUR_REFRESH_TOKEN: 'r' };
    const { config } = loadConfig({ file: 'config/erp-sync.example.yaml', env });
    expect(config.companies.map((c) => c.id)).toEqual(['acme']);
    // The limits it spells out are the defaults.
    expect(config.parseLimits).toEqual(DEFAULT_PARSE_LIMITS);
    expect(config.zipLimits).toEqual(DEFAULT_ZIP_LIMITS);
  });
});

describe('the README', () => {
  it('documents every input limit with its default', () => {
    const block = [...readFileSync('README.md', 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.startsWith('parseLimits:'));
    const limits = parseYaml(block ?? '') as { parseLimits?: unknown; zipLimits?: unknown } | null;
    expect(limits?.parseLimits).toEqual(DEFAULT_PARSE_LIMITS);
    expect(limits?.zipLimits).toEqual(DEFAULT_ZIP_LIMITS);
  });
});

describe('configuration precedence', () => {
  it('flags > environment > file > defaults, for every overridable setting', () => {
    const file = yamlFile('layers.yaml', 'dataDir: /from-file\nhttp: { port: 9001 }\nlog: { level: warn }\ndatabase: { url: "postgres://file/db" }\ncompanies: [{ id: acme }]\n');
    expect(loadConfig({ file: yamlFile('bare.yaml', 'companies: [{ id: acme }]\n'), env: {} }).config).toMatchObject({ dataDir: './var', http: { port: 8080 }, log: { level: 'info' } });
    expect(loadConfig({ file, env: {} }).config).toMatchObject({ dataDir: '/from-file', http: { port: 9001 }, log: { level: 'warn' }, database: { url: 'postgres://file/db' } });
    const env = { ERP_SYNC_DATA_DIR: '/from-env', HTTP_PORT: '9002', LOG_LEVEL: 'error', DATABASE_URL: 'postgres://env/db' };
    expect(loadConfig({ file, env }).config).toMatchObject({ dataDir: '/from-env', http: { port: 9002 }, log: { level: 'error' }, database: { url: 'postgres://env/db' } });
    expect(loadConfig({ file, env, flags: { httpPort: '9003', logLevel: 'debug' } }).config).toMatchObject({ http: { port: 9003 }, log: { level: 'debug' } });
  });

  it("the image's environment leaves a mounted file's settings in force", () => {
    // The runtime stage's ENV lines, as the container's environment.
    const dockerfile = readFileSync(join(import.meta.dirname, '..', '..', 'Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const env: Record<string, string> = {};
    for (const m of runtime.matchAll(/^ENV\s+((?:.*\\\n)*.*)$/gm)) {
      for (const pair of m[1]!.replace(/\\\n/g, ' ').trim().split(/\s+/)) {
        const [k, ...v] = pair.split('=');
        env[k!] = v.join('=');
      }
    }
    // The image's files live under /app: here, in this checkout.
    for (const [k, v] of Object.entries(env)) env[k] = v.replace(/^\/app\//, `${join(import.meta.dirname, '..', '..')}/`);
    expect(env.ERP_SYNC_DEFAULTS, 'the image names its defaults file').toBeDefined();
    const bare = yamlFile('bare-mounted.yaml', 'companies: [{ id: acme }]\n');
    expect(loadConfig({ file: bare, env }).config).toMatchObject({ dataDir: '/var/lib/erp-sync', http: { port: 8080, host: '0.0.0.0' } });
    const file = yamlFile('mounted.yaml', 'dataDir: /data\nhttp: { port: 9090, host: 127.0.0.1 }\nlog: { level: debug }\ncompanies: [{ id: acme }]\n');
    expect(loadConfig({ file, env }).config).toMatchObject({ dataDir: '/data', http: { port: 9090, host: '127.0.0.1' }, log: { level: 'debug' } });
  });

  it('a company on the built-in sandbox gets its schedules and CSV profile under the values a file sets', () => {
    const file = yamlFile('sandbox.yaml', 'companies:\n  - id: demo\n  - id: own\n    concur: { close: { schedule: "0 7 * * *" } }\n  - id: real\n    concur: { baseUrl: "https://us.api.concursolutions.com" }\n');
    const [demo, own, real] = loadConfig({ file, env: {} }).config.companies;
    expect(demo).toMatchObject({ defaultCsvProfile: 'concur-sandbox', concur: { discovery: { schedule: '* * * * *' }, close: { schedule: 'immediate' } } });
    expect(Object.keys(demo!.csvProfiles)).toEqual(['concur-sandbox']);
    expect(own!.concur.close.schedule).toBe('0 7 * * *');
    expect(real).toMatchObject({ csvProfiles: {}, concur: { discovery: { schedule: '*/15 * * * *' }, close: { schedule: '0 6 * * *' } } });
    expect(real!.defaultCsvProfile).toBeUndefined();
  });
});
