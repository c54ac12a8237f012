// Item 9 of issue 16: SECURITY.md exists and covers what it must; the README documents each new setting, and each
// documented setting really does what it says (read from the environment as written).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { REPO } from './cli-run.js';

const read = (name: string) => readFileSync(join(REPO, name), 'utf8');

describe('SECURITY.md', () => {
  it('says what is protected, who can reach what, how to rotate the key, how peers are verified and how to report', () => {
    const text = read('SECURITY.md');
    for (const heading of ['## What erp-sync protects', '## Who can reach what', '## Tokens at rest and key rotation', '## Where credentials are sent, host keys and TLS', '## Reporting a vulnerability']) {
      expect(text).toContain(heading);
    }
    for (const term of ['ERP_SYNC_SECRET_KEY', 'ERP_SYNC_SECRET_KEY_PREVIOUS', 'http.metricsToken', 'HTTP_HOST', 'erp_sync_reporting', '/webhooks/qitech', 'hostKeySha256']) expect(text).toContain(term);
  });
});

describe('the README', () => {
  it('documents each new setting, and each works as documented', () => {
    const readme = read('README.md');
    for (const term of ['`HTTP_HOST`', '`ERP_SYNC_SECRET_KEY`', '`ERP_SYNC_SECRET_KEY_PREVIOUS`', '`http.metricsToken`', '`secrets.key` / `secrets.previousKey`', '[SECURITY.md](SECURITY.md)']) {
      expect(readme).toContain(term);
    }
    expect(readme).toMatch(/\| `http\.port` \/ `http\.host` \| 8080 \/ `127\.0\.0\.1` \|/);
    const key = randomBytes(32).toString('hex');
    const previous = randomBytes(32).toString('base64');
    const { config } = loadConfig({ env: { HTTP_HOST: '0.0.0.0', ERP_SYNC_SECRET_KEY: key, ERP_SYNC_SECRET_KEY_PREVIOUS: previous } });
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.secrets).toEqual({ key, previousKey: previous });
    expect(() => loadConfig({ env: { ERP_SYNC_SECRET_KEY: 'too-short' } })).toThrow(/secrets\.key: expected 32 bytes/);
  });
});
