// One POST of one alert to one target. TLS is verified (the platform's fetch); redirects are not followed (the
// body would go where the receiver's answer says); the URL holds a token and appears in no error we make.
import type { AlertTarget } from './config.js';
import { renderBody, type AlertMessage } from './render.js';
import { SIGNATURE_HEADER, signature } from './sign.js';

/** Answers that refuse the message itself: sending it again cannot help. */
const REFUSES_MESSAGE = new Set([400, 413, 415, 422]);

export type SendResult = { ok: true } | { ok: false; permanent: boolean; error: string };

export interface SendOptions {
  timeoutMs: number;
  fetch: typeof fetch;
  nowSeconds: number;
}

/** The first bytes of an answer, for the error (Slack answers e.g. "invalid_payload"); the rest is not read. */
async function answerStart(res: Response): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const { value } = await reader.read().catch(() => ({ value: undefined }));
  await reader.cancel().catch(() => undefined);
  return value ? Buffer.from(value).subarray(0, 200).toString('utf8').replace(/\s+/g, ' ').trim() : '';
}

/** A failure's cause without the URL (undici's "fetch failed" hides it in `cause`). */
function networkError(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'no answer within the time limit';
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}

export async function sendAlert(target: AlertTarget, message: AlertMessage, o: SendOptions): Promise<SendResult> {
  const body = renderBody(target.type, message);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'erp-sync-alerts' };
  if (target.type === 'webhook') {
    headers[SIGNATURE_HEADER] = signature(target.secret, body, o.nowSeconds);
    headers['x-erp-sync-alert-id'] = message.id;
  }
  let res: Response;
  try {
    res = await o.fetch(target.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(o.timeoutMs) });
  } catch (e) {
    return { ok: false, permanent: false, error: networkError(e) };
  }
  const said = await answerStart(res);
  if (res.status >= 200 && res.status < 300) return { ok: true };
  const error = `HTTP ${res.status}${said ? `: ${said}` : ''}${res.status >= 300 && res.status < 400 ? ' (a redirect: not followed; configure the final URL)' : ''}`;
  // A refusal of this message's body is final; anything else is about the receiver (down, revoked, moved) and passes.
  return { ok: false, permanent: REFUSES_MESSAGE.has(res.status), error };
}
