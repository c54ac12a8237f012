// The sandbox's HTTP face: Concur's routes, status codes and headers, plus seeded fault injection.
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { seededRandom } from '../clock.js';
import { bump, EMPTY_BATCH_MESSAGE, type SandboxBatch, type SandboxCompany, type SandboxState } from './state.js';
import { batchListXml, batchStatusXml, errorXml } from './xml.js';

export type FaultKind = '429' | '503' | '500' | 'reset' | 'slow';

export interface FaultOptions {
  /** Share of requests that fail, in [0, 1]. */
  rate: number;
  seed?: number;
  kinds?: FaultKind[];
  /** Retry-After sent with 429 and 503 (default 1). */
  retryAfterSeconds?: number;
  /** How long a slow answer is held back (default 250 ms). */
  slowMs?: number;
}

export interface ServerOptions {
  state: SandboxState;
  baseUrl: () => string;
  latencyMs: number;
  faults: FaultOptions | null;
}

const PREFIX = '/api/expense/paymentbatch';
const LIST = /^\/api\/expense\/paymentbatch\/v1\.1\/batchlist(?:\/([^/]*))?\/?$/;
const CLOSE = /^\/api\/expense\/paymentbatch\/(v1\.[12])\/batch\/([^/]+)\/close$/;
const FILE = /^\/api\/expense\/paymentbatch\/v1\.1\/batch\/([^/]+)\/file$/;
const MAX_BODY = 64 * 1024;
const ALL_FAULTS: FaultKind[] = ['429', '503', '500', 'reset', 'slow'];

type Res = http.ServerResponse;
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SandboxServer {
  server: http.Server;
  setFaults(f: FaultOptions | null): void;
  /** Resolves once no request is being handled (a slow answer included). */
  idle(): Promise<void>;
  /** Requests received, and the most handled at once (latency included): the concurrency a client reached. */
  load(): { requests: number; inFlight: number; peakInFlight: number };
}

