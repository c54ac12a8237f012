// The Xero sandbox's HTTP face: identity (token) endpoint, the Accounting API routes the sink uses, per-tenant
// rate limits with 429s, Idempotency-Key replay and fault injection.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { parseExact, stringifyExact, type JsonOut } from './json.js';
import { seededRandom, type SandboxClock } from '../clock.js';
import { batchPaymentJson, deleteBatchPayment, invoiceJson, validateBatchPayment, validateInvoice, xeroDateText, type SandboxTenant } from './state.js';
import { parseWhere, WhereError } from './where.js';
import { scopeAllows } from './scopes.js';

export type XeroFaultKind = '429' | '500' | '503' | 'reset';

export interface XeroFaultOptions {
  /** Share of API requests that fail before they are handled, in [0, 1]. */
  rate: number;
  seed?: number;
  kinds?: XeroFaultKind[];
  retryAfterSeconds?: number;
}

export interface SandboxClient {
  clientId: string;
  clientSecret: string;
  tenants: string[];
  /** The scopes enabled for the app (a refresh token carries all of them: the person consented to these). */
  scopes: ReadonlySet<string>;
  refresh: { current: string | null; previous: string | null; previousValidUntil: number };
}

/** Answers to drop after the write was applied (the caller sees the connection die). */
export interface LoseAnswers {
  count: number;
  method?: string;
  path?: string;
}

export interface XeroServerState {
  clock: SandboxClock;
  tenants: Map<string, SandboxTenant>;
  clients: Map<string, SandboxClient>;
  tokens: Map<string, { clientId: string; expiresAt: number; scopes: ReadonlySet<string> }>;
  accessTtlSeconds: number;
  refreshGraceMs: number;
  limits: { concurrent: number; perMinute: number; perDay: number };
  faults: XeroFaultOptions | null;
  loseAnswers: LoseAnswers | null;
  /** The next N API calls answer 429 with this problem. */
  throttle: { count: number; problem: 'minute' | 'concurrent' | 'day'; retryAfterSeconds: number } | null;
  counters: { requests: Map<string, number>; throttled: number; replays: number; faults: number; lostAnswers: number; tokenGrants: number };
}

const API = '/api.xro/2.0';
const DAY = 86_400_000;
type Answer = { status: number; body: JsonOut; headers?: Record<string, string> };
type J = Record<string, unknown>;

