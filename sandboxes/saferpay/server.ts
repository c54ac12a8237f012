// The Saferpay sandbox's HTTP face: Basic auth, header and body validation with Saferpay's error shape and status
// codes, RetryIndicator semantics, and fault injection (queued for tests, seeded at a rate for demos).
import http from 'node:http';
import { seededRandom, type SandboxClock } from '../clock.js';
import { parseCloseRequest, type CloseRequestFields } from './validate.js';

export const CLOSE_PATH = '/api/Payment/v1/Batch/Close';

/** Faults in front of Saferpay (firewall, proxy) and behind it (errors, late or lost answers of executed closes). */
export type FaultKind = 'firewall-403' | 'proxy-502' | 'internal-500' | 'slow' | 'drop';
/** A JSON error to answer once, as Saferpay would (the close is not executed). */
export interface InjectedError {
  status: number;
  errorName: string;
  behavior: string;
  message?: string;
  details?: string[];
}
export type Injected = FaultKind | InjectedError;

export interface FaultOptions {
  rate: number;
  seed?: number;
  kinds?: FaultKind[];
  /** How long a slow answer is held back (default 250 ms). */
  slowMs?: number;
}

export interface SandboxCustomer {
  customerId: string;
  username: string;
  password: string;
  terminalIds: string[];
}

export interface ExecutedClose {
  terminalId: string;
  requestId: string;
  at: number;
}

export interface SeenRequest extends CloseRequestFields {
  status: number;
  /** True when this request closed the batch (a replayed retry does not). */
  executed: boolean;
  fault: Injected | null;
}

export interface SaferpayState {
  clock: SandboxClock;
  customers: SandboxCustomer[];
  closes: ExecutedClose[];
  requests: SeenRequest[];
  faultCounts: Map<string, number>;
  queue: Injected[];
  faults: FaultOptions | null;
  /** Terminals whose batch the Backoffice or the automatic closure closed since the last API close. */
  closedElsewhere: Set<string>;
}

