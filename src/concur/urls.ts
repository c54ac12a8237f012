// The only URL surgery the client does. Ids inside Concur URLs are opaque (they contain `$`): never re-encoded, never rebuilt.

/**
 * A URL exactly as Concur gave it, minus whitespace: no URL contains any, and Concur's own documented
 * example has a stray space inside (`http:// www…`). Null when what is left is not an http(s) URL.
 */
export function cleanUrl(raw: string): string | null {
  const url = raw.replace(/\s+/g, '');
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

// The version segment just before `/batch/`, e.g. `/v1.1/` in `…/paymentbatch/v1.1/batch/{id}`.
const VERSION_BEFORE_BATCH = /\/v\d+(?:\.\d+)?\/(?=batch\/[^/?#]+)/;

/**
 * The close URL for a batch, derived from its `Batch-URL` and nothing else: the version segment in front of
 * `/batch/` becomes `version`, and `/close` is appended unless the URL already ends with it.
 * `…/v1.1/batch/n$Ab$c` → `…/v1.2/batch/n$Ab$c/close`. Null when the URL has no such segment.
 */
export function closeUrlFor(batchUrl: string, version: 'v1.1' | 'v1.2'): string | null {
  const url = cleanUrl(batchUrl);
  if (url === null || !VERSION_BEFORE_BATCH.test(url) || /[?#]/.test(url)) return null;
  const versioned = url.replace(VERSION_BEFORE_BATCH, `/${version}/`).replace(/\/+$/, '');
  return versioned.endsWith('/close') ? versioned : `${versioned}/close`;
}

/** The batch list URL; the status travels as the documented `Status` parameter (the client also filters itself). */
export function batchListUrl(apiBase: string, status?: 'OPEN' | 'CLOSED'): string {
  const base = `${apiBase.replace(/\/+$/, '')}/api/expense/paymentbatch/v1.1/batchlist`;
  return status ? `${base}?Status=${status}` : base;
}

/** The OAuth2 token endpoint under a geolocation (e.g. `https://us.api.concursolutions.com`). */
export function tokenUrl(geolocation: string): string {
  return `${geolocation.replace(/\/+$/, '')}/oauth2/v0/token`;
}
