// Where credentials may go: https to a trusted host, plain http only to a trusted loopback host (the sandboxes).
// Every client that sends a token or key wraps its fetch with `credentialFetch`, so a URL handed to us by a
// remote (a File-Url, a geolocation, a redirect) can never carry our credentials elsewhere.
import { isIP } from 'node:net';

/** Credentials refused before they left: a configuration or a remote pointed elsewhere. Never retried. */
export class UntrustedTargetError extends Error {
  override readonly name = 'UntrustedTargetError';
  readonly retryable = false;
}

/** A predicate on a lower-case host name (IPv6 without brackets). */
export type TrustedHost = (host: string) => boolean;

/** Redirects followed (each hop checked) before the answer counts as a failure. */
const MAX_REDIRECTS = 5;

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1';
}

/** The hosts of the given URLs (configured endpoints), for an exact-match trust list. */
export function hostsOf(...urls: Array<string | undefined | null>): TrustedHost {
  const hosts = new Set(urls.filter((u): u is string => Boolean(u)).map((u) => new URL(u).hostname.toLowerCase().replace(/^\[|\]$/g, '')));
  return (host) => hosts.has(host);
}

/** Why `url`'s transport must not carry a secret (https anywhere; plain http only to a loopback host), or null. */
export function insecureTransport(url: URL): string | null {
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return null;
  return `${url.protocol.replace(/:$/, '')} is not https`;
}

/** Why credentials must not go to `url`, or null when they may. */
export function untrustedReason(url: URL, trusted: TrustedHost): string | null {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (!trusted(host)) return `host ${host} is not one of the service's own hosts`;
  return insecureTransport(url);
}

export interface CredentialFetchOptions {
  /** Whose credentials, for the error message ("Concur", "Xero"). */
  service: string;
  trusted: TrustedHost;
  /** Rewrites a URL before it is checked (Concur: its own hosts over https). */
  rewrite?: (url: URL) => URL;
}

/** The URL to call, or UntrustedTargetError. */
export function credentialTarget(raw: URL, opts: CredentialFetchOptions): URL {
  const url = opts.rewrite ? opts.rewrite(raw) : raw;
  const reason = untrustedReason(url, opts.trusted);
  if (reason) throw new UntrustedTargetError(`refused to send ${opts.service} credentials to ${url.origin}: ${reason} (only https to the service's own hosts; plain http only to loopback)`);
  return url;
}

/**
 * A fetch that checks every URL it calls, including each redirect hop, before any header leaves; redirects are
 * followed here (the platform would follow them before we could look) with the fetch spec's method rules.
 */
export function credentialFetch(fetchFn: typeof fetch, opts: CredentialFetchOptions): typeof fetch {
  return async (input, init = {}) => {
    let url = credentialTarget(new URL(input instanceof Request ? input.url : String(input)), opts);
    let request: RequestInit = { ...init, redirect: 'manual' };
    for (let hop = 0; ; hop++) {
      const res = await fetchFn(url, request);
      const location = res.headers.get('location');
      if (![301, 302, 303, 307, 308].includes(res.status) || !location || hop >= MAX_REDIRECTS) return res;
      await res.body?.cancel().catch(() => undefined);
      url = credentialTarget(new URL(location, url), opts);
      const method = (request.method ?? 'GET').toUpperCase();
      if (res.status === 303 ? method !== 'HEAD' : (res.status === 301 || res.status === 302) && method === 'POST') {
        const headers = new Headers(request.headers);
        headers.delete('content-type');
        request = { ...request, method: 'GET', body: undefined, headers };
      }
    }
  };
}
