// Where Concur credentials may go: the configured base URL's host and Concur's own documented hosts.
import type { ConcurConfig } from '../config/schema.js';
import { credentialFetch, hostsOf, type CredentialFetchOptions } from '../net/credential-target.js';
import type { FetchFn } from './http.js';

/** www.concursolutions.com and the geolocations (us.api…, emea.api…, us2.api…, …) are all under this domain. */
const CONCUR_DOMAIN = 'concursolutions.com';

const isConcurDomain = (host: string) => host === CONCUR_DOMAIN || host.endsWith(`.${CONCUR_DOMAIN}`);

export function concurTargets(config: ConcurConfig): CredentialFetchOptions {
  const configured = hostsOf(config.baseUrl, config.auth?.kind === 'oauth' ? config.auth.geolocation : undefined);
  return {
    service: 'Concur',
    trusted: (host) => isConcurDomain(host) || configured(host),
    // Concur's own documented File-Url example is plain http://www.concursolutions.com/…: its hosts are asked over TLS.
    rewrite: (url) => (url.protocol === 'http:' && isConcurDomain(url.hostname.toLowerCase()) ? new URL(`https:${url.href.slice('http:'.length)}`) : url),
  };
}

/** The fetch every Concur call goes through (token requests, batch list, closes, downloads, their redirects). */
export function concurFetch(fetchFn: FetchFn, config: ConcurConfig): FetchFn {
  return credentialFetch(fetchFn, concurTargets(config));
}
