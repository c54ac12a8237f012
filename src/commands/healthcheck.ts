// `erp-sync healthcheck`: asks the running daemon's /healthz on the configured port (the container's HEALTHCHECK),
// so the probe follows http.port wherever it was set (flag, environment, file or the image's defaults).
import type { Config } from '../config/schema.js';

/** A daemon listening on every interface answers on loopback; a specific address is asked directly. */
function probeHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

export async function runHealthcheck(config: Config, out: NodeJS.WritableStream, timeoutMs = 5_000): Promise<number> {
  const url = `http://${probeHost(config.http.host)}:${config.http.port}/healthz`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    out.write(`${url}: ${res.status}\n`);
    return res.ok ? 0 : 1;
  } catch (e) {
    out.write(`${url}: ${(e as Error).message}\n`);
    return 1;
  }
}