export function createSandboxServer(opts: ServerOptions): SandboxServer {
  const { state } = opts;
  let inFlight = 0;
  let peakInFlight = 0;
  let requests = 0;
  let idleWaiters: Array<() => void> = [];
  const done = () => {
    if (--inFlight > 0) return;
    for (const w of idleWaiters) w();
    idleWaiters = [];
  };
  let faults = opts.faults;
  let random = seededRandom(faults?.seed ?? 1);

  function send(res: Res, status: number, contentType: string, body: string | Buffer, headers: Record<string, string> = {}): void {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    res.writeHead(status, { 'content-type': contentType, 'content-length': String(bytes.length), ...headers });
    res.end(bytes);
  }
  function sendError(res: Res, status: number, message: string, headers: Record<string, string> = {}): void {
    send(res, status, 'application/xml; charset=utf-8', errorXml(message, new Date(state.now()), randomUUID().toUpperCase()), headers);
  }

  function pickFault(): FaultKind | null {
    if (!faults || faults.rate <= 0 || random() >= faults.rate) return null;
    const kinds = faults.kinds?.length ? faults.kinds : ALL_FAULTS;
    return kinds[Math.floor(random() * kinds.length)] ?? null;
  }

  /** Fails the request without touching state; true when the request is answered (or dropped). */
  async function fault(kind: FaultKind, req: http.IncomingMessage, res: Res, path: string): Promise<boolean> {
    bump(state.counters.faults, kind);
    const retryAfter = String(faults?.retryAfterSeconds ?? 1);
    if (kind === '429') sendError(res, 429, 'Request limit exceeded. Slow down.', { 'retry-after': retryAfter });
    else if (kind === '503') sendError(res, 503, 'The service is temporarily unavailable.', { 'retry-after': retryAfter });
    else if (kind === '500') sendError(res, 500, 'An internal error occurred. Please try again later.');
    else if (kind === 'reset') {
      // Headers promise the whole body; half of it arrives, then the connection drops.
      const file = req.method === 'GET' ? state.files.get(path) : undefined;
      const body = file?.bytes ?? Buffer.from(`<?xml version="1.0" encoding="utf-8"?><BatchList xmlns="${PREFIX}">`.padEnd(400, ' '));
      res.writeHead(200, { 'content-type': file?.contentType ?? 'application/xml', 'content-length': String(body.length) });
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
    } else {
      await delay(faults?.slowMs ?? 250);
      // A client that gave up meanwhile gets nothing, and nothing changes.
      return req.socket.destroyed || res.destroyed;
    }
    return true;
  }

  function authorised(req: http.IncomingMessage, res: Res): SandboxCompany | null {
    const header = req.headers.authorization;
    if (!header) {
      sendError(res, 401, 'Unauthorized. The Authorization header is missing.');
      return null;
    }
    const m = /^(Bearer|OAuth)\s+(\S+)\s*$/i.exec(header);
    const company = m ? state.companyOfToken(m[2]!) : undefined;
    if (!company) {
      sendError(res, 403, 'Forbidden. The access token is invalid, expired or revoked.');
      return null;
    }
    state.settle(company);
    return company;
  }

  function batchFor(company: SandboxCompany, rawId: string, res: Res): SandboxBatch | null {
    let id: string;
    try {
      id = decodeURIComponent(rawId);
    } catch {
      id = rawId;
    }
    const batch = state.batchByEncId(id);
    if (!batch || batch.companyId !== company.id) {
      sendError(res, 404, 'The Batch ID specified in the URI is invalid.');
      return null;
    }
    return batch;
  }

  function token(res: Res, body: string, contentType: string | undefined): void {
    const json = (status: number, value: object) => send(res, status, 'application/json', JSON.stringify(value));
    const geolocation = opts.baseUrl();
    if (!/^application\/x-www-form-urlencoded\b/i.test(contentType ?? '')) {
      return json(400, { code: 65, error: 'invalid_request', error_description: 'grant_type was not supplied', geolocation });
    }
    const form = new URLSearchParams(body);
    const company = state.companyByClientId(form.get('client_id') ?? '');
    if (!form.get('client_id')) return json(400, { code: 62, error: 'invalid_request', error_description: 'client_id was not supplied', geolocation });
    if (!company) return json(401, { code: 61, error: 'invalid_client', error_description: 'client not found', geolocation });
    if (form.get('client_secret') !== company.clientSecret) return json(401, { code: 64, error: 'invalid_client', error_description: 'Incorrect credentials. Please Retry', geolocation });
    if (form.get('grant_type') !== 'refresh_token') return json(400, { code: 60, error: 'invalid_grant', error_description: 'these are not the grants you are looking for', geolocation });
    const refreshToken = form.get('refresh_token');
    if (!refreshToken) return json(400, { code: 106, error: 'invalid_request', error_description: 'refresh_token was not supplied', geolocation });
    const granted = state.grant(company, refreshToken);
    if (!granted) return json(400, { code: 108, error: 'invalid_grant', error_description: 'bad or expired refresh token', geolocation });
    json(200, {
      expires_in: String(granted.expiresIn),
      scope: 'PAYBAT',
      token_type: 'Bearer',
      access_token: granted.accessToken,
      refresh_token: granted.refreshToken,
      id_token: `id.${company.id}`,
      geolocation,
    });
  }

  function list(company: SandboxCompany, res: Res, statusText: string | null): void {
    if (statusText && !/^(OPEN|CLOSED)$/i.test(statusText)) return sendError(res, 400, `The status ${statusText} is invalid. Use OPEN or CLOSED.`);
    const wanted = statusText?.toUpperCase() ?? null;
    const base = opts.baseUrl();
    const batches = [...company.batches.values()]
      .filter((b) => wanted === null || b.status === wanted)
      .map((b) => ({
        BatchName: b.name,
        BatchID: b.id,
        BatchTotal: state.total(b),
        Currency: b.currency,
        Count: String(b.reports),
        Type: b.type,
        PaymentMethod: b.paymentMethod,
        'Batch-URL': `${base}${PREFIX}/v1.1/batch/${b.encId}`,
      }));
    send(res, 200, 'application/xml; charset=utf-8', batchListXml(batches));
  }

  function close(batch: SandboxBatch, version: string, res: Res): void {
    bump(version === 'v1.2' ? state.counters.closeV12 : state.counters.closeV11, batch.id);
    if (batch.reports === 0) return sendError(res, 500, EMPTY_BATCH_MESSAGE);
    const jobQueueKey = state.newJobKey(batch);
    if (version === 'v1.2') {
      // Asynchronous: the batch shows CLOSED once the job has run. A closed batch's file is regenerated.
      if (batch.status === 'OPEN' && batch.closesAt === null) batch.closesAt = state.now() + state.opts.closeDelayMs;
      else if (batch.status === 'CLOSED') batch.generations++;
      return send(res, 200, 'application/xml; charset=utf-8', batchStatusXml({ status: 'SUCCESS', jobQueueKey }));
    }
    if (batch.status === 'OPEN') state.markClosed(batch, 'api', state.now());
    const file = state.generateFile(batch);
    send(res, 200, 'application/xml; charset=utf-8', batchStatusXml({ batchStatus: 'CLOSED', fileUrl: `${opts.baseUrl()}${file.path}`, status: 'SUCCESS', jobQueueKey }));
  }

  async function download(company: SandboxCompany, path: string, res: Res): Promise<void> {
    const file = state.files.get(path);
    if (!file || file.companyId !== company.id) return sendError(res, 404, 'The Batch ID specified in the URI is invalid.');
    bump(state.counters.downloads, `${opts.baseUrl()}${path}`);
    const disposition = { 'content-disposition': `attachment; filename="${file.fileName}"` };
    if (file.bytes) return send(res, 200, file.contentType, file.bytes, disposition);
    res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.size), ...disposition });
    // A client that stops reading (or goes away) ends the stream; the request still finishes.
    await pipeline(createReadStream(file.diskPath ?? ''), res).catch(() => res.destroy());
  }

  async function handle(req: http.IncomingMessage, res: Res, body: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'POST' && /chunked/i.test(req.headers['transfer-encoding'] ?? '')) {
      return sendError(res, 400, 'Chunked transfer encoding is not supported. Send a Content-Length.');
    }
    const kind = pickFault();
    if (kind && (await fault(kind, req, res, path))) return;

    const route = (allowed: string, run: () => void) => (method === allowed ? run() : sendError(res, 405, `The method ${method} is not allowed here.`, { allow: allowed }));
    if (path === '/oauth2/v0/token') return route('POST', () => token(res, body, req.headers['content-type']));
    const listMatch = LIST.exec(path);
    const closeMatch = CLOSE.exec(path);
    const fileMatch = FILE.exec(path);
    if (!listMatch && !closeMatch && !fileMatch) return sendError(res, 404, 'The requested resource was not found.');
    const company = authorised(req, res);
    if (!company) return;
    if (listMatch) {
      const statusParam = [...url.searchParams].find(([k]) => k.toLowerCase() === 'status')?.[1];
      return route('GET', () => list(company, res, listMatch[1] || statusParam || null));
    }
    if (closeMatch) {
      return route('POST', () => {
        const batch = batchFor(company, closeMatch[2]!, res);
        if (batch) close(batch, closeMatch[1]!, res);
      });
    }
    if (method !== 'GET') return sendError(res, 405, `The method ${method} is not allowed here.`, { allow: 'GET' });
    return download(company, path, res);
  }

  const server = http.createServer((req, res) => {
    res.setHeader('concur-correlationid', randomUUID());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    requests++;
    peakInFlight = Math.max(peakInFlight, ++inFlight);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      done();
    };
    req.on('error', finish);
    req.on('end', () => {
      void (async () => {
        if (opts.latencyMs > 0) await delay(opts.latencyMs);
        if (size > MAX_BODY) return sendError(res, 400, 'The request body is too large.');
        await handle(req, res, Buffer.concat(chunks).toString('utf8'));
      })()
        .catch((err: unknown) => {
          if (!res.headersSent) sendError(res, 500, `Sandbox failure: ${(err as Error).message}`);
          else res.destroy();
        })
        .finally(finish);
    });
  });
  return {
    server,
    load: () => ({ requests, inFlight, peakInFlight }),
    idle: () => (inFlight === 0 ? Promise.resolve() : new Promise((r) => idleWaiters.push(r))),
    setFaults(f) {
      faults = f;
      random = seededRandom(f?.seed ?? 1);
    },
  };
}
