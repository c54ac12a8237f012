// HTTP to the Xero Accounting API for one tenant: auth, the tenant's rate limits, 429/5xx handling with
// retries (every write carries an Idempotency-Key, so a retry never posts twice), exact-decimal JSON.
import type { Logger } from '../../src/log.js';
import { backoffDelay, backoffOf } from '../../src/backoff.js';
import { UntrustedTargetError } from '../../src/net/credential-target.js';
import { SinkError } from '../sink.js';
import type { XeroTokens } from './auth.js';
import type { XeroSinkConfig } from './config.js';
import { parseExact } from './json.js';
import { missingScopeError, XeroScopeError } from './scopes.js';
import type { TenantLimiter } from './limiter.js';

export interface XeroClientDeps {
  fetch: typeof fetch;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  logger: Logger;
  limiter: TenantLimiter;
  tokens: XeroTokens;
  companyId: string;
  /** Records that the company's Xero sink needs a person (a missing scope), and that it works again. */
  attention?: SinkAttention;
}

export interface SinkAttention {
  mark(reason: string): Promise<void>;
  clear(): Promise<void>;
}

export type Json = Record<string, unknown>;

export interface XeroAnswer {
  status: number;
  json: Json;
}

/** One element of a write answer, with Xero's validation messages (empty when the element was accepted). */
export interface ElementResult {
  index: number;
  element: Json;
  errors: string[];
}

/** The elements of a write answer: a 200's list (summarizeErrors=false) or a 400's `Elements`. */
export function elementResults(answer: XeroAnswer, listKey: string): ElementResult[] {
  const list = answer.status === 400 ? answer.json.Elements : answer.json[listKey];
  if (!Array.isArray(list)) return [];
  return list.map((raw, index) => {
    const element = (raw ?? {}) as Json;
    return { index, element, errors: messagesOf(element.ValidationErrors) };
  });
}

export function messagesOf(v: unknown): string[] {
  return Array.isArray(v) ? v.map((e) => String((e as Json | null)?.Message ?? JSON.stringify(e))) : [];
}

/** A 400 without elements: Xero's top-level message. */
export function answerMessage(answer: XeroAnswer): string {
  return String(answer.json.Message ?? answer.json.Detail ?? `HTTP ${answer.status}`);
}

/** 429s of one call before it gives up; a storm longer than this hands the retry to the pipeline's back-off. */
const MAX_THROTTLED = 30;

type Method = 'GET' | 'PUT' | 'POST';
type CallOptions = { query?: Record<string, string>; body?: string; idempotencyKey?: string };

export class XeroClient {
  private worked = false;

  constructor(
    private readonly config: XeroSinkConfig,
    private readonly deps: XeroClientDeps,
  ) {}

  /** A call answered 2xx, 400 or 404; anything else is retried or thrown as a SinkError. */
  async call(op: string, method: Method, path: string, opts: CallOptions = {}): Promise<XeroAnswer> {
    try {
      const answer = await this.send(op, method, path, opts);
      if (!this.worked) {
        this.worked = true;
        await this.deps.attention?.clear();
      }
      return answer;
    } catch (error) {
      if (error instanceof XeroScopeError) await this.deps.attention?.mark(error.message);
      throw error;
    }
  }

  private async send(op: string, method: Method, path: string, opts: CallOptions): Promise<XeroAnswer> {
    const url = new URL(`${this.config.apiUrl.replace(/\/$/, '')}${path}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const { retries } = this.config;
    const policy = backoffOf(retries);
    let failures = 0;
    let throttled = 0;
    let renewed = false;
    const log = this.deps.logger;
    for (;;) {
      const token = await this.deps.tokens.current();
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'xero-tenant-id': this.config.tenantId, accept: 'application/json' };
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
      let answer: { res: Response; text: string } | Error;
      try {
        answer = await this.deps.limiter.run(async () => {
          const res = await this.deps.fetch(url, { method, headers, body: opts.body, signal: AbortSignal.timeout(this.config.requestTimeoutMs) });
          return { res, text: await res.text() };
        });
      } catch (error) {
        if (error instanceof SinkError) throw error;
        if (error instanceof UntrustedTargetError) throw new SinkError('config', `Xero ${op}: ${error.message}`, undefined, { cause: error });
        answer = error instanceof Error ? error : new Error(String(error));
      }
      const retryLater = async (why: string, retryAfterMs: number | null): Promise<void> => {
        if (++failures >= policy.maxAttempts) {
          throw new SinkError(answer instanceof Error ? (answer.name === 'TimeoutError' ? 'timeout' : 'connection-lost') : 'remote-failure', `Xero ${op}: ${why} (${failures} attempts)`, undefined, answer instanceof Error ? { cause: answer } : undefined);
        }
        const delay = Math.max(retryAfterMs ?? 0, backoffDelay(failures, policy, this.deps.random));
        log.warn('Xero call failed, retrying', { op, why, attempt: failures, delayMs: delay, idempotencyKey: opts.idempotencyKey });
        await this.deps.sleep(delay);
      };
      if (answer instanceof Error) {
        await retryLater(answer.message, null);
        continue;
      }
      const { res, text } = answer;
      this.logLimits(op, res.headers);
      if (res.status === 429) {
        const problem = res.headers.get('x-rate-limit-problem') ?? 'unknown';
        const waitMs = retryAfterMs(res.headers.get('retry-after')) ?? 60_000;
        log.warn('Xero rate limit hit', { op, problem, retryAfterMs: waitMs });
        if (problem.toLowerCase() === 'day' || ++throttled > MAX_THROTTLED) throw new SinkError('remote-failure', `Xero ${op}: rate limit (${problem}) reached; retry after ${Math.ceil(waitMs / 1000)} s`);
        this.deps.limiter.pauseUntil(this.deps.now() + waitMs);
        continue;
      }
      // Xero's answer to a token without the endpoint's scope: a new token would not have it either.
      if (res.status === 401 && /AuthorizationUnsuccessful/.test(text)) {
        throw missingScopeError({ companyId: this.deps.companyId, sink: this.config.name, setting: this.config.scopes }, op, method, path, this.deps.tokens.granted());
      }
      if (res.status === 401 && !renewed) {
        renewed = true;
        await this.deps.tokens.renew(token);
        continue;
      }
      if (res.status === 401 || res.status === 403) throw new SinkError('auth', `Xero ${op}: HTTP ${res.status} (tenant ${this.config.tenantId} not connected or scope missing)`);
      if (res.status >= 500) {
        await retryLater(`HTTP ${res.status}`, retryAfterMs(res.headers.get('retry-after')));
        continue;
      }
      let json: Json;
      try {
        json = text ? (parseExact(text) as Json) : {};
      } catch {
        await retryLater(`HTTP ${res.status} with a body that is not JSON`, null);
        continue;
      }
      if (res.ok || res.status === 400 || res.status === 404) return { status: res.status, json };
      throw new SinkError('remote-failure', `Xero ${op}: HTTP ${res.status} ${answerMessage({ status: res.status, json })}`);
    }
  }

  private logLimits(op: string, h: Headers): void {
    this.deps.logger.debug('Xero limits', {
      op,
      minuteRemaining: h.get('x-minlimit-remaining'),
      dayRemaining: h.get('x-daylimit-remaining'),
      appMinuteRemaining: h.get('x-appminlimit-remaining'),
    });
  }
}

function retryAfterMs(v: string | null): number | null {
  if (v === null) return null;
  const s = Number(v);
  return Number.isFinite(s) && s >= 0 ? s * 1000 : null;
}
