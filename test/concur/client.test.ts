import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConcurHttpError, ConcurTimeoutError } from '../../src/concur/errors.js';
import { decideBatch } from '../../src/concur/selection.js';
import { Money, moneyText } from '../../src/money.js';
import { useMigratedDatabase } from '../support/db.js';
import { client, oauthConfig, recordingFetch, useHarness, watchUntilClosed } from './harness.js';

const db = useMigratedDatabase();
const h = useHarness(db, { companies: 20, closeDelayMs: 30_000 });

/** A fresh company per test keeps the tests independent of each other's closes. */
let next = 0;
function company() {
  const index = next++;
  const id = h.sandbox.companies[index]!.id;
  return { index, id, config: oauthConfig(h, index), batches: () => h.sandbox.controls.batches(id) };
}
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('the batch flow', () => {
  it('lists, closes with v1.2, watches until CLOSED, closes with v1.1 and downloads every file kind intact', async () => {
    const co = company();
    const c = client(h, db.ds(), co.id, co.config);
    const open = await c.listBatches('OPEN');
    const expected = co.batches();
    expect(open.map((b) => [b.concurBatchId, b.batchTotal, b.count, b.currency])).toEqual(expected.map((b) => [b.id, moneyText(new Money(b.total)), b.count, b.currency]));
    expect(await c.listBatches('CLOSED')).toEqual([]);

    const kinds: string[] = [];
    for (const batch of open.filter((b) => b.count > 0)) {
      expect(await c.requestClose(batch.batchUrl)).toMatchObject({ outcome: 'requested', status: 'SUCCESS', jobQueueKey: expect.stringContaining('$') });
      // Asynchronous: not closed yet at the moment of the answer.
      expect((await c.listBatches('CLOSED')).map((b) => b.concurBatchId)).not.toContain(batch.concurBatchId);
      expect(await watchUntilClosed(h, c, batch.concurBatchId)).toMatchObject({ concurBatchId: batch.concurBatchId });
      const closed = await c.closeForFileUrl(batch.batchUrl);
      if (closed.outcome !== 'file-url') throw new Error('expected a File-Url');
      expect(closed.batchStatus).toBe('CLOSED');
      const path = join(h.spool, `${batch.concurBatchId}.bin`);
      const file = await c.downloadFile(closed.fileUrl, path);
      const served = h.sandbox.served(closed.fileUrl)!;
      expect(file).toMatchObject({ sha256: served.sha256, size: served.size });
      // The list's BatchTotal is exactly what the file adds up to.
      expect(new Money(served.total).eq(batch.batchTotal)).toBe(true);
      expect(sha(path)).toBe(file.sha256);
      kinds.push(file.kind);
      expect([h.sandbox.counters.closeV12(batch.concurBatchId), h.sandbox.counters.closeV11(batch.concurBatchId)]).toEqual([1, 1]);
    }
    expect(kinds).toEqual(['csv', 'zip', 'sae', 'csv']);
  });

  it('turns the empty-batch 500 into a waiting outcome, without retrying, and closes once reports arrive', async () => {
    const co = company();
    const c = client(h, db.ds(), co.id, co.config);
    const empty = (await c.listBatches('OPEN')).find((b) => b.count === 0)!;
    const before = h.clock.now();
    const outcome = await c.requestClose(empty.batchUrl);
    expect(outcome).toMatchObject({ outcome: 'empty', message: expect.stringContaining('does not contain any reports'), correlationId: expect.any(String) });
    if (outcome.outcome !== 'empty') throw new Error('unreachable');
    expect(outcome.retryNotBefore.getTime()).toBe(before + 30 * 60_000);
    expect(await c.closeForFileUrl(empty.batchUrl)).toMatchObject({ outcome: 'empty' });
    expect([h.sandbox.counters.closeV12(empty.concurBatchId), h.sandbox.counters.closeV11(empty.concurBatchId)]).toEqual([1, 1]);

    h.sandbox.controls.addReports(empty.concurBatchId, 2);
    h.clock.set(outcome.retryNotBefore.getTime());
    expect(await c.requestClose(empty.batchUrl)).toMatchObject({ outcome: 'requested' });
  });

  it('adopts a batch closed by hand: fetched with one v1.1 close, never closed with v1.2', async () => {
    const co = company();
    const c = client(h, db.ds(), co.id, co.config);
    const [batch] = await c.listBatches('OPEN');
    h.sandbox.controls.closeByHand(batch!.concurBatchId);
    const closed = (await c.listBatches('CLOSED')).find((b) => b.concurBatchId === batch!.concurBatchId)!;
    const decision = decideBatch(closed, 'CLOSED', { now: new Date(h.clock.now()), timezone: 'UTC', config: co.config, known: { firstSeenAt: new Date(0), closeRequestedAt: null } });
    expect(decision).toEqual({ action: 'adopt' });
    const got = await c.closeForFileUrl(closed.batchUrl);
    if (got.outcome !== 'file-url') throw new Error('expected a File-Url');
    const file = await c.downloadFile(got.fileUrl, join(h.spool, 'hand.bin'));
    expect(file.sha256).toBe(h.sandbox.served(got.fileUrl)!.sha256);
    expect([h.sandbox.counters.closeV12(closed.concurBatchId), h.sandbox.counters.closeV11(closed.concurBatchId)]).toEqual([0, 1]);
  });
});

