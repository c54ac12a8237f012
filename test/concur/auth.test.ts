import { describe, expect, it } from 'vitest';
import { ConcurReauthRequiredError } from '../../src/concur/errors.js';
import { readTokens, replaceRefreshToken } from '../../src/concur/tokens.js';
import { useMigratedDatabase } from '../support/db.js';
import { client, oauthConfig, recordingFetch, useHarness } from './harness.js';

const db = useMigratedDatabase();
const h = useHarness(db, { companies: 6, refreshGraceMs: 60_000 });

describe('OAuth2 tokens', () => {
  it('persists the rotated refresh token and geolocation, and a new client instance carries on with them', async () => {
    const { id, refreshToken: initial } = h.sandbox.companies[0]!;
    await client(h, db.ds(), id, oauthConfig(h, 0)).listBatches();
    const stored = await readTokens(db.ds(), id);
    expect(stored).toMatchObject({ geolocation: h.sandbox.url, authState: 'ok', accessToken: expect.stringMatching(/^sbx\./) });
    expect(stored!.refreshToken).not.toBe(initial);
    expect(stored!.accessExpiresAt!.getTime()).toBe(h.clock.now() + 3600_000);

    // "Restart": tokens die, the configured (initial) refresh token is long past its grace period.
    h.sandbox.controls.expireAccessTokens();
    h.clock.advance(10 * 60_000);
    const restarted = client(h, db.ds(), id, oauthConfig(h, 0));
    expect((await restarted.listBatches()).length).toBeGreaterThan(0);
    expect(h.sandbox.counters.tokenGrants(id)).toBe(2);
    expect((await readTokens(db.ds(), id))!.refreshToken).not.toBe(stored!.refreshToken);
  });

  it('a refresh whose answer was lost (crash before the commit) does not lock the company out', async () => {
    const { id, clientId, clientSecret } = h.sandbox.companies[0]!;
    const stored = (await readTokens(db.ds(), id))!;
    // Another process spends the stored refresh token and dies before committing what it got.
    const lost = await fetch(`${h.sandbox.url}/oauth2/v0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: clientId, client_secret: clientSecret, grant_type: 'refresh_token', refresh_token: stored.refreshToken! }),
    });
    expect(lost.status).toBe(200);
    h.sandbox.controls.expireAccessTokens();
    // Within the grace period the stored (now previous) token still works, and its successor is stored.
    expect((await client(h, db.ds(), id, oauthConfig(h, 0)).listBatches()).length).toBeGreaterThan(0);
    expect((await readTokens(db.ds(), id))!).toMatchObject({ authState: 'ok', refreshToken: expect.not.stringMatching(stored.refreshToken!) });
  });

  it('reuses a stored access token until shortly before it expires, then refreshes ahead of expiry', async () => {
    const { id } = h.sandbox.companies[1]!;
    await client(h, db.ds(), id, oauthConfig(h, 1)).listBatches();
    await client(h, db.ds(), id, oauthConfig(h, 1)).listBatches();
    expect(h.sandbox.counters.tokenGrants(id)).toBe(1);
    h.clock.advance(56 * 60_000); // 4 minutes before expiry: inside the refresh-ahead margin
    await client(h, db.ds(), id, oauthConfig(h, 1)).listBatches();
    expect(h.sandbox.counters.tokenGrants(id)).toBe(2);
  });

  it('refreshes once for concurrent calls', async () => {
    const { id } = h.sandbox.companies[2]!;
    const c = client(h, db.ds(), id, oauthConfig(h, 2));
    await Promise.all([c.listBatches('OPEN'), c.listBatches('CLOSED'), c.listBatches()]);
    expect(h.sandbox.counters.tokenGrants(id)).toBe(1);
  });

  it('sends the token as Bearer by default and as OAuth when configured; both are accepted', async () => {
    const { id } = h.sandbox.companies[3]!;
    const seen: string[] = [];
    const spy: typeof fetch = (input, init) => {
      const auth = (init?.headers as Record<string, string> | undefined)?.authorization;
      if (auth) seen.push(auth.split(' ')[0]!);
      return fetch(input, init);
    };
    await client(h, db.ds(), id, oauthConfig(h, 3), { fetch: spy }).listBatches();
    await client(h, db.ds(), id, oauthConfig(h, 3, { authHeader: 'OAuth' }), { fetch: spy }).listBatches();
    expect(seen).toEqual(['Bearer', 'OAuth']);
  });

  it('invalid_grant: the company needs re-authorisation, stops asking, and other companies go on', async () => {
    const { id } = h.sandbox.companies[4]!;
    const other = h.sandbox.companies[5]!;
    h.sandbox.controls.revokeRefreshToken(id);
    const requests: Array<{ method: string; url: string }> = [];
    const c = client(h, db.ds(), id, oauthConfig(h, 4), { fetch: recordingFetch(requests) });
    const err = await c.listBatches().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConcurReauthRequiredError);
    const [row] = await db.ds().query('SELECT auth_state, auth_error FROM companies WHERE id = $1', [id]);
    expect(row).toEqual({ auth_state: 'needs_reauth', auth_error: expect.stringContaining('invalid_grant (code 108)') });
    // No loop: a second call does not spend another token request.
    await expect(c.listBatches()).rejects.toBeInstanceOf(ConcurReauthRequiredError);
    expect(requests.filter((r) => r.url.includes('/oauth2/'))).toHaveLength(1);

    expect((await client(h, db.ds(), other.id, oauthConfig(h, 5)).listBatches()).length).toBeGreaterThan(0);

    // A person re-authorises: the new refresh token is stored and the company is back.
    await replaceRefreshToken(db.ds(), id, h.sandbox.controls.reauthorise(id), null);
    expect((await c.listBatches()).length).toBeGreaterThan(0);
    const [after] = await db.ds().query('SELECT auth_state, auth_error FROM companies WHERE id = $1', [id]);
    expect(after).toEqual({ auth_state: 'ok', auth_error: null });
  });
});
