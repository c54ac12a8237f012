// Item 1 of issue 16: Concur, Xero and QI Tech credentials go only over https to the service's own hosts
// (plain http only to a configured loopback host: the sandboxes), redirects included, and a refusal is final.
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConcurUntrustedUrlError } from '../../src/concur/errors.js';
import { concurTargets } from '../../src/concur/hosts.js';
import { credentialTarget, UntrustedTargetError } from '../../src/net/credential-target.js';
import { readTokens } from '../../src/concur/tokens.js';
import { XeroSinkConfigSchema } from '../../sinks/xero/config.js';
import { createXeroClient } from '../../sinks/xero/sink.js';
import { TenantLimiter } from '../../sinks/xero/limiter.js';
import { QiTechClient } from '../../sinks/qitech/client.js';
import { SinkError } from '../../sinks/sink.js';
import { ConcurConfigSchema } from '../../src/config/schema.js';
import { useMigratedDatabase, quietLogger } from '../support/db.js';
import { client, oauthConfig, recordingFetch, useHarness } from '../concur/harness.js';

const db = useMigratedDatabase();
const h = useHarness(db, { companies: 4 });

describe('the Concur trust rule (pure)', () => {
  const targets = concurTargets(ConcurConfigSchema.parse({ baseUrl: 'https://acme-proxy.example.com/concur' }));
  const to = (u: string) => credentialTarget(new URL(u), targets).href;
  it("allows https to the configured host and to Concur's documented hosts", () => {
    expect(to('https://acme-proxy.example.com/x')).toBe('https://acme-proxy.example.com/x');
    expect(to('https://us.api.concursolutions.com/oauth2/v0/token')).toBe('https://us.api.concursolutions.com/oauth2/v0/token');
    expect(to('https://emea.api.concursolutions.com/x')).toBe('https://emea.api.concursolutions.com/x');
  });
  it("upgrades Concur's documented http:// File-Url to https on its own host", () => {
    expect(to('http://www.concursolutions.com/api/expense/paymentbatch/v1.1/batch/n$s4M$sx/file')).toBe('https://www.concursolutions.com/api/expense/paymentbatch/v1.1/batch/n$s4M$sx/file');
  });
  it('refuses other hosts, look-alikes and plain http to a non-loopback host', () => {
    for (const u of ['https://evil.example/x', 'https://concursolutions.com.evil.example/x', 'https://evilconcursolutions.com/x', 'http://acme-proxy.example.com/x', 'http://127.0.0.1:9/x']) {
      expect(() => to(u), u).toThrow(UntrustedTargetError);
    }
  });
});

