// The operator console, served by the daemon's HTTP server for every path it does not answer itself: routing
// (find-my-way), signing in, the session cookie and CSRF checks, security headers, and the pages and actions.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { DataSource } from 'typeorm';
import type { Config } from '../config/schema.js';
import { registerSecret, type Logger } from '../log.js';
import type { Route } from '../http/server.js';
import { BodyTooLarge, readBody } from '../http/read-body.js';
import type { BatchRow } from '../store/batches.js';
import { ConsoleAuth, type Session } from './auth.js';
import { CONSOLE_CSS } from './assets.js';
import { doAction, planAction, type Action, type ActionDeps } from './actions.js';
import { render, type PageName } from './render.js';
import { batchData, batchesData, companiesData, findBatchById, openBatchFile, overviewData, saferpayData } from './pages.js';

export interface ConsoleDeps extends ActionDeps {
  ds: DataSource;
  http: Config['http'];
  dataDir: string;
  logger: Logger;
  now?: () => Date;
}

export interface ConsoleServer {
  route: Route;
  /** Logs where the console is and how to sign in (the one-time admin token, when there is one). */
  announce(url: string): void;
}

const COOKIE = 'erp_sync_console';
const SESSION_MS = 12 * 60 * 60_000;
const MAX_FORM_BYTES = 16 * 1024;
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const NOTICES: Record<string, string> = {
  retry: 'Retry recorded: the batch is back at work. This page shows its state as of now; reload to follow it.',
  replay: 'Replay recorded: the batch goes to delivery again.',
  reverse: 'Reversal recorded: Xero deleted the batch payment.',
};

interface Request {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string | undefined>;
  query: URLSearchParams;
  session: Session | null;
  /** A POST's form, read and checked (CSRF) before the handler runs. */
  body?: URLSearchParams;
}

type Handler = (r: Request) => Promise<void>;

function headers(res: ServerResponse, status: number, type: string, extra: Record<string, string | string[]> = {}): void {
  res.writeHead(status, {
    'content-type': type,
    // No script at all, styles and images from here only, no framing, forms post only here.
    'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    'cache-control': 'no-store',
    ...extra,
  });
}

function redirect(res: ServerResponse, to: string, extra: Record<string, string | string[]> = {}): void {
  headers(res, 303, 'text/plain; charset=utf-8', { location: to, ...extra });
  res.end();
}

/** A local path to go back to after signing in; anything else (another site, `//host`) goes to the overview. */
const localPath = (next: string | null | undefined) => (next && /^\/(?![/\\])/.test(next) ? next : '/');

