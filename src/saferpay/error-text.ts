// Saferpay's own words for a failed close, in one line: ErrorName/Behavior, HTTP status, ErrorMessage and details.
import type { SaferpayStatus } from './store.js';

/** What Saferpay said, as said: `ErrorName/Behavior HTTP 402: ErrorMessage (ErrorDetail; …)`, else our own reason. */
export function saferpayError(s: Pick<SaferpayStatus, 'errorName' | 'behavior' | 'httpStatus' | 'errorMessage' | 'errorDetail' | 'lastError'>): string {
  if (!s.errorName) return s.lastError ?? '';
  const status = s.httpStatus !== null ? ` HTTP ${s.httpStatus}` : '';
  const message = s.errorMessage ? `: ${s.errorMessage}` : '';
  const detail = s.errorDetail?.length ? ` (${s.errorDetail.join('; ')})` : '';
  return `${s.errorName}/${s.behavior ?? '-'}${status}${message}${detail}`;
}