describe('the Concur client', () => {
  it('refuses a File-Url on another host, even loopback, with a clear error and no request and no retry', async () => {
    const id = h.sandbox.companies[0]!.id;
    const requests: Array<{ method: string; url: string }> = [];
    const c = client(h, db.ds(), id, oauthConfig(h, 0), { fetch: recordingFetch(requests) });
    const port = new URL(h.sandbox.url).port;
    for (const fileUrl of ['https://evil.example/api/expense/paymentbatch/v1.1/batch/x/file', `http://localhost:${port}/api/expense/paymentbatch/v1.1/batch/x/file`]) {
      const err = await c.downloadFile(fileUrl, join(h.spool, 'evil.bin')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConcurUntrustedUrlError);
      expect((err as Error).message).toMatch(/download: refused to send Concur credentials to .* is not one of the service's own hosts/);
    }
    expect(requests.filter((r) => !r.url.startsWith(h.sandbox.url))).toEqual([]);
    expect(requests.filter((r) => r.url.includes('/file'))).toEqual([]);
    expect(h.sleeps).toEqual([]);
  });

  it('does not follow a redirect that leaves Concur: the bearer token never reaches the other host', async () => {
    const id = h.sandbox.companies[1]!.id;
    const evil: string[] = [];
    const fetchFn: typeof fetch = async (input, init) => {
      const url = String(input);
      if (url.includes('evil.example')) {
        evil.push(url);
        return new Response('stolen');
      }
      if (url.includes('batchlist')) return new Response(null, { status: 302, headers: { location: 'https://evil.example/steal' } });
      return fetch(input, init);
    };
    const c = client(h, db.ds(), id, oauthConfig(h, 1), { fetch: fetchFn });
    await expect(c.listBatches('OPEN')).rejects.toBeInstanceOf(ConcurUntrustedUrlError);
    expect(evil).toEqual([]);
  });

  it('ignores a geolocation outside Concur in a token answer: the next refresh still goes to the configured host', async () => {
    const co = h.sandbox.companies[2]!;
    const seen: string[] = [];
    const fetchFn: typeof fetch = async (input, init) => {
      seen.push(String(input));
      const res = await fetch(input, init);
      if (!String(input).endsWith('/oauth2/v0/token')) return res;
      const body = (await res.json()) as Record<string, unknown>;
      return Response.json({ ...body, geolocation: 'https://evil.example' }, { status: res.status });
    };
    const c = client(h, db.ds(), co.id, oauthConfig(h, 2), { fetch: fetchFn });
    await c.listBatches('OPEN');
    const stored = await readTokens(db.ds(), co.id);
    expect(stored?.geolocation).toBe(h.sandbox.url.replace(/\/+$/, ''));
    expect(seen.filter((u) => u.includes('evil'))).toEqual([]);
  });
});

describe('the Xero and QI Tech clients', () => {
  const xeroConfig = (apiUrl: string) =>
    XeroSinkConfigSchema.parse({
      type: 'xero',
      tenantId: 't1',
      apiUrl,
      tokenUrl: 'https://identity.xero.com/connect/token',
      auth: { kind: 'client_credentials', clientId: 'id', clientSecret: 'secret-secret' },
      bankAccount: { code: '090' },
      retries: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
    });
  const xeroFetch = (calls: string[]): typeof fetch => async (input) => {
    const url = String(input);
    calls.push(url);
    if (url.includes('identity.xero.com')) return Response.json({ access_token: 'access-token-1', expires_in: 1800 });
    if (url.includes('api.xero.com')) return new Response(null, { status: 307, headers: { location: 'https://evil.example/api.xro/2.0/Invoices' } });
    return Response.json({});
  };
  const xero = (apiUrl: string, calls: string[]) =>
    createXeroClient(xeroConfig(apiUrl), 'acme', {
      ds: db.ds(),
      logger: quietLogger,
      fetch: xeroFetch(calls),
      sleep: async () => undefined,
      limiter: new TenantLimiter({ concurrent: 5, perMinute: 60, now: Date.now, sleep: async () => undefined }),
    });

  it('Xero: a redirect off the API host is a non-retryable configuration error; the other host gets nothing', async () => {
    const calls: string[] = [];
    const err = await xero('https://api.xero.com/api.xro/2.0', calls).call('read invoices', 'GET', '/Invoices').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkError);
    expect(err).toMatchObject({ code: 'config', retryable: false });
    expect(calls.filter((u) => u.includes('evil'))).toEqual([]);
    expect(calls.filter((u) => u.includes('api.xero.com'))).toHaveLength(1);
  });

  it('Xero: a configured plain-http API URL off loopback gets no token at all', async () => {
    const calls: string[] = [];
    const err = await xero('http://api.xero.com/api.xro/2.0', calls).call('read invoices', 'GET', '/Invoices').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'config', retryable: false });
    expect(calls.filter((u) => u.startsWith('http://'))).toEqual([]);
  });

  it('QI Tech: the API key and signed token go only to the configured host over https', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp521r1' });
    const calls: string[] = [];
    const fetchFn: typeof fetch = async (input) => {
      calls.push(String(input));
      return new Response(null, { status: 308, headers: { location: 'https://evil.example/settlement' } });
    };
    const qi = (baseUrl: string) => new QiTechClient({ baseUrl, apiClientKey: 'client-key-0001', fundClassKey: 'f', privateKey, timeoutMs: 1000, fetch: fetchFn });
    await expect(qi('https://api.qitech.example').getBatch('b1')).rejects.toBeInstanceOf(UntrustedTargetError);
    await expect(qi('http://api.qitech.example').getBatch('b1')).rejects.toBeInstanceOf(UntrustedTargetError);
    expect(calls).toEqual(['https://api.qitech.example/settlement/fund_class/f/payment_batch/b1']);
  });
});
