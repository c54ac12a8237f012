// The console over HTTP, in-process against a seeded database: signing in, the session cookie, CSRF, the read-only
// role, public read, the one-time admin token, actions recorded with who did it, downloads, escaping.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { startHttpServer } from '../../src/http/server.js';
import { createConsole } from '../../src/console/index.js';
import type { Config } from '../../src/config/schema.js';
import { quietLogger, useMigratedDatabase } from '../support/db.js';
import { FILE_BYTES, seedConsole } from './seed.js';

const db = useMigratedDatabase();
const ADMIN = 'admin-token-0123456789';
const VIEWER = 'viewer-token-0123456789';

type Seeded = Awaited<ReturnType<typeof seedConsole>>;
let seeded: Seeded;
let pokes = 0;

async function serve(http: Partial<Config['http']>) {
  const consoleUi = createConsole({
    ds: db.ds(), dataDir: seeded.dataDir, logger: quietLogger, companies: [], xeroClientFor: () => null, poke: () => void pokes++,
    http: { port: 0, host: '127.0.0.1', console: 'login', ...http },
  });
  const server = await startHttpServer({ host: '127.0.0.1', port: 0, registry: new Registry(), logger: quietLogger, ready: async () => ({ ok: true, detail: 'ready' }), fallback: consoleUi.route });
  const base = `http://127.0.0.1:${server.port}`;
  const go = (path: string, init: RequestInit = {}) => fetch(base + path, { redirect: 'manual', ...init });
  const post = (path: string, form: Record<string, string>, cookie = '') =>
    go(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, body: new URLSearchParams(form).toString() });
  const signIn = async (token: string, name = 'Ann') => {
    const r = await post('/login', { token, name });
    expect(r.status).toBe(303);
    const setCookie = r.headers.get('set-cookie') ?? '';
    const cookie = setCookie.split(';')[0]!;
    const page = await (await go('/', { headers: { cookie } })).text();
    return { setCookie, cookie, csrf: /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '' };
  };
  return { server, go, post, signIn };
}

let app: Awaited<ReturnType<typeof serve>>;

/** A logger whose children keep the messages they log at info. */
function recordingLogger() {
  const lines: string[] = [];
  const child = Object.assign(Object.create(quietLogger) as typeof quietLogger, { info: (m: string) => void lines.push(m) });
  return { lines, logger: Object.assign(Object.create(quietLogger) as typeof quietLogger, { child: () => child }) };
}

beforeAll(async () => {
  seeded = await seedConsole(db.ds());
  app = await serve({ adminToken: ADMIN, viewerToken: VIEWER });
});
afterAll(async () => app?.server.close());

const stateOf = async (id: string) => ((await db.ds().query(`SELECT state FROM batches WHERE id = $1`, [id])) as Array<{ state: string }>)[0]!.state;

describe('signing in', () => {
  it('sends a visitor without a session to the sign-in page and refuses a wrong token', async () => {
    const r = await app.go('/batches?state=quarantined');
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/login?next=%2Fbatches%3Fstate%3Dquarantined');
    expect((await app.post('/login', { token: 'not-the-token-at-all', name: 'Eve' })).status).toBe(401);
    expect((await app.post('/login', { token: ADMIN, name: '' })).status).toBe(401);
  });

  it('gives a session cookie that scripts cannot read and other sites do not send', async () => {
    const { setCookie } = await app.signIn(ADMIN);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).not.toMatch(/Secure/i); // plain http here; behind a TLS proxy X-Forwarded-Proto: https adds it
  });

  it('does not accept a cookie whose signature was altered, nor send a visitor elsewhere after signing in', async () => {
    const { cookie } = await app.signIn(ADMIN);
    const [name, value] = cookie.split('=');
    const [payload] = value!.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), n: 'Mallory' })).toString('base64url');
    expect((await app.go('/', { headers: { cookie: `${name}=${forged}.${value!.split('.')[1]}` } })).status).toBe(303);
    const r = await app.post('/login', { token: ADMIN, name: 'Ann', next: '//evil.example/' });
    expect(r.headers.get('location')).toBe('/');
  });

  it('serves every page with a policy that allows no script and nothing from elsewhere', async () => {
    const { cookie } = await app.signIn(VIEWER);
    for (const path of ['/', '/batches', `/batches/${seeded.quarantined}`, '/companies', '/saferpay']) {
      const r = await app.go(path, { headers: { cookie } });
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(await r.text()).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    }
  });
});

