// The one refresh-token rotation (Concur's companies, Xero's connections): refresh tokens are single-use, so
// spending one and committing its successor happen under the token row's lock, and nothing uses the new access
// token before that commit.
import type { DataSource, EntityManager } from 'typeorm';
import { registerSecret } from '../log.js';

/** What a token row must show for a rotation. */
export interface LockedTokens {
  accessToken: string | null;
  accessExpiresAt: Date | null;
  refreshToken: string | null;
  authState: 'ok' | 'needs_reauth';
  authError: string | null;
}

/** A refused grant (the refresh token is dead): the row is marked needs-reauth, a person must act. */
export interface Refused {
  reauth: string;
}

/** Where the tokens live: seeding the configured refresh token, reading under lock, saving, marking refused. */
export interface TokenRow<S extends LockedTokens, G> {
  /** Stores the configured refresh token the first time only. */
  seed(q: DataSource): Promise<void>;
  /** Reads the row with FOR UPDATE (inside the rotation's transaction); null when there is none. */
  lockAndRead(q: EntityManager): Promise<S | null>;
  /** Commits the grant; `spent` is the refresh token it used (kept when the grant names no successor). */
  save(q: EntityManager, grant: G, spent: string): Promise<void>;
  markNeedsReauth(q: EntityManager, error: string): Promise<void>;
}

export interface RotationSteps<S, G, T, R extends Refused> {
  /** The access token the API just refused (a 401/403), never handed out again; null on a plain refresh. */
  rejected: string | null;
  now: () => number;
  /** A stored access token is reused only while it has more than this long left. */
  aheadMs: number;
  /** The caller's token from a stored access token still good (another process refreshed meanwhile: it is ours too); null to refresh. */
  reuse(s: S, accessToken: string, expiresAt: Date): T | null;
  /** Spends the refresh token at the token endpoint (the row stays locked meanwhile). */
  grant(s: S, refreshToken: string): Promise<G | R>;
  /** The token the caller gets from a committed grant. */
  issued(g: G): T;
}

/**
 * Under the token row's lock: take a token another process stored meanwhile, or spend the refresh token and commit
 * the rotated one before returning the new access token. A row already needing re-authorisation (or without a
 * refresh token) is refused without a call.
 */
export async function rotateRefreshToken<S extends LockedTokens, G, T, R extends Refused>(
  ds: DataSource,
  row: TokenRow<S, G>,
  steps: RotationSteps<S, G, T, R>,
): Promise<{ token: T } | R | Refused> {
  await row.seed(ds);
  return ds.transaction(async (m) => {
    const stored = await row.lockAndRead(m);
    if (!stored?.refreshToken || stored.authState === 'needs_reauth') return { reauth: stored?.authError ?? 'no refresh token stored' };
    const { accessToken, accessExpiresAt } = stored;
    const fresh = accessToken && accessExpiresAt && accessToken !== steps.rejected && accessExpiresAt.getTime() - steps.now() > steps.aheadMs;
    const mine = fresh ? steps.reuse(stored, accessToken, accessExpiresAt) : null;
    if (mine) {
      registerSecret(accessToken);
      return { token: mine };
    }
    const g = await steps.grant(stored, stored.refreshToken);
    if (isRefused(g)) {
      await row.markNeedsReauth(m, g.reauth);
      return g;
    }
    await row.save(m, g, stored.refreshToken);
    return { token: steps.issued(g) };
  });
}

function isRefused(g: unknown): g is Refused {
  return typeof g === 'object' && g !== null && 'reauth' in g;
}
