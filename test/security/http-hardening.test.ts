// Items 3, 4 and 5 of issue 16: secrets out of logs on error paths, hostile webhook bodies answered 400, and the
// HTTP face on loopback by default with an optional bearer token for /metrics.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { QueryFailedError, type DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, validateConfig } from '../../src/config/load.js';
import { createQiTechWebhookRoute } from '../../sinks/qitech/webhook.js';
import { startHttpServer } from '../../src/http/server.js';
import { createLogger, registerSecret } from '../../src/log.js';
import { quietLogger, useMigratedDatabase } from '../support/db.js';
import { REPO, runCli } from './cli-run.js';

const db = useMigratedDatabase();
const SECRET = 'hook secret/äö+1234567';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) });
  return { logger: createLogger({ stream, tty: false, level: 'debug' }), text: () => lines.join('') };
}

async function server(ds: DataSource, logger = quietLogger, metricsToken?: string) {
  const http = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    registry: new Registry(),
    ready: async () => ({ ok: true, detail: 'ok' }),
    routes: { '/webhooks/qitech': createQiTechWebhookRoute({ ds, logger, secret: SECRET }) },
    metricsToken,
    logger,
  });
  return { http, base: `http://127.0.0.1:${http.port}` };
}

describe('secrets in logs on error paths', () => {
  it('a malformed DATABASE_URL: exit 2 naming the setting, the password never printed', async () => {
    const r = await runCli(['migrate'], { DATABASE_URL: 'postgres://erp:Sup3r-s3cret-pw@[db-host/erp' });
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/database\.url: not a valid URL \(DATABASE_URL\)/);
    expect(r.output).not.toContain('Sup3r-s3cret-pw');
  });

  it('a registered secret is masked URL-encoded too', () => {
    const { logger, text } = capture();
    registerSecret('p@ss word/+=x');
    logger.info('connecting', { url: `postgres://u:${encodeURIComponent('p@ss word/+=x')}@h/db`, form: 'a=p%40ss+word%2F%2B%3Dx' });
    expect(text()).not.toMatch(/p%40ss|p@ss/);
  });

  it('a failing webhook request logs neither the secret from the path (in any encoding) nor the SQL parameters', async () => {
    const failing = {
      transaction: async () => {
        throw new QueryFailedError('INSERT INTO qitech_webhook_events (payload) VALUES ($1)', ['payload-param-value-xyz', SECRET], Object.assign(new Error('connection lost'), { code: '57P01', detail: 'Key (x)=(payload-param-value-xyz)' }));
      },
    } as unknown as DataSource;
    const { logger, text } = capture();
    const { http, base } = await server(failing, logger);
    try {
      const body = JSON.stringify({ webhook_type: 'settlement.payment_batch_status_change', data: { external_id: 'payload-param-value-xyz', status: 'paid' } });
      const lower = encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
      for (const path of [encodeURIComponent(SECRET), lower]) {
        const res = await fetch(`${base}/webhooks/qitech/${path}`, { method: 'POST', body });
        expect(res.status).toBe(500);
      }
      const out = text();
      expect(out).toContain('http handler failed');
      expect(out).toContain('/webhooks/qitech/[REDACTED]');
      for (const leak of [SECRET, encodeURIComponent(SECRET), lower, 'payload-param-value-xyz', 'äö']) expect(out).not.toContain(leak);
    } finally {
      await http.close();
    }
  });
});

describe('hostile webhook bodies', () => {
  let s: Awaited<ReturnType<typeof server>>;
  beforeAll(async () => (s = await server(db.ds())));
  afterAll(() => s.http.close());
  const post = (body: string) => fetch(`${s.base}/webhooks/qitech`, { method: 'POST', headers: { 'x-qitech-webhook-secret': SECRET }, body });
  const events = async () => ((await db.ds().query('SELECT count(*)::int AS n FROM qitech_webhook_events')) as Array<{ n: number }>)[0]!.n;

  it('answers 400, not 500, to NUL characters, broken surrogates, 30,000 levels of nesting and wrong types', async () => {
    const event = (data: Record<string, unknown>, extra: Record<string, unknown> = {}) => JSON.stringify({ webhook_type: 'settlement.payment_batch_status_change', data, ...extra });
    const deep = `{"webhook_type":"settlement.payment_batch_status_change","data":{"external_id":"x","status":"paid"},"extra":${'['.repeat(30_000)}${']'.repeat(30_000)}}`;
    const bodies = [
      event({ external_id: 'B\u0000', status: 'paid' }),
      event({ external_id: 'B1', status: 'paid' }, { note: 'a\u0000b' }),
      event({ external_id: 'B1', status: 'paid' }, { ['k\u0000']: 1 }),
      event({ external_id: 'B1', status: 'paid' }, { note: '\ud800' }),
      deep,
      event({ external_id: 42, status: 'paid' }),
      event({ external_id: 'B1', status: ['paid'] }),
    ];
    for (const body of bodies) expect((await post(body)).status, body.slice(0, 80)).toBe(400);
    expect(await events()).toBe(0);
  });
});

describe('the HTTP face', () => {
  it('listens on loopback by default; HTTP_HOST opens it, and the image does so explicitly', async () => {
    const config = validateConfig({ companies: [{ id: 'a' }] }, 'test');
    expect(config.http.host).toBe('127.0.0.1');
    expect(loadConfig({ env: { HTTP_HOST: '0.0.0.0' } }).config.http.host).toBe('0.0.0.0');
    const http = await startHttpServer({ host: config.http.host, port: 0, registry: new Registry(), ready: async () => ({ ok: true, detail: 'ok' }), logger: quietLogger });
    try {
      expect(http.server.address()).toMatchObject({ address: '127.0.0.1' });
    } finally {
      await http.close();
    }
    // The image opens it explicitly, in the defaults file its Dockerfile names.
    expect(readFileSync(join(REPO, 'Dockerfile'), 'utf8')).toMatch(/ERP_SYNC_DEFAULTS=\/app\/config\/image-defaults\.yaml/);
    expect(readFileSync(join(REPO, 'config', 'image-defaults.yaml'), 'utf8')).toMatch(/^ {2}host: 0\.0\.0\.0/m);
  });

  it('with http.metricsToken, /metrics needs the bearer token; health stays open', async () => {
    const token = 'metrics-token-0123456789';
    const { http, base } = await server(db.ds(), quietLogger, token);
    try {
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
      expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    } finally {
      await http.close();
    }
  });
});
