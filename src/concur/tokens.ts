// SQL of the Concur OAuth tokens and auth state per company: the only copy of a rotated refresh token.
import type { Queryable } from '../db/sql.js';
import type { TokenRow } from '../store/token-rotation.js';
import { openToken, sealToken } from '../store/token-cipher.js';
import { oauthContext } from '../store/sealed-tokens.js';
import { prepared } from '../db/prepared.js';


export interface StoredTokens {
  accessToken: string | null;
  accessExpiresAt: Date | null;
  refreshToken: string | null;
  geolocation: string | null;
  authState: 'ok' | 'needs_reauth';
  authError: string | null;
}

interface Row {
  access_token: string | null;
  access_expires_at: Date | null;
  refresh_token: string | null;
  geolocation: string | null;
  auth_state: 'ok' | 'needs_reauth';
  auth_error: string | null;
}

/**
 * The company's tokens and auth state; `forUpdate` locks the token row until the transaction ends,
 * so two processes never spend the same refresh token. Null when nothing was ever stored.
 */
export async function readTokens(q: Queryable, companyId: string, forUpdate = false): Promise<StoredTokens | null> {
  const rows = (await q.query(
    prepared(`SELECT t.access_token, t.access_expires_at, t.refresh_token, t.geolocation, c.auth_state, c.auth_error
       FROM oauth_tokens t JOIN companies c ON c.id = t.company_id
      WHERE t.company_id = $1${forUpdate ? ' FOR UPDATE OF t' : ''}`),
    [companyId],
  )) as Row[];
  const r = rows[0];
  if (!r) return null;
  return {
    accessToken: openToken(r.access_token, oauthContext(companyId, 'access_token')),
    accessExpiresAt: r.access_expires_at,
    refreshToken: openToken(r.refresh_token, oauthContext(companyId, 'refresh_token')),
    geolocation: r.geolocation,
    authState: r.auth_state,
    authError: r.auth_error,
  };
}

/** Stores the configured refresh token the first time only: afterwards the rotated one in the database wins. */
export async function seedRefreshToken(q: Queryable, companyId: string, refreshToken: string, geolocation: string | null): Promise<void> {
  await q.query(
    prepared(`INSERT INTO oauth_tokens (company_id, refresh_token, geolocation) VALUES ($1, $2, $3) ON CONFLICT (company_id) DO NOTHING`),
    [companyId, sealToken(refreshToken, oauthContext(companyId, 'refresh_token')), geolocation],
  );
}

/** After a person re-authorised the company: replaces the refresh token, drops the access token, clears needs_reauth. */
export async function replaceRefreshToken(q: Queryable, companyId: string, refreshToken: string, geolocation: string | null): Promise<void> {
  await q.query(
    `INSERT INTO oauth_tokens (company_id, refresh_token, geolocation) VALUES ($1, $2, $3)
     ON CONFLICT (company_id) DO UPDATE
       SET refresh_token = EXCLUDED.refresh_token, geolocation = COALESCE(EXCLUDED.geolocation, oauth_tokens.geolocation),
           access_token = NULL, access_expires_at = NULL, updated_at = now()`,
    [companyId, sealToken(refreshToken, oauthContext(companyId, 'refresh_token')), geolocation],
  );
  await q.query(`UPDATE companies SET auth_state = 'ok', auth_error = NULL, updated_at = now() WHERE id = $1`, [companyId]);
}

/** Records a successful refresh: the rotated refresh token and geolocation with the new access token, and auth back to ok. */
export async function saveRefreshedTokens(
  q: Queryable,
  companyId: string,
  t: { accessToken: string; accessExpiresAt: Date; refreshToken: string; geolocation: string },
): Promise<void> {
  await q.query(
    prepared(`UPDATE oauth_tokens SET access_token = $2, access_expires_at = $3, refresh_token = $4, geolocation = $5, updated_at = now()
      WHERE company_id = $1`),
    [companyId, sealToken(t.accessToken, oauthContext(companyId, 'access_token')), t.accessExpiresAt, sealToken(t.refreshToken, oauthContext(companyId, 'refresh_token')), t.geolocation],
  );
  await q.query(
    prepared(`UPDATE companies SET auth_state = 'ok', auth_error = NULL, updated_at = now() WHERE id = $1 AND auth_state <> 'ok'`),
    [companyId],
  );
}

/** Forgets the companies' tokens and any refusal (the built-in sandbox issues new ones each start). */
export async function forgetTokens(q: Queryable, companyIds: string[]): Promise<void> {
  await q.query(`DELETE FROM oauth_tokens WHERE company_id = ANY($1)`, [companyIds]);
  await q.query(`UPDATE companies SET auth_state = 'ok', auth_error = NULL WHERE id = ANY($1)`, [companyIds]);
}

/** The refresh token is dead: the company waits for a person (status and metrics read auth_state). */
export async function markNeedsReauth(q: Queryable, companyId: string, error: string): Promise<void> {
  await q.query(`UPDATE companies SET auth_state = 'needs_reauth', auth_error = $2, updated_at = now() WHERE id = $1`, [companyId, error]);
  await q.query(`UPDATE oauth_tokens SET access_token = NULL, access_expires_at = NULL, updated_at = now() WHERE company_id = $1`, [companyId]);
}

/** A company's token row for the rotation (src/store/token-rotation.ts), seeded with the configured refresh token. */
export function companyTokenRow<G extends { accessToken: string; accessExpiresAt: Date; refreshToken: string; geolocation: string }>(
  companyId: string,
  seed: { refreshToken: string; geolocation: string | null },
): TokenRow<StoredTokens, G> {
  return {
    seed: (q) => seedRefreshToken(q, companyId, seed.refreshToken, seed.geolocation),
    lockAndRead: (q) => readTokens(q, companyId, true),
    save: (q, grant) => saveRefreshedTokens(q, companyId, grant),
    markNeedsReauth: (q, error) => markNeedsReauth(q, companyId, error),
  };
}
