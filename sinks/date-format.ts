// The date formats of remote paths and journal files: the tokens yyyy MM dd HH mm ss, always in UTC.
const DATE_TOKEN = /yyyy|MM|dd|HH|mm|ss/g;

/** Whether a format's letters are all tokens (anything else is literal punctuation). */
export const usesOnlyDateTokens = (format: string): boolean => !/[A-Za-z]/.test(format.replace(DATE_TOKEN, ''));

/** Formats a date in UTC with the tokens yyyy MM dd HH mm ss. */
export function formatUtc(date: Date, format: string): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const parts: Record<string, string> = {
    yyyy: pad(date.getUTCFullYear(), 4),
    MM: pad(date.getUTCMonth() + 1),
    dd: pad(date.getUTCDate()),
    HH: pad(date.getUTCHours()),
    mm: pad(date.getUTCMinutes()),
    ss: pad(date.getUTCSeconds()),
  };
  return format.replace(DATE_TOKEN, (t) => parts[t] ?? t);
}
