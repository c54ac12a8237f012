// Access tokens for one company: a fixed token, or OAuth2 refresh-token grants whose rotation is committed before use.
import type { DataSource } from 'typeorm';
import type { ConcurConfig } from '../config/schema.js';
import { registerSecret, type Logger } from '../log.js';
import { companyTokenRow } from './tokens.js';
import { rotateRefreshToken } from '../store/token-rotation.js';
import { ConcurConfigError, ConcurHttpError, ConcurProtocolError, ConcurReauthRequiredError } from './errors.js';
import { exchange, type FetchFn } from './http.js';
import { inCallRetries, type RetryLoopDeps } from './retry.js';
import { withRetries } from '../backoff.js';
import { cleanUrl, tokenUrl } from './urls.js';
import { concurTargets } from './hosts.js';
import { credentialTarget, UntrustedTargetError } from '../net/credential-target.js';

export interface Credential {
  /** The token itself (callers compare it; it is never logged). */
  token: string;
  /** Base URL of the API calls that are not given as whole URLs (the batch list). */
  apiBase: string;
}

export interface AccessTokens {
  current(): Promise<Credential>;
  /** After a 403 with `rejected`: a fresh credential, or null when none can be had (a fixed token). */
  renew(rejected: string): Promise<Credential | null>;
}

export interface AccessTokenDeps {
  companyId: string;
  config: ConcurConfig;
  ds: DataSource;
  fetch: FetchFn;
  retry: RetryLoopDeps;
  /** Where the token in hand and the refresh in flight are kept; a caller that builds clients per use keeps one per company. */
  state?: TokenState;
}

/** What a company's OAuth tokens keep between calls: the token in hand, and the refresh in flight (one at a time). */
export interface TokenState {
  cached: { credential: Credential; expiresAt: number } | null;
  inFlight: Promise<Credential> | null;
}

export const newTokenState = (): TokenState => ({ cached: null, inFlight: null });

/** Refresh this long before the access token expires, so no request goes out with a token about to die. */
export const REFRESH_AHEAD_MS = 5 * 60_000;

export function createAccessTokens(deps: AccessTokenDeps): AccessTokens {
  const { config } = deps;
  if (config.auth?.kind === 'static') {
    const base = config.baseUrl;
    if (!base) throw new ConcurConfigError('a fixed access token needs concur.baseUrl', { operation: 'configure', url: '' });
    registerSecret(config.auth.accessToken);
    const credential = { token: config.auth.accessToken, apiBase: base };
    return { current: async () => credential, renew: async () => null };
  }
  if (config.auth?.kind !== 'oauth') throw new ConcurConfigError('concur.auth is missing', { operation: 'configure', url: config.baseUrl ?? '' });
  return new OAuthTokens(deps, config.auth);
}

interface Grant {
  accessToken: string;
  accessExpiresAt: Date;
  refreshToken: string;
  geolocation: string;
}

type OAuthConfig = Extract<NonNullable<ConcurConfig['auth']>, { kind: 'oauth' }>;

class OAuthTokens implements AccessTokens {
  private readonly state: TokenState;
  private readonly log: Logger;

  constructor(
    private readonly deps: AccessTokenDeps,
    private readonly auth: OAuthConfig,
  ) {
    registerSecret(auth.clientSecret);
    registerSecret(auth.refreshToken);
    this.log = deps.retry.logger;
    this.state = deps.state ?? newTokenState();
  }

  async current(): Promise<Credential> {
    const { cached } = this.state;
    if (cached && cached.expiresAt - this.deps.retry.now() > REFRESH_AHEAD_MS) return cached.credential;
    return this.refresh(null);
  }

  async renew(rejected: string): Promise<Credential> {
    return this.refresh(rejected);
  }

  /** One refresh at a time per token state (a company's clients share one); concurrent callers share it. */
  private refresh(rejected: string | null): Promise<Credential> {
    const { state } = this;
    state.inFlight ??= withRetries(() => this.refreshOnce(rejected), inCallRetries(this.deps.retry), this.deps.retry.sleep).finally(() => {
      state.inFlight = null;
    });
    return state.inFlight;
  }