export function createConsole(deps: ConsoleDeps): ConsoleServer {
  const now = deps.now ?? (() => new Date());
  const { http, logger } = deps;
  registerSecret(http.adminToken);
  registerSecret(http.viewerToken);
  // Zero configuration on this machine only: a token that signs in once, shown in the log. Never on an address others reach.
  const oneTime = !http.adminToken && LOOPBACK.has(http.host) ? randomBytes(24).toString('base64url') : null;
  const auth = new ConsoleAuth({
    adminToken: http.adminToken ?? null,
    viewerToken: http.viewerToken ?? null,
    oneTimeAdminToken: oneTime,
    publicRead: http.console === 'public',
    now: () => now().getTime(),
    sessionMs: SESSION_MS,
  });
  const log = logger.child({ route: 'console' });

  const page = (r: Request, status: number, name: PageName, data: { title: string; [k: string]: unknown }) => {
    const html = render(name, { session: r.session, csrf: r.session ? auth.csrfToken(r.session) : '', notice: NOTICES[r.query.get('done') ?? ''], ...data });
    headers(r.res, status, 'text/html; charset=utf-8', { 'content-length': String(Buffer.byteLength(html)) });
    r.res.end(html);
  };
  const problem = (r: Request, status: number, heading: string, message: string) => page(r, status, 'problem', { title: heading, heading, message });

  const secure = (req: IncomingMessage) => req.headers['x-forwarded-proto'] === 'https' || (req.socket as { encrypted?: boolean }).encrypted === true;
  const setCookie = (req: IncomingMessage, value: string, maxAgeSeconds: number) =>
    stringifySetCookie(COOKIE, value, { path: '/', httpOnly: true, sameSite: 'strict', secure: secure(req), maxAge: maxAgeSeconds });

  const form = async (r: Request): Promise<URLSearchParams | null> => {
    try {
      return new URLSearchParams((await readBody(r.req, MAX_FORM_BYTES)).toString('utf8'));
    } catch (e) {
      if (e instanceof BodyTooLarge) return null;
      throw e;
    }
  };

  const withBatch = (fn: (r: Request, b: BatchRow) => Promise<void>): Handler => async (r) => {
    const b = await findBatchById(deps.ds, r.params.id);
    if (!b) return problem(r, 404, 'No such batch', `There is no batch with internal id ${r.params.id ?? ''}.`);
    return fn(r, b);
  };

  const actionPage = (action: Action, heading: string, button: string): Handler => withBatch(async (r, b) => {
    const sink = r.query.get('sink') || null;
    const plan = await planAction(deps, action, b, sink);
    page(r, 'refusal' in plan ? 409 : 200, 'confirm', {
      title: heading, heading, button, batch: b, sink, action: `/batches/${b.id}/${action}`,
      ...('refusal' in plan ? { refusal: plan.refusal } : { effects: plan.effects, sinks: plan.sinks }),
    });
  });

  const actionPost = (action: Action, heading: string): Handler => withBatch(async (r, b) => {
    const body = r.body!;
    const sink = body.get('sink') || null;
    const by = `${r.session!.name} (console)`;
    const refusal = await doAction(deps, action, b, sink, by);
    if (refusal) {
      log.warn(`console: ${action} refused`, { company: b.companyId, batch: b.concurBatchId, by, refusal });
      return page(r, 409, 'confirm', { title: heading, heading, batch: b, refusal });
    }
    log.info(`console: ${action}`, { company: b.companyId, batch: b.concurBatchId, sink, by });
    redirect(r.res, `/batches/${b.id}?done=${action}`);
  });

  type Entry = { handler: Handler; open?: boolean; act?: boolean };
  const router = FindMyWay({ ignoreTrailingSlash: true });
  const on = (method: HTTPMethod, path: string, entry: Entry) => router.on(method, path, () => undefined, entry);

  on('GET', '/console/assets/console.css', {
    open: true,
    handler: async ({ res }) => {
      res.writeHead(200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'max-age=3600', 'x-content-type-options': 'nosniff' });
      res.end(CONSOLE_CSS);
    },
  });
  on('GET', '/login', {
    open: true,
    handler: async (r) => page(r, 200, 'login', { title: 'Sign in', canSignIn: auth.canSignIn, next: localPath(r.query.get('next')), session: null }),
  });
  on('POST', '/login', {
    open: true,
    handler: async (r) => {
      const body = await form(r);
      const next = localPath(body?.get('next'));
      const session = body ? auth.signIn(body.get('token') ?? '', body.get('name') ?? '') : null;
      if (!session) {
        log.warn('console: sign-in refused', { remote: r.req.socket.remoteAddress });
        return page(r, 401, 'login', { title: 'Sign in', canSignIn: auth.canSignIn, next, error: 'That did not work: check the token, and give your name (1 to 64 characters).' });
      }
      log.info('console: signed in', { name: session.name, role: session.role, remote: r.req.socket.remoteAddress });
      redirect(r.res, next, { 'set-cookie': setCookie(r.req, auth.cookieValue(session), SESSION_MS / 1000) });
    },
  });
  on('POST', '/logout', { handler: async (r) => redirect(r.res, '/login', { 'set-cookie': setCookie(r.req, '', 0) }) });
  on('GET', '/', { handler: async (r) => page(r, 200, 'overview', { title: 'Overview', nav: '/', ...(await overviewData(deps.ds, now())) }) });
  on('GET', '/batches', { handler: async (r) => page(r, 200, 'batches', { title: 'Batches', nav: '/batches', ...(await batchesData(deps.ds, r.query)) }) });
  on('GET', '/batches/:id', { handler: withBatch(async (r, b) => page(r, 200, 'batch', { title: `Batch ${b.companyId}/${b.concurBatchId}`, nav: '/batches', ...(await batchData(deps.ds, b)) })) });
  on('GET', '/batches/:id/files/:file', {
    handler: withBatch(async (r, b) => {
      const file = await openBatchFile(deps.ds, deps.dataDir, b.id, r.params.file ?? '');
      if (!file) return problem(r, 404, 'File not kept', 'That file is not in the file store (unknown, or removed after its retention period).');
      headers(r.res, 200, 'application/octet-stream', {
        'content-length': String(file.size),
        'content-disposition': `attachment; filename="${file.name.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(file.name)}`,
      });
      file.stream.pipe(r.res);
    }),
  });
  on('GET', '/companies', { handler: async (r) => page(r, 200, 'companies', { title: 'Companies', nav: '/companies', ...(await companiesData(deps.ds)) }) });
  on('GET', '/saferpay', { handler: async (r) => page(r, 200, 'saferpay', { title: 'Saferpay', nav: '/saferpay', ...(await saferpayData(deps.ds, now())) }) });
  for (const [action, heading, button] of [['retry', 'Retry this batch?', 'Retry'], ['replay', 'Replay this batch to a sink?', 'Replay'], ['reverse', 'Reverse the Xero posting?', 'Delete the batch payment in Xero']] as const) {
    on('GET', `/batches/:id/${action}`, { handler: actionPage(action, heading, button) });
    on('POST', `/batches/:id/${action}`, { act: true, handler: actionPost(action, heading) });
  }

  const route: Route = async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const found = router.find((req.method ?? 'GET') as HTTPMethod, url.pathname);
    const r: Request = { req, res, params: found?.params ?? {}, query: url.searchParams, session: null };
    if (!found) {
      req.resume();
      return problem(r, 404, 'Not found', 'There is no such page.');
    }
    const entry = found.store as Entry;
    r.session = auth.session(parseCookie(req.headers.cookie ?? '')[COOKIE]);
    if (entry.open) return entry.handler(r);
    if (!r.session) {
      req.resume();
      if (req.method === 'GET') return redirect(res, `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
      return problem(r, 401, 'Sign in first', 'Your session has ended: sign in again.');
    }
    if (req.method === 'POST') {
      const origin = req.headers.origin;
      // Defence in depth beside SameSite=Strict and the token: a browser's cross-site POST names another origin.
      if (origin && origin !== 'null' && new URL(origin).host !== req.headers.host) {
        req.resume();
        return problem(r, 403, 'Refused', 'The form was sent from another site.');
      }
      const body = await form(r);
      if (!body) return problem(r, 413, 'Too large', 'The form is larger than the console accepts.');
      if (!auth.csrfValid(r.session, body.get('csrf') ?? undefined)) {
        log.warn('console: form refused: missing or wrong CSRF token', { path: url.pathname, name: r.session.name });
        return problem(r, 403, 'Refused', 'The form carried no valid CSRF token: reload the page and try again.');
      }
      if (entry.act && r.session.role !== 'admin') return problem(r, 403, 'Read-only', 'You are signed in read-only: only the admin token can act on batches.');
      r.body = body;
    }
    return entry.handler(r);
  };

  return {
    route,
    announce: (url) => {
      if (oneTime) log.info(`console: open ${url} and sign in with the one-time admin token ${oneTime} (it works once; set http.adminToken for lasting access)`);
      else log.info('console ready', { url, signIn: http.console === 'public' ? 'public read; admin token to act' : 'admin or viewer token' });
    },
  };
}