export function createXeroServer(s: XeroServerState): { server: http.Server; resetRandom(seed: number): void } {
  let random = seededRandom(s.faults?.seed ?? 1);
  const usage = new Map<string, { inFlight: number; minute: number[]; day: number[] }>();
  const idempotent = new Map<string, { fingerprint: string; answer: Answer }>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, Buffer.concat(chunks).toString('utf8'), res).catch((e: unknown) => send(res, { status: 500, body: { Message: String(e) } }));
    });
  });

  function send(res: http.ServerResponse, a: Answer): void {
    const text = stringifyExact(a.body);
    res.writeHead(a.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...a.headers });
    res.end(text);
  }

  async function handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const route = `${req.method} ${url.pathname.replace(/[0-9a-f-]{36}$/i, '{id}')}`;
    s.counters.requests.set(route, (s.counters.requests.get(route) ?? 0) + 1);
    if (url.pathname === '/connect/token' && req.method === 'POST') return send(res, token(req, body));
    if (!url.pathname.startsWith(API)) return send(res, { status: 404, body: { Title: 'Not Found', Status: '404' } });
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const tok = auth ? s.tokens.get(auth) : undefined;
    if (!tok || tok.expiresAt <= s.clock.now()) return send(res, { status: 401, body: { Title: 'Unauthorized', Status: '401', Detail: 'TokenExpired: token expired or invalid' } });
    const tenantId = String(req.headers['xero-tenant-id'] ?? '');
    const tenant = s.tenants.get(tenantId);
    if (!tenant || !s.clients.get(tok.clientId)?.tenants.includes(tenantId)) return send(res, { status: 403, body: { Title: 'Forbidden', Status: '403', Detail: 'AuthenticationUnsuccessful' } });
    // Xero says only that authorisation failed, not which scope is missing.
    if (!scopeAllows(tok.scopes, req.method ?? 'GET', url.pathname.slice(API.length))) return send(res, { status: 401, body: { Title: 'Unauthorized', Status: '401', Detail: 'AuthorizationUnsuccessful' } });

    const limited = admit(tenantId);
    if (limited) return send(res, limited);
    const u = usage.get(tenantId)!;
    u.inFlight++;
    try {
      const fault = pickFault();
      if (fault === 'reset') {
        s.counters.faults++;
        req.socket.destroy();
        return;
      }
      if (fault) {
        s.counters.faults++;
        return send(res, fault === '429' ? tooMany('minute', s.faults?.retryAfterSeconds ?? 1, tenantId) : { status: Number(fault), body: { Title: 'Server error', Status: fault }, headers: { 'retry-after': String(s.faults?.retryAfterSeconds ?? 1) } });
      }
      const key = req.headers['idempotency-key'];
      const write = req.method !== 'GET';
      const fingerprint = createHash('sha256').update(`${req.method} ${url.pathname}${url.search}\n${body}`).digest('hex');
      const slot = typeof key === 'string' && write ? `${tenantId}\n${key}` : null;
      const seen = slot ? idempotent.get(slot) : undefined;
      let answer: Answer;
      if (seen) {
        s.counters.replays++;
        answer = seen.fingerprint === fingerprint ? seen.answer : validation('The Idempotency-Key was already used for a different request', []);
      } else {
        answer = route_(req.method ?? 'GET', url, body, tenant);
        if (slot && answer.status < 500) idempotent.set(slot, { fingerprint, answer });
      }
      const lose = s.loseAnswers;
      if (write && lose && lose.count > 0 && (!lose.method || lose.method === req.method) && (!lose.path || url.pathname.endsWith(lose.path))) {
        lose.count--;
        s.counters.lostAnswers++;
        req.socket.destroy();
        return;
      }
      send(res, { ...answer, headers: { ...answer.headers, ...limitHeaders(tenantId) } });
    } finally {
      u.inFlight--;
    }
  }

  function usageOf(tenantId: string) {
    let u = usage.get(tenantId);
    if (!u) usage.set(tenantId, (u = { inFlight: 0, minute: [], day: [] }));
    const now = s.clock.now();
    u.minute = u.minute.filter((t) => t > now - 60_000);
    u.day = u.day.filter((t) => t > now - DAY);
    return u;
  }

  function limitHeaders(tenantId: string): Record<string, string> {
    const u = usageOf(tenantId);
    return { 'x-minlimit-remaining': String(s.limits.perMinute - u.minute.length), 'x-daylimit-remaining': String(s.limits.perDay - u.day.length), 'x-appminlimit-remaining': '9999' };
  }

  function tooMany(problem: string, retryAfterSeconds: number, tenantId: string): Answer {
    s.counters.throttled++;
    return { status: 429, body: { Title: 'Too Many Requests', Status: '429' }, headers: { 'retry-after': String(retryAfterSeconds), 'x-rate-limit-problem': problem, ...limitHeaders(tenantId) } };
  }

  /** The tenant's limits; an admitted call counts against the minute and the day. */
  function admit(tenantId: string): Answer | null {
    const u = usageOf(tenantId);
    const now = s.clock.now();
    if (s.throttle && s.throttle.count > 0) {
      s.throttle.count--;
      return tooMany(s.throttle.problem, s.throttle.retryAfterSeconds, tenantId);
    }
    if (u.day.length >= s.limits.perDay) return tooMany('day', Math.ceil((u.day[0]! + DAY - now) / 1000), tenantId);
    if (u.inFlight >= s.limits.concurrent) return tooMany('concurrent', 1, tenantId);
    if (u.minute.length >= s.limits.perMinute) return tooMany('minute', Math.max(1, Math.ceil((u.minute[0]! + 60_000 - now) / 1000)), tenantId);
    u.minute.push(now);
    u.day.push(now);
    return null;
  }

  function pickFault(): XeroFaultKind | null {
    const f = s.faults;
    if (!f || f.rate <= 0 || random() >= f.rate) return null;
    const kinds = f.kinds?.length ? f.kinds : (['429', '500', '503', 'reset'] as const);
    return kinds[Math.floor(random() * kinds.length)] ?? null;
  }

  function token(req: http.IncomingMessage, body: string): Answer {
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [id, secret] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':', 2) : [];
    const client = id ? s.clients.get(id) : undefined;
    if (!client || client.clientSecret !== secret) return { status: 400, body: { error: 'invalid_client' } };
    const form = new URLSearchParams(body);
    const now = s.clock.now();
    const issue = (refresh: string | null, scopes: ReadonlySet<string>): Answer => {
      s.counters.tokenGrants++;
      const access = `xero-access-${randomBytes(16).toString('base64url')}`;
      s.tokens.set(access, { clientId: client.clientId, expiresAt: now + s.accessTtlSeconds * 1000, scopes });
      return { status: 200, body: { access_token: access, expires_in: String(s.accessTtlSeconds), token_type: 'Bearer', refresh_token: refresh ?? undefined, scope: [...scopes].join(' ') } };
    };
    if (form.get('grant_type') === 'client_credentials') {
      // Every scope asked for must be enabled for the app (a broad one for a post-March-2026 app is not).
      const asked = (form.get('scope') ?? '').split(' ').filter(Boolean);
      if (asked.some((x) => !client.scopes.has(x))) return { status: 400, body: { error: 'invalid_scope' } };
      return issue(null, asked.length ? new Set(asked) : client.scopes);
    }
    if (form.get('grant_type') !== 'refresh_token') return { status: 400, body: { error: 'unsupported_grant_type' } };
    const given = form.get('refresh_token');
    const r = client.refresh;
    const valid = given !== null && (given === r.current || (given === r.previous && now < r.previousValidUntil));
    if (!valid) return { status: 400, body: { error: 'invalid_grant' } };
    // Rotation: a new refresh token each time; the one just spent keeps working for a grace period.
    const next = `xero-refresh-${randomBytes(16).toString('base64url')}`;
    client.refresh = { current: next, previous: given, previousValidUntil: now + s.refreshGraceMs };
    return issue(next, client.scopes);
  }

  function route_(method: string, url: URL, body: string, t: SandboxTenant): Answer {
    const path = url.pathname.slice(API.length);
    let parsed: J = {};
    if (method !== 'GET') {
      try {
        parsed = (parseExact(body) ?? {}) as J;
      } catch {
        return { status: 400, body: { ErrorNumber: '14', Type: 'PostDataInvalidException', Message: 'Invalid Json data' } };
      }
    }
    const summarize = url.searchParams.get('summarizeErrors') !== 'false';
    const id = /^\/BatchPayments\/([^/]+)$/.exec(path)?.[1];
    try {
      if (method === 'GET' && path === '/Invoices') return ok({ Invoices: filtered([...t.invoices.values()].map(invoiceJson), url) });
      if ((method === 'PUT' || method === 'POST') && path === '/Invoices') return createAll(parsed.Invoices, summarize, 'Invoices', (e) => validateInvoice(t, e), invoiceJson);
      if (method === 'GET' && path === '/BatchPayments') return ok({ BatchPayments: filtered([...t.batchPayments.values()].map((b) => batchPaymentJson(t, b)), url) });
      if (method === 'GET' && id) {
        const bp = t.batchPayments.get(id);
        return bp ? ok({ BatchPayments: [batchPaymentJson(t, bp)] }) : { status: 404, body: { Title: 'Not Found', Status: '404', Detail: 'The resource you\'re looking for cannot be found' } };
      }
      if (method === 'PUT' && path === '/BatchPayments') return createBatchPayments(t, parsed.BatchPayments, summarize);
      if (method === 'POST' && (path === '/BatchPayments' || id)) {
        const items = id ? [{ ...parsed, BatchPaymentID: id }] : Array.isArray(parsed.BatchPayments) ? (parsed.BatchPayments as J[]) : [];
        return updateBatchPayments(t, items);
      }
    } catch (e) {
      if (e instanceof WhereError) return validation(`The where filter is invalid: ${e.message}`, [], 'QueryParseException');
      throw e;
    }
    return { status: 404, body: { Title: 'Not Found', Status: '404' } };
  }

  return { server, resetRandom: (seed) => (random = seededRandom(seed)) };
}

