// The QI Tech settlement API over HTTP: every request signed (see jwt.ts), the body sent being the very
// bytes hashed; answers parsed into typed results or a QiTechApiError carrying QI's error code.
import type { KeyObject } from 'node:crypto';
import { claimsFor, signJwt } from './jwt.js';
import { credentialFetch, hostsOf, UntrustedTargetError } from '../../src/net/credential-target.js';

export type Fetch = typeof fetch;

export interface ClientOptions {
  baseUrl: string;
  apiClientKey: string;
  fundClassKey: string;
  privateKey: KeyObject;
  timeoutMs: number;
  fetch?: Fetch;
  now?: () => Date;
}

/** QI Tech's documented error body. */
export interface QiTechErrorBody {
  title?: string;
  description?: string;
  translation?: string;
  code?: string;
}

/** An answer that is not 2xx, with QI's error code when the body carries one. */
export class QiTechApiError extends Error {
  override readonly name = 'QiTechApiError';
  constructor(
    readonly status: number,
    readonly body: QiTechErrorBody,
    readonly request: string,
  ) {
    super(`${request}: HTTP ${status}${body.code ? ` ${body.code}` : ''}${body.title ? ` ${body.title}` : ''}${body.description ? `: ${body.description}` : ''}`);
  }
  get code(): string | undefined {
    return this.body.code;
  }
  /** Worth trying again unchanged: throttling and server-side failures. */
  get transient(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

/** No answer at all (network failure, timeout): the request may or may not have been applied. */
export class QiTechTransportError extends Error {
  override readonly name = 'QiTechTransportError';
  constructor(
    message: string,
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const DUPLICATE_BATCH = 'SET000009';
export const DUPLICATE_SETTLEMENT = 'SET000013';
export const BATCH_WITHOUT_SETTLEMENTS = 'SET000017';

export interface RemoteBatch {
  external_id: string;
  status: string;
  payment_batch_key?: string;
  [field: string]: unknown;
}

export interface RemoteSettlement {
  external_id: string;
  total_value?: unknown;
  status?: string;
  [field: string]: unknown;
}

export class QiTechClient {
  private readonly fetch: Fetch;
  private readonly now: () => Date;
  private readonly root: string;

  constructor(private readonly opts: ClientOptions) {
    // Credentials (API-CLIENT-KEY, the signed JWT) go only to the configured host, over https (http only to loopback).
    this.fetch = credentialFetch(opts.fetch ?? fetch, { service: 'QI Tech', trusted: hostsOf(opts.baseUrl) });
    this.now = opts.now ?? (() => new Date());
    this.root = `/settlement/fund_class/${encodeURIComponent(opts.fundClassKey)}/payment_batch`;
  }

  createBatch(body: string): Promise<RemoteBatch> {
    return this.request('POST', this.root, body);
  }

  getBatch(externalId: string): Promise<RemoteBatch> {
    return this.request('GET', `${this.root}/${encodeURIComponent(externalId)}`);
  }

  insertSettlement(batchExternalId: string, body: string): Promise<RemoteSettlement> {
    return this.request('POST', `${this.root}/${encodeURIComponent(batchExternalId)}/settlement`, body);
  }

  getSettlement(batchExternalId: string, externalId: string): Promise<RemoteSettlement> {
    return this.request('GET', `${this.root}/${encodeURIComponent(batchExternalId)}/settlement/${encodeURIComponent(externalId)}`);
  }

  setBatchStatus(externalId: string, status: 'pending_payment' | 'discarded'): Promise<{ external_id: string; status: string }> {
    return this.request('PUT', `${this.root}/${encodeURIComponent(externalId)}`, JSON.stringify({ batch_status: status }));
  }

  private async request<T>(method: string, uri: string, body?: string): Promise<T> {
    // Hashed and sent as the same Buffer: nothing may re-serialise the body in between.
    const bytes = Buffer.from(body ?? '', 'utf8');
    const token = signJwt(claimsFor(method, uri, bytes, this.now()), this.opts.privateKey);
    const label = `${method} ${uri}`;
    let res: Response;
    try {
      res = await this.fetch(new URL(uri, this.opts.baseUrl), {
        method,
        headers: {
          'API-CLIENT-KEY': this.opts.apiClientKey,
          AUTHORIZATION: token,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body !== undefined ? bytes : undefined,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
    } catch (error) {
      if (error instanceof UntrustedTargetError) throw error;
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new QiTechTransportError(`${label}: ${error instanceof Error ? error.message : String(error)}`, timedOut, { cause: error });
    }
    let text: string;
    try {
      text = await res.text();
    } catch (error) {
      throw new QiTechTransportError(`${label}: answer cut off: ${error instanceof Error ? error.message : String(error)}`, false, { cause: error });
    }
    const parsed = parseJson(text);
    if (!res.ok) throw new QiTechApiError(res.status, errorBody(parsed, text), label);
    // Applied or not, we cannot tell: the caller recovers like after a lost answer (duplicate, then read back).
    if (typeof parsed !== 'object' || parsed === null) throw new QiTechTransportError(`${label}: HTTP ${res.status} with an unreadable body`, false);
    return parsed as T;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorBody(parsed: unknown, text: string): QiTechErrorBody {
  if (parsed && typeof parsed === 'object') {
    const o = parsed as Record<string, unknown>;
    const str = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
    return { title: str('title'), description: str('description'), translation: str('translation'), code: str('code') };
  }
  return { description: text.slice(0, 200) };
}