describe('the downloaded file\'s kind', () => {
  // The kind is the parsers' verdict (parsers/detect.ts), the one the load step reads again: the download once
  // called a quoted IIF header CSV and binary bytes CSV.
  it.each([
    ['a quoted "! IIF header', Buffer.from('"!TRNS","TRNSID","DATE"\r\n"TRNS","1","01/31/2025"\r\n', 'latin1'), 'text/csv', 'iif'],
    ['binary bytes', Buffer.from([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x00, 0x01, 0x02, 0x03, 0xff, 0xfe]), 'text/csv', 'unknown'],
  ])('%s: %s', async (_what, bytes, contentType, kind) => {
    const co = company();
    const [batch] = await client(h, db.ds(), co.id, co.config).listBatches('OPEN');
    const got = await client(h, db.ds(), co.id, co.config).closeForFileUrl(batch!.batchUrl);
    if (got.outcome !== 'file-url') throw new Error('expected a File-Url');
    const serving: typeof fetch = (input, init) =>
      String(input) === got.fileUrl ? Promise.resolve(new Response(bytes, { headers: { 'content-type': contentType, 'content-length': String(bytes.length) } })) : fetch(input, init);
    const file = await client(h, db.ds(), co.id, co.config, { fetch: serving }).downloadFile(got.fileUrl, join(h.spool, `kind-${kind}.bin`));
    expect(file).toMatchObject({ kind, size: bytes.length, contentType });
  });
});

