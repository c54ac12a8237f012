import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { useMigratedDatabase, quietLogger } from '../support/db.js';
import { validateConfig } from '../../src/config/load.js';
import { runReauth } from '../../src/commands/reauth.js';
import { markNeedsReauth, readTokens } from '../../src/concur/tokens.js';

const db = useMigratedDatabase();

function context() {
  const config = validateConfig(
    { database: { url: db.url() }, companies: [{ id: 'acme', concur: { baseUrl: 'https://us.api.concursolutions.com', auth: { kind: 'oauth', clientId: 'id', clientSecret: 'secret', refreshToken: 'old' } } }] },
    'test',
  );
  return { config, source: 'test', defaults: [], logger: quietLogger };
}

describe('erp-sync reauth', () => {
  it('stores the new refresh token and takes the company out of needs_reauth', async () => {
    const ctx = context();
    await db.ds().query(`INSERT INTO companies (id, name) VALUES ('acme', 'acme') ON CONFLICT DO NOTHING`);
    await db.ds().query(`INSERT INTO oauth_tokens (company_id, refresh_token, access_token) VALUES ('acme', 'dead', 'stale')`);
    await markNeedsReauth(db.ds(), 'acme', 'invalid_grant');
    const file = join(mkdtempSync(join(tmpdir(), 'erp-sync-reauth-')), 'token');
    writeFileSync(file, 'fresh-refresh-token\n');

    expect(await runReauth(ctx, 'acme', { tokenFile: file })).toBe(0);

    const tokens = await readTokens(db.ds(), 'acme');
    expect(tokens).toMatchObject({ refreshToken: 'fresh-refresh-token', accessToken: null, authState: 'ok', authError: null, geolocation: 'https://us.api.concursolutions.com' });
  });

  it('refuses an unknown company and an empty token with exit 2', async () => {
    const ctx = context();
    const err = new Writable({ write: (_c, _e, cb) => cb() });
    expect(await runReauth(ctx, 'nobody', { stdin: () => 'x', err })).toBe(2);
    expect(await runReauth(ctx, 'acme', { stdin: () => '\n', err })).toBe(2);
  });
});
