// One HTTP exchange with Concur: an inactivity timeout, and every failure mapped to a typed error.
import { UntrustedTargetError } from '../net/credential-target.js';
import { ConcurHttpError, ConcurNetworkError, ConcurTimeoutError, ConcurUntrustedUrlError, type ConcurErrorContext } from './errors.js';
import { errorMessageOf } from './xml.js';

export type FetchFn = typeof fetch;

export interface Exchange {
  res: Response;
  ctx: ConcurErrorContext;
  /** Reads the body as text, mapping a broken connection or a timeout to a typed error. */
  text(): Promise<string>;
  /** The body as a byte stream; each chunk pushes the inactivity timeout back. */
  chunks(): AsyncIterable<Uint8Array>;
}

/**
 * Sends one request. The timeout is an inactivity limit (no headers, or no bytes, for `timeoutMs`), so a large
 * file that keeps flowing is never cut off while a stalled one is. Non-2xx answers are returned, not thrown.
 */
export async function exchange(fetchFn: FetchFn, timeoutMs: number, operation: string, url: string, init: RequestInit): Promise<Exchange> {
  const ctx: ConcurErrorContext = { operation, url };
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => abort.abort(), timeoutMs);
  };
  const fail = (err: unknown): never => {
    clearTimeout(timer);
    if (err instanceof UntrustedTargetError) throw new ConcurUntrustedUrlError(`${operation}: ${err.message}`, ctx);
    if (abort.signal.aborted) throw new ConcurTimeoutError(timeoutMs, ctx);
    throw new ConcurNetworkError(`${operation}: ${(err as Error)?.message ?? String(err)}${causeText(err)}`, ctx, { cause: err });
  };
  arm();
  let res: Response;
  try {
    // Redirects are followed by the credential guard (src/concur/hosts.ts), each hop checked.
    res = await fetchFn(url, { ...init, signal: abort.signal });
  } catch (err) {
    return fail(err);
  }
  ctx.correlationId = res.headers.get('concur-correlationid');
  return {
    res,
    ctx,
    async text() {
      try {
        arm();
        const t = await res.text();
        clearTimeout(timer);
        return t;
      } catch (err) {
        return fail(err);
      }
    },
    async *chunks() {
      const reader = res.body?.getReader();
      if (!reader) return clearTimeout(timer);
      let finished = false;
      try {
        for (;;) {
          arm();
          const { done, value } = await reader.read().catch(fail);
          if (done) break;
          yield value;
        }
        finished = true;
      } finally {
        clearTimeout(timer);
        // A consumer that stops early (or a failed read) must not leave the connection half-read.
        if (!finished) await reader.cancel().catch(() => undefined);
      }
    },
  };
}

function causeText(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause ? ` (${cause.code ?? cause.message ?? ''})` : '';
}

/** The typed error for a non-2xx answer whose body was read. */
export function httpError(x: Exchange, body: string): ConcurHttpError {
  return new ConcurHttpError(x.res.status, errorMessageOf(body), x.res.headers.get('retry-after'), x.ctx);
}

/** Throws the typed error for a non-2xx answer (reading its `<Error>` body); returns quietly otherwise. */
export async function throwUnlessOk(x: Exchange): Promise<void> {
  if (x.res.ok) return;
  throw httpError(x, await x.text().catch(() => ''));
}