  /** Rotates under the token row's lock (src/store/token-rotation.ts), committing the geolocation with the tokens. */
  private async refreshOnce(rejected: string | null): Promise<Credential> {
    const { ds, companyId } = this.deps;
    const seed = { refreshToken: this.auth.refreshToken, geolocation: this.auth.geolocation ?? this.deps.config.baseUrl ?? null };
    const outcome = await rotateRefreshToken(ds, companyTokenRow<Grant>(companyId, seed), {
      rejected,
      now: this.deps.retry.now,
      aheadMs: REFRESH_AHEAD_MS,
      reuse: (s, token, expiresAt) => (s.geolocation ? { credential: { token, apiBase: s.geolocation }, expiresAt: expiresAt.getTime() } : null),
      grant: async (s, refreshToken) => {
        const geolocation = s.geolocation ?? this.auth.geolocation ?? this.deps.config.baseUrl;
        if (!geolocation) throw new ConcurConfigError('no geolocation or base URL to ask for a token', { operation: 'refresh token', url: '' });
        const url = tokenUrl(geolocation);
        const grant = await this.grant(url, refreshToken);
        return 'reauth' in grant ? { ...grant, url } : grant;
      },
      issued: (g) => ({ credential: { token: g.accessToken, apiBase: g.geolocation }, expiresAt: g.accessExpiresAt.getTime() }),
    });
    if ('reauth' in outcome) {
      this.state.cached = null;
      this.log.error('concur refresh token refused: company needs re-authorisation', { company: companyId, error: outcome.reauth });
      throw new ConcurReauthRequiredError(companyId, outcome.reauth, { operation: 'refresh token', url: 'url' in outcome && typeof outcome.url === 'string' ? outcome.url : '' });
    }
    this.state.cached = outcome.token;
    return outcome.token.credential;
  }

  /**
   * The geolocation a token answer names, when credentials may go there; otherwise null (the token endpoint we
   * asked stays the geolocation), so a hostile answer never receives the client secret on the next refresh.
   */
  private trustedGeolocation(raw: string, correlationId: string | null | undefined): string | null {
    const url = cleanUrl(raw);
    if (!url) return null;
    try {
      return credentialTarget(new URL(url), concurTargets(this.deps.config)).href.replace(/\/+$/, '');
    } catch (err) {
      if (!(err instanceof UntrustedTargetError)) throw err;
      this.log.error('concur token answer names a geolocation outside Concur; ignored', { company: this.deps.companyId, geolocation: url, reason: err.message, correlationId });
      return null;
    }
  }

  private async grant(url: string, refreshToken: string): Promise<Grant | { reauth: string }> {
    const body = new URLSearchParams({
      client_id: this.auth.clientId,
      client_secret: this.auth.clientSecret,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    });
    const x = await exchange(this.deps.fetch, this.deps.config.requestTimeoutMs, 'refresh token', url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: body.toString(),
    });
    const text = await x.text();
    const json = parseJson(text);
    if (!x.res.ok) {
      const error = typeof json?.error === 'string' ? json.error : '';
      const detail = `${error || `HTTP ${x.res.status}`}${json?.code !== undefined ? ` (code ${String(json.code)})` : ''}${typeof json?.error_description === 'string' ? `: ${json.error_description}` : ''}`;
      if (error === 'invalid_grant') return { reauth: detail };
      if (error === 'invalid_client') throw new ConcurConfigError(`refresh token: ${detail}`, x.ctx);
      throw new ConcurHttpError(x.res.status, detail, x.res.headers.get('retry-after'), x.ctx);
    }
    const accessToken = json?.access_token;
    const expiresIn = Number(json?.expires_in); // documented as a string ("3600")
    const newRefresh = typeof json?.refresh_token === 'string' && json.refresh_token ? json.refresh_token : refreshToken;
    const geo = typeof json?.geolocation === 'string' ? this.trustedGeolocation(json.geolocation, x.ctx.correlationId) : null;
    if (typeof accessToken !== 'string' || !accessToken || !Number.isFinite(expiresIn) || expiresIn <= 0) {
      throw new ConcurProtocolError('refresh token: answer lacks access_token or a positive expires_in', x.ctx);
    }
    registerSecret(accessToken);
    registerSecret(newRefresh);
    return {
      accessToken,
      accessExpiresAt: new Date(this.deps.retry.now() + expiresIn * 1000),
      refreshToken: newRefresh,
      geolocation: geo ?? new URL(url).origin,
    };
  }
}

function parseJson(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
