// The QI Tech sandbox's HTTP face: the settlement endpoints, each request's ES512 JWT checked against the
// client's public key (body MD5, method, uri, time), documented error bodies, and injected faults.
import type { KeyObject } from 'node:crypto';
import http from 'node:http';
import { seededRandom, type SandboxClock } from '../clock.js';
import { qiErrors, type QiError } from './errors.js';
import { signatureProblem } from './signature.js';
import { batchJson, type QiTechState, type Result, settlementJson } from './state.js';

export type Operation = 'createBatch' | 'getBatch' | 'setBatchStatus' | 'insertSettlement' | 'getSettlement' | 'setSettlementStatus';

export interface FaultOptions {
  /** Share of requests answered 503 before anything changes, in [0, 1]. */
  rate: number;
  seed?: number;
}

export interface ServerOptions {
  state: QiTechState;
  clock: SandboxClock;
  /** API-CLIENT-KEY to the public key its JWTs must verify against. */
  clients: Map<string, KeyObject>;
  /** How far a JWT's timestamp may be from the sandbox clock. */
  maxSkewMs: number;
  faults: FaultOptions | null;
}

export interface Counters {
  requests: Map<Operation, number>;
  /** Error answers by QI code. */
  errors: Map<string, number>;
}

const ROUTE = /^\/settlement\/fund_class\/([^/]+)\/payment_batch(?:\/([^/]+)(\/settlement(?:\/([^/]+))?)?)?$/;
const MAX_BODY = 256 * 1024;

function decode(part: string | undefined): string | undefined {
  if (part === undefined) return undefined;
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function operationOf(method: string, batchId: string | undefined, settlementPart: boolean, settlementId: string | undefined): Operation | null {
  if (batchId === undefined) return method === 'POST' ? 'createBatch' : null;
  if (!settlementPart) return method === 'GET' ? 'getBatch' : method === 'PUT' ? 'setBatchStatus' : null;
  if (settlementId === undefined) return method === 'POST' ? 'insertSettlement' : null;
  return method === 'GET' ? 'getSettlement' : method === 'PUT' ? 'setSettlementStatus' : null;
}

export function createQiTechServer(opts: ServerOptions): { server: http.Server; counters: Counters; setFaults(f: FaultOptions | null): void; failNext(op: Operation, times?: number): void } {
  const { state } = opts;
  const counters: Counters = { requests: new Map(), errors: new Map() };
  const failures = new Map<Operation, number>();
  let faults = opts.faults;
  let random = seededRandom(faults?.seed ?? 1);

  function sendJson(res: http.ServerResponse, status: number, json: string): void {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  }
  function sendError(res: http.ServerResponse, e: QiError): void {
    counters.errors.set(e.body.code, (counters.errors.get(e.body.code) ?? 0) + 1);
    sendJson(res, e.status, JSON.stringify(e.body));
  }
  function answer<T>(res: http.ServerResponse, r: Result<T>, status: number, render: (v: T) => string): void {
    if (r.ok) sendJson(res, status, render(r.value));
    else sendError(res, r.error);
  }

  /** The reason a request's signature is refused, or null when it holds. */
  async function refusal(req: http.IncomingMessage, body: Buffer): Promise<string | null> {
    const clientKey = req.headers['api-client-key'];
    const publicKey = typeof clientKey === 'string' ? opts.clients.get(clientKey) : undefined;
    if (!publicKey) return 'unknown API-CLIENT-KEY';
    const token = req.headers.authorization;
    if (!token) return 'AUTHORIZATION header missing';
    return signatureProblem({ token, publicKey, method: req.method ?? '', url: req.url ?? '', body, now: opts.clock.now(), maxSkewMs: opts.maxSkewMs });
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): Promise<void> {
    const method = req.method ?? 'GET';
    const m = ROUTE.exec(new URL(req.url ?? '/', 'http://sandbox').pathname);
    const op = m ? operationOf(method, m[2], m[3] !== undefined, m[4]) : null;
    if (!m || !op) return sendError(res, qiErrors.notFound());
    counters.requests.set(op, (counters.requests.get(op) ?? 0) + 1);
    const problem = await refusal(req, raw);
    if (problem) return sendError(res, qiErrors.unauthorized(problem));
    const pending = failures.get(op) ?? 0;
    if (pending > 0 || (faults && random() < faults.rate)) {
      if (pending > 0) failures.set(op, pending - 1);
      return sendError(res, qiErrors.unavailable());
    }
    const fund = decode(m[1])!;
    const text = raw.toString('utf8');
    let body: Record<string, unknown> = {};
    if (method !== 'GET') {
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return sendError(res, qiErrors.invalidField('body', 'is not JSON'));
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return sendError(res, qiErrors.invalidField('body', 'is not a JSON object'));
    }
    if (op === 'createBatch') return answer(res, state.create(fund, body), 201, batchJson);
    const batchId = decode(m[2])!;
    const batch = state.batch(fund, batchId);
    if (!batch) return sendError(res, qiErrors.batchNotFound(batchId));
    switch (op) {
      case 'getBatch':
        return sendJson(res, 200, batchJson(batch));
      case 'setBatchStatus':
        return answer(res, state.setStatus(batch, body.batch_status), 200, (b) => JSON.stringify({ external_id: b.external_id, status: b.status }));
      case 'insertSettlement':
        return answer(res, state.insert(batch, body, text), 201, settlementJson);
    }
    const settlementId = decode(m[4])!;
    const settlement = batch.settlements.get(settlementId);
    if (!settlement) return sendError(res, qiErrors.settlementNotFound(settlementId));
    if (op === 'getSettlement') return sendJson(res, 200, settlementJson(settlement));
    if (body.status !== 'discarded') return sendError(res, qiErrors.invalidStatus(String(body.status)));
    if (batch.status !== 'pending_settlements_insertion') return sendError(res, qiErrors.batchNotOpen(batch.external_id, batch.status));
    settlement.status = 'discarded';
    return sendJson(res, 200, settlementJson(settlement));
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', async () => {
      try {
        if (size > MAX_BODY) return sendError(res, qiErrors.invalidField('body', 'too large'));
        await handle(req, res, Buffer.concat(chunks));
      } catch (error) {
        if (!res.headersSent) sendJson(res, 500, JSON.stringify({ title: 'Sandbox failure', description: (error as Error).message, translation: '', code: 'SBX000500' }));
        else res.destroy();
      }
    });
  });
  return {
    server,
    counters,
    setFaults(f) {
      faults = f;
      random = seededRandom(f?.seed ?? 1);
    },
    failNext(op, times = 1) {
      failures.set(op, (failures.get(op) ?? 0) + times);
    },
  };
}
