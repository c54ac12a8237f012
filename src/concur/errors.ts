// Typed failures of the Concur client: every one says what was called and carries what Concur told us.

export interface ConcurErrorContext {
  /** What the client was doing, e.g. "list batches". */
  operation: string;
  /** The URL called (tokens never appear in URLs). */
  url: string;
  /** The `Concur-Correlationid` response header, for Concur support. */
  correlationId?: string | null;
}

export abstract class ConcurError extends Error {
  readonly operation: string;
  readonly url: string;
  readonly correlationId: string | null;
  constructor(message: string, ctx: ConcurErrorContext, options?: { cause?: unknown }) {
    super(message, options);
    this.operation = ctx.operation;
    this.url = ctx.url;
    this.correlationId = ctx.correlationId ?? null;
  }
}

/** A non-2xx answer. `concurMessage` is the `<Error><Message>` text (or the start of a non-XML body). */
export class ConcurHttpError extends ConcurError {
  override name = 'ConcurHttpError';
  readonly status: number;
  readonly concurMessage: string;
  /** The raw `Retry-After` header (seconds or an HTTP date), if any. */
  readonly retryAfter: string | null;
  constructor(status: number, concurMessage: string, retryAfter: string | null, ctx: ConcurErrorContext) {
    super(`${ctx.operation}: HTTP ${status}${concurMessage ? ` — ${concurMessage}` : ''}${ctx.correlationId ? ` (correlation id ${ctx.correlationId})` : ''}`, ctx);
    this.status = status;
    this.concurMessage = concurMessage;
    this.retryAfter = retryAfter;
  }
}

/** The connection failed or broke before a complete answer arrived. */
export class ConcurNetworkError extends ConcurError {
  override name = 'ConcurNetworkError';
}

/** No answer within the request timeout. */
export class ConcurTimeoutError extends ConcurError {
  override name = 'ConcurTimeoutError';
  readonly timeoutMs: number;
  constructor(timeoutMs: number, ctx: ConcurErrorContext) {
    super(`${ctx.operation}: no answer within ${timeoutMs} ms`, ctx);
    this.timeoutMs = timeoutMs;
  }
}

/** A 2xx answer the client cannot use (not XML, a required element missing, a malformed value). */
export class ConcurProtocolError extends ConcurError {
  override name = 'ConcurProtocolError';
}

/** The refresh token is dead (`invalid_grant`): a person must re-authorise the company. */
export class ConcurReauthRequiredError extends ConcurError {
  override name = 'ConcurReauthRequiredError';
  readonly companyId: string;
  constructor(companyId: string, detail: string, ctx: ConcurErrorContext) {
    super(`company ${companyId} needs re-authorisation: ${detail}`, ctx);
    this.companyId = companyId;
  }
}

/** The configuration cannot work (no base URL, no credentials, 401 from Concur). */
export class ConcurConfigError extends ConcurError {
  override name = 'ConcurConfigError';
}

/** Credentials refused before they left: the URL is not https to one of Concur's hosts. Never retried. */
export class ConcurUntrustedUrlError extends ConcurError {
  override name = 'ConcurUntrustedUrlError';
}
