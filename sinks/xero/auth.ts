// Access tokens for one Xero connection: client_credentials (custom connection), or refresh-token grants whose
// rotated refresh token is committed to the database before the new access token is used.
import type { DataSource } from 'typeorm';
import { registerSecret } from '../../src/log.js';
import { xeroTokenRow } from './store.js';
import { rotateRefreshToken } from '../../src/store/token-rotation.js';
import type { XeroSinkConfig } from './config.js';
import { SinkError } from '../sink.js';
import { invalidScopeError, requestedScopes } from './scopes.js';
import { UntrustedTargetError } from '../../src/net/credential-target.js';

export interface XeroTokens {
  current(): Promise<string>;
  /** After a 401 with `rejected`: a fresh token. */
  renew(rejected: string): Promise<string>;
  /** The scopes Xero said it granted with the last token it issued here (null: not known). */
  granted(): string[] | null;
}

export interface XeroAuthDeps {
  ds: DataSource;
  companyId: string;
  fetch: typeof fetch;
  now: () => number;
}

/** Refresh this long before expiry, so no call leaves with a token about to die. */
const AHEAD_MS = 2 * 60_000;

interface Grant {
  accessToken: string;
  expiresAt: number;
  refreshToken: string | null;
  /** Xero's `scope` answer, when given. */
  scopes: string[] | null;
}

export function createXeroTokens(config: XeroSinkConfig, deps: XeroAuthDeps): XeroTokens {
  const { auth } = config;
  registerSecret(auth.clientSecret);
  if (auth.kind === 'refresh_token') registerSecret(auth.refreshToken);
  let cached: { token: string; expiresAt: number } | null = null;
  let granted: string[] | null = null;
  let inFlight: Promise<string> | null = null;
  const key = { companyId: deps.companyId, sink: config.name };

  const viaClientCredentials = async (): Promise<string> => {
    const g = await grant(config, deps, new URLSearchParams({ grant_type: 'client_credentials', scope: requestedScopes(config.scopes).join(' ') }));
    if ('reauth' in g) throw new SinkError('auth', `Xero refused the client credentials: ${g.reauth}`);
    cached = { token: g.accessToken, expiresAt: g.expiresAt };
    granted = g.scopes;
    return g.accessToken;
  };

  const viaRefreshToken = async (rejected: string | null): Promise<string> => {
    if (auth.kind !== 'refresh_token') throw new Error('unreachable');
    const rotated = await rotateRefreshToken(deps.ds, xeroTokenRow<Grant>(key, auth.refreshToken), {
      rejected,
      now: deps.now,
      aheadMs: AHEAD_MS,
      reuse: (_s, token, expiresAt) => ({ token, expiresAt: expiresAt.getTime() }),
      grant: (_s, refreshToken) => grant(config, deps, new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken })),
      issued: (g) => {
        granted = g.scopes;
        return { token: g.accessToken, expiresAt: g.expiresAt };
      },
    });
    if ('reauth' in rotated) throw new SinkError('auth', `Xero connection of company ${deps.companyId} (sink ${config.name}) needs re-authorisation: ${rotated.reauth}`);
    cached = rotated.token;
    return rotated.token.token;
  };

  const refresh = (rejected: string | null): Promise<string> => {
    inFlight ??= (auth.kind === 'client_credentials' ? viaClientCredentials() : viaRefreshToken(rejected)).finally(() => {
      inFlight = null;
    });
    return inFlight;
  };

  return {
    current: async () => (cached && cached.expiresAt - deps.now() > AHEAD_MS ? cached.token : refresh(null)),
    renew: (rejected) => {
      if (cached?.token === rejected) cached = null;
      return refresh(rejected);
    },
    granted: () => granted,
  };
}

async function grant(config: XeroSinkConfig, deps: XeroAuthDeps, form: URLSearchParams): Promise<Grant | { reauth: string }> {
  const basic = Buffer.from(`${config.auth.clientId}:${config.auth.clientSecret}`).toString('base64');
  let res: Response;
  try {
    res = await deps.fetch(config.tokenUrl, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      signal: AbortSignal.timeout(config.requestTimeoutMs),
    });
  } catch (error) {
    throw new SinkError(error instanceof UntrustedTargetError ? 'config' : 'connect', `Xero token endpoint ${config.tokenUrl}: ${error instanceof Error ? error.message : String(error)}`, undefined, { cause: error });
  }
  const json = (await res.json().catch(() => null)) as Record<string, unknown> | null;
  if (!res.ok) {
    const error = typeof json?.error === 'string' ? json.error : `HTTP ${res.status}`;
    if (error === 'invalid_grant' || error === 'invalid_client' || error === 'unauthorized_client') return { reauth: error };
    if (error === 'invalid_scope') throw invalidScopeError({ companyId: deps.companyId, sink: config.name, setting: config.scopes });
    throw new SinkError(res.status >= 500 || res.status === 429 ? 'remote-failure' : 'auth', `Xero token endpoint answered ${res.status}: ${error}`);
  }
  const accessToken = json?.access_token;
  const expiresIn = Number(json?.expires_in);
  if (typeof accessToken !== 'string' || !accessToken || !(expiresIn > 0)) throw new SinkError('remote-failure', 'Xero token answer lacks access_token or expires_in');
  registerSecret(accessToken);
  const refreshToken = typeof json?.refresh_token === 'string' && json.refresh_token ? json.refresh_token : null;
  registerSecret(refreshToken);
  const scopes = typeof json?.scope === 'string' ? json.scope.split(' ').filter(Boolean) : null;
  return { accessToken, expiresAt: deps.now() + expiresIn * 1000, refreshToken, scopes };
}