function ok(body: { [k: string]: JsonOut }): Answer {
  return { status: 200, body: { Id: randomUUID(), Status: 'OK', ProviderName: 'erp-sync', DateTimeUTC: xeroDateText(Date.now()), ...body } };
}

function validation(message: string, elements: JsonOut[], type = 'ValidationException'): Answer {
  return { status: 400, body: { ErrorNumber: '10', Type: type, Message: message, Elements: elements } };
}

function filtered(items: Array<{ [k: string]: JsonOut }>, url: URL): Array<{ [k: string]: JsonOut }> {
  const where = url.searchParams.get('where');
  if (!where) return items;
  const pred = parseWhere(where);
  return items.filter((i) => pred(i as J));
}

const errorsJson = (messages: string[]): JsonOut => messages.map((Message) => ({ Message }));

/** Xero's write semantics: summarizeErrors (default) fails the whole request on any error; false saves the valid elements. */
function createAll<T>(raw: unknown, summarize: boolean, key: string, validate: (e: J) => { ok: () => T } | { errors: string[] }, render: (x: T) => { [k: string]: JsonOut }): Answer {
  const items = Array.isArray(raw) ? (raw as J[]) : [];
  if (items.length === 0) return validation(`No ${key} were given`, []);
  const checked = items.map(validate);
  if (summarize && checked.some((c) => 'errors' in c)) {
    return validation('A validation exception occurred', checked.map((c, i) => ('errors' in c ? { ...(items[i] as { [k: string]: JsonOut }), ValidationErrors: errorsJson(c.errors) } : (items[i] as { [k: string]: JsonOut }))));
  }
  return ok({ [key]: checked.map((c, i) => ('errors' in c ? { ...(items[i] as { [k: string]: JsonOut }), HasErrors: true, ValidationErrors: errorsJson(c.errors) } : render(c.ok()))) });
}

