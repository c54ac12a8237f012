// One Batch Close exchange with Saferpay: the request as documented, every answer mapped to a typed value (never thrown).
import type { SaferpayTerminal } from './config.js';

export type FetchFn = typeof fetch;

export const CLOSE_PATH = '/Payment/v1/Batch/Close';
/** How much of a body that is not JSON (a firewall or proxy page) is kept for the log. */
const HEAD_BYTES = 200;

export type CloseAnswer =
  | { kind: 'ok'; status: number }
  /** A JSON error as documented: decisions rest on errorName and behavior only. */
  | { kind: 'error'; status: number; errorName: string | null; behavior: string | null; message: string | null; details: string[] }
  /** Anything else: a body that is not the documented JSON (firewall 403, proxy page, a foreign success). */
  | { kind: 'unexpected'; status: number; contentType: string | null; head: string }
  /** No answer within the timeout, or a broken connection: the close may or may not have happened. */
  | { kind: 'no-answer'; reason: 'timeout' | 'network'; message: string };

export interface CloseRequest {
  requestId: string;
  retryIndicator: number;
}

export function closeBody(t: SaferpayTerminal, r: CloseRequest): string {
  return JSON.stringify({
    RequestHeader: { SpecVersion: t.specVersion, CustomerId: t.customerId, RequestId: r.requestId, RetryIndicator: r.retryIndicator },
    TerminalId: t.terminalId,
  });
}

function basicAuth(t: SaferpayTerminal): string {
  return `Basic ${Buffer.from(`${t.username}:${t.password}`, 'utf8').toString('base64')}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Reads an answer already received; pure, so every shape is testable without a server. */
export function interpretAnswer(status: number, contentType: string | null, body: string, requestId: string): CloseAnswer {
  const unexpected: CloseAnswer = { kind: 'unexpected', status, contentType, head: body.slice(0, HEAD_BYTES) };
  if (!/^application\/json\b/i.test(contentType ?? '')) return unexpected;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return unexpected;
  }
  if (!isObject(json)) return unexpected;
  if (status >= 200 && status < 300) {
    // Success is the ResponseHeader echoing our RequestId and nothing else of note.
    const header = json.ResponseHeader;
    return isObject(header) && header.RequestId === requestId ? { kind: 'ok', status } : unexpected;
  }
  const details = Array.isArray(json.ErrorDetail) ? json.ErrorDetail.filter((d): d is string => typeof d === 'string') : [];
  return { kind: 'error', status, errorName: str(json.ErrorName), behavior: str(json.Behavior), message: str(json.ErrorMessage), details };
}

/** Sends one close; the timeout covers the whole exchange (headers and body). */
export async function sendClose(fetchFn: FetchFn, t: SaferpayTerminal, r: CloseRequest): Promise<CloseAnswer> {
  const signal = AbortSignal.timeout(t.requestTimeoutMs);
  try {
    const res = await fetchFn(`${t.baseUrl.replace(/\/+$/, '')}${CLOSE_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', accept: 'application/json', authorization: basicAuth(t) },
      body: closeBody(t, r),
      signal,
      redirect: 'error',
    });
    const body = await res.text();
    return interpretAnswer(res.status, res.headers.get('content-type'), body, r.requestId);
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    if (signal.aborted) return { kind: 'no-answer', reason: 'timeout', message: `no answer within ${t.requestTimeoutMs} ms` };
    return { kind: 'no-answer', reason: 'network', message: `${(e as Error).message}${cause ? ` (${cause})` : ''}` };
  }
}
