import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock, startConcurSandbox, type ConcurSandbox } from '../../sandboxes/concur/index.js';

const clock = manualClock();
let sb: ConcurSandbox;

beforeAll(async () => {
  sb = await startConcurSandbox({ clock, companies: 4, closeDelayMs: 30_000, refreshGraceMs: 60_000, newBatchEveryMs: 3_600_000 });
});
afterAll(async () => {
  await sb.close();
});

async function grant(company: { clientId: string; clientSecret: string }, refreshToken: string) {
  const res = await fetch(`${sb.url}/oauth2/v0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: company.clientId, client_secret: company.clientSecret, grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  return { res, json: (await res.json()) as Record<string, unknown> };
}
const tokens = new Map<string, string>();
async function tokenFor(i: number): Promise<string> {
  const c = sb.companies[i]!;
  if (!tokens.has(c.id)) {
    const { json } = await grant(c, c.refreshToken);
    tokens.set(c.id, json.access_token as string);
  }
  return tokens.get(c.id)!;
}
const api = async (path: string, init: RequestInit & { token?: string; scheme?: string } = {}) => {
  const headers: Record<string, string> = init.token ? { authorization: `${init.scheme ?? 'Bearer'} ${init.token}` } : {};
  const res = await fetch(path.startsWith('http') ? path : `${sb.url}${path}`, { ...init, headers });
  return { res, text: await res.text() };
};
const LIST = '/api/expense/paymentbatch/v1.1/batchlist';

describe('the Concur sandbox', () => {
  it('answers every request with a Concur-Correlationid, errors as <Error> XML', async () => {
    for (const r of [await api('/nowhere'), await api(LIST), await api(LIST, { token: 'bogus' })]) {
      expect(r.res.headers.get('concur-correlationid')).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.text).toMatch(/<Error><Message>.+<\/Message><Server-Time>.+<\/Server-Time><Id>.+<\/Id><\/Error>/);
    }
    expect((await api('/nowhere')).res.status).toBe(404);
    expect((await api(LIST)).res.status).toBe(401);
    expect((await api(LIST, { token: 'bogus' })).res.status).toBe(403);
  });

  it('expires access tokens on its clock (403 once the hour is over)', async () => {
    const c = sb.companies[3]!;
    const { json } = await grant(c, c.refreshToken);
    const token = json.access_token as string;
    clock.advance(3_599_000);
    expect((await api(LIST, { token })).res.status).toBe(200);
    clock.advance(1_000);
    expect((await api(LIST, { token })).res.status).toBe(403);
  });

  it('issues tokens with expires_in as a string and its own URL as geolocation; rotates refresh tokens with a grace period', async () => {
    const c = sb.companies[2]!;
    const first = await grant(c, c.refreshToken);
    expect(first.json).toMatchObject({ expires_in: '3600', token_type: 'Bearer', geolocation: sb.url, refresh_token: expect.any(String), id_token: expect.any(String) });
    expect(first.res.headers.get('concur-correlationid')).toBeTruthy();
    const second = await grant(c, c.refreshToken); // the previous token, within its grace period
    expect(second.res.status).toBe(200);
    clock.advance(61_000);
    for (const stale of [c.refreshToken, first.json.refresh_token as string]) {
      const late = await grant(c, stale);
      expect(late.res.status).toBe(400);
      expect(late.json).toMatchObject({ error: 'invalid_grant', code: 108 });
    }
    expect((await grant(c, second.json.refresh_token as string)).res.status).toBe(200);
    expect((await grant({ ...c, clientSecret: 'wrong' }, 'x')).json).toMatchObject({ error: 'invalid_client' });
  });

  it('accepts both Bearer and OAuth, and the status as a path segment or a parameter', async () => {
    const token = await tokenFor(0);
    const bearer = await api(`${LIST}?Status=OPEN`, { token });
    const oauth = await api(`${LIST}/OPEN`, { token, scheme: 'OAuth' });
    expect(bearer.res.status).toBe(200);
    expect(oauth.text).toBe(bearer.text);
    expect((await api(`${LIST}?Status=PAID`, { token })).res.status).toBe(400);
    expect((await api(LIST, { token, method: 'POST', body: '' })).res.status).toBe(405);
  });

  it('shows each company only its own batches, and 404s another company\'s Batch-URL and a plain BatchID', async () => {
    const [a, b] = [sb.controls.batches(sb.companies[0]!.id), sb.controls.batches(sb.companies[1]!.id)];
    const listA = (await api(LIST, { token: await tokenFor(0) })).text;
    for (const x of a) expect(listA).toContain(`<BatchID>${x.id}</BatchID>`);
    for (const x of b) expect(listA).not.toContain(x.id);
    expect(a[0]!.batchUrl).toMatch(/\/v1\.1\/batch\/[^/]*\$[^/]*$/);

    const other = await api(`${b[0]!.batchUrl.replace('/v1.1/', '/v1.2/')}/close`, { token: await tokenFor(0), method: 'POST', body: '' });
    expect(other.res.status).toBe(404);
    const plain = await api(`/api/expense/paymentbatch/v1.2/batch/${a[0]!.id}/close`, { token: await tokenFor(0), method: 'POST', body: '' });
    expect(plain.res.status).toBe(404);
    expect(plain.text).toContain('The Batch ID specified in the URI is invalid.');
  });

  it('refuses a chunked POST with 400', async () => {
    const url = new URL(`${sb.controls.batches(sb.companies[0]!.id)[0]!.batchUrl.replace('/v1.1/', '/v1.2/')}/close`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers: { authorization: `Bearer ${tokens.get(sb.companies[0]!.id)}`, 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('');
    });
    expect(status).toBe(400);
  });

  it('closes with v1.2 after a delay on its clock; every v1.1 close regenerates the file under a new URL', async () => {
    const token = await tokenFor(0);
    const batch = sb.controls.batches(sb.companies[0]!.id).find((b) => b.count > 0 && b.status === 'OPEN')!;
    const v12 = await api(`${batch.batchUrl.replace('/v1.1/', '/v1.2/')}/close`, { token, method: 'POST', body: '' });
    expect(v12.text).toMatch(/<Status>SUCCESS<\/Status><JobQueueKey>[^<]*\$[^<]*<\/JobQueueKey><\/BatchStatus>$/);
    expect(v12.text).not.toContain('File-Url');
    clock.advance(29_999);
    expect(sb.controls.batches(sb.companies[0]!.id).find((b) => b.id === batch.id)!.status).toBe('OPEN');
    clock.advance(1);
    expect((await api(`${LIST}/CLOSED`, { token })).text).toContain(batch.id);

    const urls: string[] = [];
    for (let i = 0; i < 2; i++) {
      const v11 = await api(`${batch.batchUrl}/close`, { token, method: 'POST', body: '' });
      urls.push(/<File-Url>([^<]+)<\/File-Url>/.exec(v11.text)![1]!);
      expect(v11.text).toContain('<BatchStatus>CLOSED</BatchStatus>');
    }
    expect(urls[0]).not.toBe(urls[1]);
    for (const u of urls) {
      const file = await fetch(u, { headers: { authorization: `Bearer ${token}` } });
      expect(file.status).toBe(200);
      expect(Buffer.from(await file.arrayBuffer()).length).toBe(sb.served(u)!.size);
    }
    expect(sb.counters.closeV11(batch.id)).toBe(2);
    expect(sb.counters.downloads()).toBeGreaterThanOrEqual(2);
    // Files are company-private too.
    expect((await fetch(urls[0]!, { headers: { authorization: `Bearer ${await tokenFor(1)}` } })).status).toBe(404);
  });

  it('answers the empty batch with the documented 500', async () => {
    const empty = sb.controls.batches(sb.companies[1]!.id).find((b) => b.count === 0)!;
    const r = await api(`${empty.batchUrl}/close`, { token: await tokenFor(1), method: 'POST', body: '' });
    expect(r.res.status).toBe(500);
    expect(r.text).toContain('The batch you attempted to close does not contain any reports. If you recently approved reports for payment, wait 30 minutes and try again.');
  });

  it('in demo mode, new batches appear as time passes', async () => {
    const id = sb.companies[1]!.id;
    const before = sb.controls.batches(id).length;
    clock.advance(2 * 3_600_000);
    expect(sb.controls.batches(id).length).toBeGreaterThanOrEqual(before + 2);
  });
});