describe('status codes', () => {
  it('400: chunked transfer encoding is refused; the client sends a Content-Length and never retries a 400', async () => {
    const co = company();
    const requests: Array<{ method: string; url: string }> = [];
    const chunked = recordingFetch(requests, (url, init) =>
      url.endsWith('/close') ? ({ ...init, body: new ReadableStream({ pull: (ctl) => (ctl.enqueue(new Uint8Array([32])), ctl.close()) }), duplex: 'half' } as RequestInit) : init,
    );
    const c = client(h, db.ds(), co.id, co.config, { fetch: chunked });
    const [batch] = await c.listBatches('OPEN');
    const err = await c.requestClose(batch!.batchUrl).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConcurHttpError);
    expect(err).toMatchObject({ status: 400, concurMessage: expect.stringMatching(/chunked/i), correlationId: expect.any(String) });
    expect(requests.filter((r) => r.method === 'POST' && r.url.endsWith('/close'))).toHaveLength(1);
    // The same request without the rewrite succeeds: the client's own POSTs carry a Content-Length.
    expect(await client(h, db.ds(), co.id, co.config).requestClose(batch!.batchUrl)).toMatchObject({ outcome: 'requested' });
  });

  it('401: no Authorization header is a final error', async () => {
    const co = company();
    const requests: Array<{ method: string; url: string }> = [];
    const bare = recordingFetch(requests, (url, init) => (url.includes('/api/') ? { ...init, headers: { accept: 'application/xml' } } : init));
    const c = client(h, db.ds(), co.id, co.config, { fetch: bare });
    await expect(c.listBatches()).rejects.toMatchObject({ status: 401, correlationId: expect.any(String) });
    expect(requests.filter((r) => r.url.includes('/api/'))).toHaveLength(1);
  });

  it('403: an expired access token is renewed once and the call goes through', async () => {
    const co = company();
    const c = client(h, db.ds(), co.id, co.config);
    await c.listBatches();
    const grants = h.sandbox.counters.tokenGrants(co.id);
    h.sandbox.controls.expireAccessTokens();
    expect((await c.listBatches()).length).toBeGreaterThan(0);
    expect(h.sandbox.counters.tokenGrants(co.id)).toBe(grants + 1);
  });

  it('403 after the renewal is final (one refresh, not a loop)', async () => {
    const co = company();
    const requests: Array<{ method: string; url: string }> = [];
    const forged = recordingFetch(requests, (url, init) => (url.includes('/api/') ? { ...init, headers: { authorization: 'Bearer forged-token' } } : init));
    const c = client(h, db.ds(), co.id, co.config, { fetch: forged });
    await expect(c.listBatches()).rejects.toMatchObject({ status: 403 });
    expect(requests.map((r) => (r.url.includes('/oauth2/') ? 'token' : 'api'))).toEqual(['token', 'api', 'token', 'api']);
  });

  it('403 with a fixed access token fails without any token request', async () => {
    const requests: Array<{ method: string; url: string }> = [];
    const c = client(h, db.ds(), 'c0001', { ...oauthConfig(h, 0), auth: { kind: 'static', accessToken: 'not-a-real-token' } }, { fetch: recordingFetch(requests) });
    await expect(c.listBatches()).rejects.toMatchObject({ status: 403, concurMessage: expect.stringContaining('access token is invalid'), correlationId: expect.any(String) });
    expect(requests).toHaveLength(1);
  });

  it('404: the plain BatchID in a URL is rejected and not retried', async () => {
    const co = company();
    const requests: Array<{ method: string; url: string }> = [];
    const c = client(h, db.ds(), co.id, co.config, { fetch: recordingFetch(requests) });
    const [batch] = await c.listBatches('OPEN');
    const plain = batch!.batchUrl.replace(/batch\/[^/]+$/, `batch/${batch!.concurBatchId}`);
    await expect(c.requestClose(plain)).rejects.toMatchObject({ status: 404, concurMessage: 'The Batch ID specified in the URI is invalid.' });
    expect(requests.filter((r) => r.url.endsWith('/close'))).toHaveLength(1);
  });

  it.each([
    ['429', 1000],
    ['503', 1000],
    ['500', 750],
  ] as const)('%s: retried after the Retry-After or back-off delay, then served', async (kind, wait) => {
    const co = company();
    const c = client(h, db.ds(), co.id, co.config);
    await c.listBatches();
    h.sleeps.length = 0;
    h.sandbox.controls.setFaults({ rate: 1, kinds: [kind], retryAfterSeconds: 1 });
    const fixed = client(h, db.ds(), co.id, co.config, {
      sleep: async (ms) => {
        h.sleeps.push(ms);
        h.sandbox.controls.setFaults(null);
      },
    });
    const [batch] = await fixed.listBatches('OPEN');
    h.sandbox.controls.setFaults({ rate: 1, kinds: [kind], retryAfterSeconds: 1 });
    expect(await fixed.requestClose(batch!.batchUrl)).toMatchObject({ outcome: 'requested' });
    expect(h.sleeps).toEqual([wait, wait]);
    expect(h.sandbox.counters.closeV12(batch!.concurBatchId)).toBe(1);
  });

  it('503 with a long Retry-After goes to the caller (the pipeline schedules it) and changes nothing', async () => {
    const co = company();
    const c = client(h, db.ds(), co.id, co.config);
    const [batch] = await c.listBatches('OPEN');
    h.sandbox.controls.setFaults({ rate: 1, kinds: ['503'], retryAfterSeconds: 300 });
    const err = await c.requestClose(batch!.batchUrl).catch((e: unknown) => e);
    h.sandbox.controls.setFaults(null);
    expect(err).toMatchObject({ status: 503, retryAfter: '300', correlationId: expect.any(String) });
    expect(h.sandbox.counters.closeV12(batch!.concurBatchId)).toBe(0);
  });

  it('timeout: a slow answer past the request timeout is a typed timeout, and the abandoned request changes nothing', async () => {
    const co = company();
    const c = client(h, db.ds(), co.id, { ...co.config, requestTimeoutMs: 100 });
    const [batch] = await c.listBatches('OPEN');
    h.sandbox.controls.setFaults({ rate: 1, kinds: ['slow'], slowMs: 400 });
    const err = await c.requestClose(batch!.batchUrl).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConcurTimeoutError);
    await h.sandbox.idle();
    h.sandbox.controls.setFaults(null);
    expect(h.sandbox.counters.closeV12(batch!.concurBatchId)).toBe(0);
    expect(h.sandbox.controls.batches(co.id).find((b) => b.id === batch!.concurBatchId)!.status).toBe('OPEN');
  });

  it('a connection reset mid-body is retried and the download still arrives intact', async () => {
    const co = company();
    const c = client(h, db.ds(), co.id, co.config);
    const [batch] = await c.listBatches('OPEN');
    const got = await c.closeForFileUrl(batch!.batchUrl);
    if (got.outcome !== 'file-url') throw new Error('expected a File-Url');
    h.sandbox.controls.setFaults({ rate: 1, kinds: ['reset'] });
    const resetting = client(h, db.ds(), co.id, co.config, { sleep: async () => h.sandbox.controls.setFaults(null) });
    const path = join(h.spool, 'reset.bin');
    const file = await resetting.downloadFile(got.fileUrl, path);
    expect(file.sha256).toBe(h.sandbox.served(got.fileUrl)!.sha256);
    expect(sha(path)).toBe(file.sha256);
    expect(h.sandbox.counters.downloads(got.fileUrl)).toBe(1);
  });
});