function createBatchPayments(t: SandboxTenant, raw: unknown, summarize: boolean): Answer {
  return createAll(
    raw,
    summarize,
    'BatchPayments',
    (e) => {
      const v = validateBatchPayment(t, e);
      if (v.create) return { ok: v.create };
      // Per-payment messages ride on the payment elements too; the batch carries them all.
      const payments = Array.isArray(e.Payments) ? (e.Payments as J[]) : [];
      e.Payments = payments.map((p, i) => (v.paymentErrors[i]?.length ? { ...p, ValidationErrors: v.paymentErrors[i]!.map((Message) => ({ Message })) } : p));
      return { errors: [...v.errors, ...v.paymentErrors.flat()] };
    },
    (bp) => batchPaymentJson(t, bp),
  );
}

function updateBatchPayments(t: SandboxTenant, items: J[]): Answer {
  const out: JsonOut[] = [];
  const errors: string[] = [];
  for (const e of items) {
    const bp = t.batchPayments.get(String(e.BatchPaymentID ?? ''));
    if (!bp) errors.push(`Batch payment ${String(e.BatchPaymentID)} could not be found`);
    else if (e.Status !== 'DELETED') errors.push('Only Status DELETED can be set on a batch payment');
    else {
      const refused = deleteBatchPayment(t, bp);
      if (refused) errors.push(refused);
      else out.push(batchPaymentJson(t, bp));
    }
  }
  return errors.length ? validation('A validation exception occurred', [{ ValidationErrors: errorsJson(errors) }]) : ok({ BatchPayments: out });
}
