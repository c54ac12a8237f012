// The daemon's HTTP face: liveness, readiness, Prometheus metrics, and routes other modules mount (webhooks, the console).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../log.js';
import { secretMatcher } from './secret-match.js';

export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface HttpServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Readiness: database reachable and migrations applied. */
  ready: () => Promise<{ ok: boolean; detail: string }>;
  routes?: Record<string, Route>;
  /** Answers every other path (the operator console); absent: 404. */
  fallback?: Route;
  /** When set, GET /metrics needs `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
  logger: Logger;
}

const bearerOf = (header: string | undefined) => /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startHttpServer(opts: HttpServerOptions): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const metricsAllowed = opts.metricsToken ? secretMatcher(opts.metricsToken) : null;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const prefix = Object.keys(opts.routes ?? {}).find((p) => path === p || path.startsWith(`${p}/`));
    // What follows a route's prefix may be a secret (the webhook's path form): never logged.
    const shownPath = prefix && path !== prefix ? `${prefix}/[REDACTED]` : path;
    const handle = async (): Promise<void> => {
      if (req.method === 'GET' && path === '/healthz') return send(res, 200, 'ok\n');
      if (req.method === 'GET' && path === '/readyz') {
        const r = await opts.ready().catch((e: Error) => ({ ok: false, detail: e.message }));
        return send(res, r.ok ? 200 : 503, `${r.detail}\n`);
      }
      if (req.method === 'GET' && path === '/metrics') {
        if (metricsAllowed && !metricsAllowed(bearerOf(req.headers.authorization))) {
          res.setHeader('www-authenticate', 'Bearer realm="metrics"');
          return send(res, 401, 'unauthorized\n');
        }
        return send(res, 200, await opts.registry.metrics(), opts.registry.contentType);
      }
      if (prefix) return opts.routes![prefix]!(req, res);
      if (opts.fallback) return opts.fallback(req, res);
      return send(res, 404, 'not found\n');
    };
    handle().catch((e: Error) => {
      opts.logger.error('http handler failed', { path: shownPath, error: e });
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