describe('the pages', () => {
  it('shows what needs a person on the overview, with the charts', async () => {
    const { cookie } = await app.signIn(VIEWER);
    const html = await (await app.go('/', { headers: { cookie } })).text();
    expect(html).toContain(`href="/batches/${seeded.quarantined}">acme/B-QUAR-1</a>`);
    expect(html).toContain('Companies to re-authorise');
    expect(html).toContain('globex');
    expect(html).toContain('Saferpay closes failed');
    expect(html).toContain('Access to the terminal denied');
    expect(html).toMatch(/<svg[^>]+role="img"[\s\S]*<rect class="loaded"/);
  });

  it('escapes what comes from outside (a batch name with markup)', async () => {
    const { cookie } = await app.signIn(VIEWER);
    const html = await (await app.go(`/batches/${seeded.quarantined}`, { headers: { cookie } })).text();
    expect(html).toContain('Reimbursements &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('-10.00');
  });

  it('finds a batch by report id, employee name and the start of its Concur id', async () => {
    const { cookie } = await app.signIn(VIEWER);
    for (const q of ['RPT-42', 'erika muster', 'B-QUAR']) {
      const html = await (await app.go(`/batches?q=${encodeURIComponent(q)}`, { headers: { cookie } })).text();
      expect(html, q).toContain('acme/B-QUAR-1');
      expect(html, q).not.toContain('acme/B-DONE-1');
    }
  });

  it('downloads the original bytes of a batch file from the file store', async () => {
    const { cookie } = await app.signIn(VIEWER);
    const r = await app.go(`/batches/${seeded.quarantined}/files/${seeded.fileId}`, { headers: { cookie } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toContain('attachment; filename="B-QUAR-1.csv"');
    expect(Buffer.from(await r.arrayBuffer())).toEqual(FILE_BYTES);
    expect((await app.go(`/batches/${seeded.done}/files/${seeded.fileId}`, { headers: { cookie } })).status).toBe(404);
  });
});

describe('actions', () => {
  it('refuses an action without the CSRF token, and a read-only session', async () => {
    const admin = await app.signIn(ADMIN);
    expect((await app.post(`/batches/${seeded.quarantined}/retry`, {}, admin.cookie)).status).toBe(403);
    expect((await app.post(`/batches/${seeded.quarantined}/retry`, { csrf: 'x'.repeat(43) }, admin.cookie)).status).toBe(403);
    const viewer = await app.signIn(VIEWER, 'Val');
    expect(viewer.csrf).not.toBe('');
    expect((await app.post(`/batches/${seeded.quarantined}/retry`, { csrf: viewer.csrf }, viewer.cookie)).status).toBe(403);
    // The viewer's token is not the admin's, either.
    expect((await app.post(`/batches/${seeded.quarantined}/retry`, { csrf: viewer.csrf }, admin.cookie)).status).toBe(403);
    expect(await stateOf(seeded.quarantined)).toBe('quarantined');
  });

  it('retries a quarantined batch after a confirmation that says what will happen, audited with who did it', async () => {
    const { cookie, csrf } = await app.signIn(ADMIN, 'Ann Admin');
    const confirm = await (await app.go(`/batches/${seeded.quarantined}/retry`, { headers: { cookie } })).text();
    expect(confirm).toContain('What will happen');
    expect(confirm).toContain('goes back to &quot;loaded&quot;');
    expect(await stateOf(seeded.quarantined)).toBe('quarantined'); // the confirmation page changes nothing
    const before = pokes;
    const r = await app.post(`/batches/${seeded.quarantined}/retry`, { csrf }, cookie);
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe(`/batches/${seeded.quarantined}?done=retry`);
    expect(await stateOf(seeded.quarantined)).toBe('loaded');
    expect(pokes).toBe(before + 1);
    const [event] = (await db.ds().query(`SELECT kind, detail FROM batch_events WHERE batch_row_id = $1 ORDER BY id DESC LIMIT 1`, [seeded.quarantined])) as Array<{ kind: string; detail: Record<string, unknown> }>;
    expect(event).toEqual({ kind: 'requeued', detail: { reason: 'console retry', by: 'Ann Admin (console)' } });
    // Twice: refused, nothing changes.
    expect((await app.post(`/batches/${seeded.quarantined}/retry`, { csrf }, cookie)).status).toBe(409);
  });
});

describe('modes', () => {
  it('public: pages are readable without signing in, acting is not', async () => {
    const open = await serve({ console: 'public', adminToken: ADMIN });
    try {
      expect((await open.go('/')).status).toBe(200);
      expect((await open.post(`/batches/${seeded.done}/replay`, {})).status).toBe(403);
    } finally {
      await open.server.close();
    }
  });

  it('on loopback without an admin token: a one-time token that signs in once', async () => {
    const { lines, logger } = recordingLogger();
    const consoleUi = createConsole({ ds: db.ds(), dataDir: seeded.dataDir, logger, companies: [], xeroClientFor: () => null, poke: () => undefined, http: { port: 0, host: '127.0.0.1', console: 'login' } });
    consoleUi.announce('http://127.0.0.1:1/');
    const token = /one-time admin token (\S+)/.exec(lines.join('\n'))?.[1];
    expect(token).toBeTruthy();
    const server = await startHttpServer({ host: '127.0.0.1', port: 0, registry: new Registry(), logger: quietLogger, ready: async () => ({ ok: true, detail: '' }), fallback: consoleUi.route });
    try {
      const post = () => fetch(`http://127.0.0.1:${server.port}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${token}&name=Ann` });
      expect((await post()).status).toBe(303);
      expect((await post()).status).toBe(401);
    } finally {
      await server.close();
    }
  });

  it('not on loopback without an admin token: no one-time token, the sign-in page says what to set', async () => {
    const { lines, logger } = recordingLogger();
    createConsole({ ds: db.ds(), dataDir: seeded.dataDir, logger, companies: [], xeroClientFor: () => null, poke: () => undefined, http: { port: 0, host: '0.0.0.0', console: 'login' } }).announce('http://0.0.0.0:1/');
    expect(lines.join('\n')).not.toContain('one-time');
  });
});