type Res = http.ServerResponse;
const ALL: FaultKind[] = ['firewall-403', 'proxy-502', 'internal-500', 'slow', 'drop'];
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function send(res: Res, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

const HTML = (title: string) => `<!DOCTYPE html><html><head><title>${title}</title></head><body><h1>${title}</h1><p>Request blocked.</p></body></html>`;

interface ErrorBody {
  errorName: string;
  behavior: string;
  message: string;
  details?: string[];
}

function jsonError(res: Res, status: number, requestId: string | null, specVersion: string, e: ErrorBody): void {
  const body = {
    ResponseHeader: { SpecVersion: specVersion, RequestId: requestId ?? '' },
    Behavior: e.behavior,
    ErrorName: e.errorName,
    ErrorMessage: e.message,
    ...(e.details?.length ? { ErrorDetail: e.details } : {}),
  };
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

export function createSaferpayServer(state: SaferpayState, newestSpec: string): { server: http.Server; setFaults(f: FaultOptions | null): void } {
  let random = seededRandom(state.faults?.seed ?? 1);
  // First answer of every executed RequestId: a retry of it gets the same answer, without a second close.
  const executed = new Map<string, { status: number; body: string }>();

  function nextFault(): Injected | null {
    const queued = state.queue.shift();
    if (queued) return queued;
    const f = state.faults;
    if (!f || f.rate <= 0 || random() >= f.rate) return null;
    const kinds = f.kinds?.length ? f.kinds : ALL;
    return kinds[Math.floor(random() * kinds.length)] ?? null;
  }
  const count = (f: Injected) => {
    const key = typeof f === 'string' ? f : f.errorName;
    state.faultCounts.set(key, (state.faultCounts.get(key) ?? 0) + 1);
  };

  function customerOf(header: string | undefined): SandboxCustomer | null {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
    if (!m) return null;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const [user, pass] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
    return state.customers.find((c) => colon > 0 && c.username === user && c.password === pass) ?? null;
  }

  async function handle(req: http.IncomingMessage, res: Res, body: string): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== CLOSE_PATH) return send(res, 404, 'text/html', HTML('404 Not Found'));
    if (req.method !== 'POST') return send(res, 405, 'text/html', HTML('405 Method Not Allowed'));
    let fault = nextFault();
    if (fault !== null) count(fault);
    if (fault === 'firewall-403') return send(res, 403, 'text/html', HTML('403 Forbidden'));
    if (fault === 'proxy-502') return send(res, 502, 'text/html', HTML('502 Bad Gateway'));
    const customer = customerOf(req.headers.authorization);
    const err = (status: number, e: ErrorBody, requestId: string | null = null) => jsonError(res, status, requestId, newestSpec, e);
    if (!customer) return err(401, { errorName: 'AUTHENTICATION_FAILED', behavior: 'DO_NOT_RETRY', message: 'Unable to authenticate request' });
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/json\s*(;\s*charset=utf-8\s*)?$/i.test(type)) {
      return err(415, { errorName: 'VALIDATION_FAILED', behavior: 'DO_NOT_RETRY', message: 'Unsupported media type', details: ['Content-Type must be application/json; charset=utf-8'] });
    }
    // A client that does not take JSON gets no JSON.
    if (!/\bapplication\/json\b/i.test(req.headers.accept ?? '')) return send(res, 406, 'text/plain', 'Not Acceptable');
    const parsed = parseCloseRequest(body);
    if (!parsed.ok) return err(400, { errorName: 'VALIDATION_FAILED', behavior: 'DO_NOT_RETRY', message: 'Request validation failed', details: parsed.details }, parsed.requestId);
    const r = parsed.fields;
    const seen: SeenRequest = { ...r, status: 0, executed: false, fault };
    state.requests.push(seen);
    const answer = (status: number, text: string) => {
      seen.status = status;
      send(res, status, 'application/json; charset=utf-8', text);
    };
    if (r.customerId !== customer.customerId || !customer.terminalIds.includes(r.terminalId)) {
      seen.status = 403;
      return err(403, { errorName: 'PERMISSION_DENIED', behavior: 'DO_NOT_RETRY', message: 'Permission denied', details: [`TerminalId ${r.terminalId} does not belong to customer ${r.customerId} or this user`] }, r.requestId);
    }
    const first = r.retryIndicator > 0 ? executed.get(r.requestId) : undefined;
    if (fault === 'internal-500') fault = { status: 500, errorName: 'INTERNAL_ERROR', behavior: 'RETRY', message: 'Internal error' };
    if (typeof fault === 'object' && fault !== null) {
      seen.status = fault.status;
      return err(fault.status, { errorName: fault.errorName, behavior: fault.behavior, message: fault.message ?? fault.errorName, details: fault.details }, r.requestId);
    }
    if (first) return answer(first.status, first.body);
    if (state.closedElsewhere.delete(r.terminalId)) {
      seen.status = 402;
      return err(402, { errorName: 'BATCH_ALREADY_CLOSED', behavior: 'DO_NOT_RETRY', message: 'The batch is already closed', details: [`The batch of terminal ${r.terminalId} was closed before this request`] }, r.requestId);
    }
    // A new request (RetryIndicator 0, even under a used RequestId) or a retry of one never executed: close.
    const text = JSON.stringify({ ResponseHeader: { SpecVersion: r.specVersion, RequestId: r.requestId } });
    executed.set(r.requestId, { status: 200, body: text });
    state.closes.push({ terminalId: r.terminalId, requestId: r.requestId, at: state.clock.now() });
    seen.executed = true;
    if (fault === 'drop') {
      seen.status = -1;
      return void res.destroy();
    }
    if (fault === 'slow') {
      await delay(state.faults?.slowMs ?? 250);
      if (res.destroyed) return;
    }
    answer(200, text);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((e: unknown) => {
        if (!res.headersSent) send(res, 500, 'text/plain', `sandbox failure: ${(e as Error).message}`);
        else res.destroy();
      });
    });
  });
  return {
    server,
    setFaults(f) {
      state.faults = f;
      random = seededRandom(f?.seed ?? 1);
    },
  };
}
