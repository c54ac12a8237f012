// Item 2 of issue 16: OAuth tokens at rest are AES-256-GCM ciphertext under ERP_SYNC_SECRET_KEY, a previous key
// still opens them during a rotation (and start-up re-seals them), and a wrong key stops start-up with exit 2.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkAndResealTokens } from '../../src/store/sealed-tokens.js';
import { openToken, sealToken, TokenKeyError, useTokenKeys } from '../../src/store/token-cipher.js';
import { readTokens, saveRefreshedTokens, seedRefreshToken } from '../../src/concur/tokens.js';
import { readXeroTokens, saveXeroTokens, seedXeroRefreshToken } from '../../sinks/xero/store.js';
import { useMigratedDatabase } from '../support/db.js';
import { runCli } from './cli-run.js';

const db = useMigratedDatabase();
const K1 = randomBytes(32);
const K2 = randomBytes(32);
afterEach(() => useTokenKeys(null));

async function company(id: string): Promise<void> {
  await db.ds().query(`INSERT INTO companies (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING`, [id]);
}
const rawOauth = async (id: string) =>
  ((await db.ds().query(`SELECT access_token, refresh_token FROM oauth_tokens WHERE company_id = $1`, [id])) as Array<{ access_token: string | null; refresh_token: string }>)[0]!;

describe('the token cipher', () => {
  it('seals to ciphertext that opens only with its key and in its own row and column', () => {
    useTokenKeys(K1);
    const sealed = sealToken('refresh-token-value', 'oauth_tokens/acme/refresh_token');
    expect(sealed).toMatch(/^enc:v1:[0-9a-f]{8}:/);
    expect(sealed).not.toContain('refresh-token-value');
    expect(openToken(sealed, 'oauth_tokens/acme/refresh_token')).toBe('refresh-token-value');
    expect(() => openToken(sealed, 'oauth_tokens/other/refresh_token')).toThrow(TokenKeyError);
    useTokenKeys(K2);
    expect(() => openToken(sealed, 'oauth_tokens/acme/refresh_token')).toThrow(/another key/);
    useTokenKeys(null);
    expect(() => openToken(sealed, 'oauth_tokens/acme/refresh_token')).toThrow(/no ERP_SYNC_SECRET_KEY/);
  });
});

describe('tokens in the database', () => {
  it('stores Concur and Xero tokens as ciphertext: the stored bytes are not the token', async () => {
    useTokenKeys(K1);
    await company('enc1');
    await seedRefreshToken(db.ds(), 'enc1', 'concur-refresh-1', 'https://us.api.concursolutions.com');
    expect((await rawOauth('enc1')).refresh_token).not.toContain('concur-refresh-1');
    await saveRefreshedTokens(db.ds(), 'enc1', { accessToken: 'concur-access-2', accessExpiresAt: new Date(), refreshToken: 'concur-refresh-2', geolocation: 'https://us.api.concursolutions.com' });
    const raw = await rawOauth('enc1');
    expect(`${raw.access_token}${raw.refresh_token}`).not.toMatch(/concur-(access|refresh)-2/);
    expect(await readTokens(db.ds(), 'enc1')).toMatchObject({ accessToken: 'concur-access-2', refreshToken: 'concur-refresh-2' });

    const key = { companyId: 'enc1', sink: 'xero' };
    await seedXeroRefreshToken(db.ds(), key, 'xero-refresh-1');
    await saveXeroTokens(db.ds(), key, { accessToken: 'xero-access-1', accessExpiresAt: new Date(), refreshToken: 'xero-refresh-2' });
    const [x] = (await db.ds().query(`SELECT access_token || refresh_token AS t FROM xero_tokens WHERE company_id = 'enc1'`)) as Array<{ t: string }>;
    expect(x!.t).not.toMatch(/xero-/);
    expect(await readXeroTokens(db.ds(), key)).toMatchObject({ accessToken: 'xero-access-1', refreshToken: 'xero-refresh-2' });
  });

  it('rotation: the previous key still opens the tokens, and start-up re-seals them (and plain-text ones) under the new key', async () => {
    await company('enc2');
    await company('enc3');
    await seedRefreshToken(db.ds(), 'enc3', 'plain-before-any-key', null);
    useTokenKeys(K1);
    await seedRefreshToken(db.ds(), 'enc2', 'rotating-refresh', null);
    const underK1 = (await rawOauth('enc2')).refresh_token;

    useTokenKeys(K2, [K1]);
    expect((await readTokens(db.ds(), 'enc2'))?.refreshToken).toBe('rotating-refresh');
    expect(await checkAndResealTokens(db.ds())).toBeGreaterThanOrEqual(2);
    const resealed = (await rawOauth('enc2')).refresh_token;
    expect(resealed).not.toBe(underK1);
    expect((await rawOauth('enc3')).refresh_token).not.toContain('plain-before-any-key');

    useTokenKeys(K2); // the old key can go now
    expect((await readTokens(db.ds(), 'enc2'))?.refreshToken).toBe('rotating-refresh');
    expect((await readTokens(db.ds(), 'enc3'))?.refreshToken).toBe('plain-before-any-key');
    expect(await checkAndResealTokens(db.ds())).toBe(0);
  });

  it('a wrong key is a clear start-up error: exit 2, the setting named, the key not printed', async () => {
    await db.ds().query('DELETE FROM oauth_tokens; DELETE FROM xero_tokens');
    useTokenKeys(K2);
    await company('enc4');
    await seedRefreshToken(db.ds(), 'enc4', 'sealed-under-k2', null);
    const wrong = randomBytes(32).toString('hex');
    const dir = mkdtempSync(join(tmpdir(), 'erp-sync-key-'));
    const config = join(dir, 'c.yaml');
    writeFileSync(config, `dataDir: ${dir}\ncompanies: [{ id: enc4, concur: { baseUrl: "https://us.api.concursolutions.com", auth: { kind: static, accessToken: tok-12345 } } }]\n`);
    const keyFile = join(dir, 'key');
    writeFileSync(keyFile, `${wrong}\n`);
    const run = (env: Record<string, string>) => runCli(['--config', config, 'status'], { DATABASE_URL: db.url(), ...env });
    const r = await run({ ERP_SYNC_SECRET_KEY_FILE: keyFile });
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/ERP_SYNC_SECRET_KEY cannot open the stored tokens: oauth_tokens\/enc4\/refresh_token was encrypted with another key/);
    expect(r.output).not.toContain(wrong);
    const ok = await run({ ERP_SYNC_SECRET_KEY: K2.toString('base64') });
    expect(ok.output).toContain('COMPANY  BATCH');
    expect(ok.code).toBe(0);
    const none = await run({});
    expect(none.code).toBe(2);
    expect(none.output).toMatch(/oauth_tokens\/enc4\/refresh_token is encrypted \(key id [0-9a-f]{8}\) but no ERP_SYNC_SECRET_KEY is set/);
  });

  it('without a key (nothing encrypted stored) the program starts with a warning naming who can read the tokens', async () => {
    await db.ds().query('DELETE FROM oauth_tokens; DELETE FROM xero_tokens');
    const r = await runCli(['status'], { DATABASE_URL: db.url() });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/ERP_SYNC_SECRET_KEY is not set: the Concur and Xero tokens are stored unencrypted.*oauth_tokens and xero_tokens/);
  });
});
