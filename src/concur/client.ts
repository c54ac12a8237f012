// The Concur Payment Batch client for one company: list, close (v1.2), watch, close for the file URL (v1.1), download.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DataSource } from 'typeorm';
import type { ConcurConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { createAccessTokens, type AccessTokens, type Credential, type TokenState } from './auth.js';
import { ConcurHttpError, ConcurNetworkError, ConcurProtocolError } from './errors.js';
import { DETECT_HEAD_BYTES, detectKind, type DetectedKind } from '../../parsers/index.js';
import { contentTypeDisagrees } from './file-kind.js';
import { exchange, httpError, throwUnlessOk, type Exchange, type FetchFn } from './http.js';
import { EMPTY_BATCH_RETRY_MS, isEmptyBatchMessage } from './retry-policy.js';
import { inCallRetries, type RetryLoopDeps } from './retry.js';
import { realSleep, withRetries } from '../backoff.js';
import { batchListUrl, cleanUrl, closeUrlFor } from './urls.js';
import { concurFetch } from './hosts.js';
import { parseBatchList, parseCloseAnswer, parseXml, type BatchSummary } from './xml.js';
import { faultPoint } from '../faults.js';
import { progressReporter } from '../progress.js';

export type { BatchSummary } from './xml.js';
/** The batch list's filter (Concur's `status` query parameter); not the `BatchStatus` of a close answer. */
export type BatchListStatus = 'OPEN' | 'CLOSED';

/** The documented empty-batch 500: not a failure of the batch, it waits and is tried again later. */
export interface EmptyBatchOutcome {
  outcome: 'empty';
  message: string;
  correlationId: string | null;
  /** No close of this batch before this moment (30 minutes after the answer). */
  retryNotBefore: Date;
}

export type CloseRequested = { outcome: 'requested'; status: string; jobQueueKey: string | null } | EmptyBatchOutcome;
export type FileUrlObtained = { outcome: 'file-url'; batchStatus: string; fileUrl: string } | EmptyBatchOutcome;

export interface DownloadedFile {
  sha256: string;
  size: number;
  contentType: string | null;
  /** The parsers' verdict on the first bytes; `unknown` (binary, empty) is kept and delivered, not parsed. */
  kind: DetectedKind;
}

export interface ConcurClient {
  listBatches(status?: BatchListStatus): Promise<BatchSummary[]>;
  requestClose(batchUrl: string): Promise<CloseRequested>;
  closeForFileUrl(batchUrl: string): Promise<FileUrlObtained>;
  downloadFile(fileUrl: string, spoolPath: string): Promise<DownloadedFile>;
}

export interface ConcurClientOptions {
  companyId: string;
  config: ConcurConfig;
  ds: DataSource;
  logger: Logger;
  fetch?: FetchFn;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
  /** In-call attempts for transient failures (default 5). */
  maxAttempts?: number;
  /** Longest wait the client sits out itself (default 60 s); longer ones are thrown for the pipeline to schedule. */
  maxInCallDelayMs?: number;
  /** The company's token state, kept by a caller that builds a client per use; without it the client keeps its own. */
  tokenState?: TokenState;
}

export function createConcurClient(opts: ConcurClientOptions): ConcurClient {
  const { config } = opts;
  const logger = opts.logger.child({ company: opts.companyId, source: 'concur' });
  const fetchFn = concurFetch(opts.fetch ?? fetch, config);
  const retry: RetryLoopDeps = {
    logger,
    sleep: opts.sleep ?? realSleep,
    now: opts.now ?? Date.now,
    random: opts.random ?? Math.random,
    maxAttempts: opts.maxAttempts ?? 5,
    maxInCallDelayMs: opts.maxInCallDelayMs ?? 60_000,
  };
  const retrying = <T>(fn: () => Promise<T>): Promise<T> => withRetries(fn, inCallRetries(retry), retry.sleep);
  const tokens: AccessTokens = createAccessTokens({ companyId: opts.companyId, config, ds: opts.ds, fetch: fetchFn, retry, state: opts.tokenState });

  const send = (operation: string, url: string, method: 'GET' | 'POST', cred: Credential) =>
    exchange(fetchFn, config.requestTimeoutMs, operation, url, {
      method,
      headers: { authorization: `${config.authHeader} ${cred.token}`, accept: method === 'GET' && operation === 'download' ? '*/*' : 'application/xml' },
      // An empty string body goes out with Content-Length: 0; Concur refuses chunked transfer encoding.
      ...(method === 'POST' ? { body: '' } : {}),
    });

  /** One authorised exchange; a 403 renews the token once and tries again, a second 403 is final. */
  async function authorised(operation: string, url: (cred: Credential) => string, method: 'GET' | 'POST'): Promise<Exchange> {
    let cred = await tokens.current();
    let x = await send(operation, url(cred), method, cred);
    if (x.res.status === 403) {
      const forbidden = httpError(x, await x.text().catch(() => ''));
      const renewed = await tokens.renew(cred.token);
      if (!renewed) throw forbidden;
      logger.info('concur answered 403: token renewed, trying once more', { operation, correlationId: x.ctx.correlationId });
      cred = renewed;
      x = await send(operation, url(cred), method, cred);
    }
    await throwUnlessOk(x);
    return x;
  }

  async function xmlOf(x: Exchange) {
    const doc = parseXml(await x.text());
    if (!doc) throw new ConcurProtocolError(`${x.ctx.operation}: the answer is not XML`, x.ctx);
    return doc;
  }

  function closeUrl(batchUrl: string, version: 'v1.1' | 'v1.2', operation: string): string {
    const url = closeUrlFor(batchUrl, version);
    if (!url) throw new ConcurProtocolError(`${operation}: Batch-URL ${JSON.stringify(batchUrl)} has no version segment before /batch/`, { operation, url: batchUrl });
    return url;
  }

  /** Runs a close; the empty-batch 500 becomes an outcome instead of an error. */
  async function close<T>(operation: string, url: string, read: (x: Exchange) => Promise<T>): Promise<T | EmptyBatchOutcome> {
    return retrying(async () => {
      try {
        return await read(await authorised(operation, () => url, 'POST'));
      } catch (err) {
        if (err instanceof ConcurHttpError && err.status === 500 && isEmptyBatchMessage(err.concurMessage)) {
          logger.info('concur batch has no reports yet; waiting', { operation, url, correlationId: err.correlationId });
          return { outcome: 'empty', message: err.concurMessage, correlationId: err.correlationId, retryNotBefore: new Date(retry.now() + EMPTY_BATCH_RETRY_MS) };
        }
        throw err;
      }
    });
  }

  const client: ConcurClient = {
    async listBatches(status) {
      return retrying(async () => {
        const x = await authorised('list batches', (cred) => batchListUrl(cred.apiBase, status), 'GET');
        const parsed = parseBatchList(await xmlOf(x));
        if (!parsed) throw new ConcurProtocolError('list batches: no BatchList in the answer', x.ctx);
        for (const { concurBatchId, ...p } of parsed.problems) {
          logger.error('concur batch list entry unusable; skipped', { ...p, batchId: concurBatchId, correlationId: x.ctx.correlationId });
        }
        return parsed.batches.map((b) => {
          const batchUrl = cleanUrl(b.batchUrl);
          return batchUrl ? { ...b, batchUrl } : b;
        });
      });
    },

    async requestClose(batchUrl) {
      const url = closeUrl(batchUrl, 'v1.2', 'close batch (v1.2)');
      return close('close batch (v1.2)', url, async (x) => {
        const answer = parseCloseAnswer(await xmlOf(x));
        if (!answer?.status) throw new ConcurProtocolError('close batch (v1.2): no Status in the answer', x.ctx);
        return { outcome: 'requested' as const, status: answer.status, jobQueueKey: answer.jobQueueKey };
      });
    },

    async closeForFileUrl(batchUrl) {
      const url = closeUrl(batchUrl, 'v1.1', 'close batch (v1.1)');
      return close('close batch (v1.1)', url, async (x) => {
        const answer = parseCloseAnswer(await xmlOf(x));
        const fileUrl = answer?.fileUrl ? cleanUrl(answer.fileUrl) : null;
        if (!answer || !fileUrl) throw new ConcurProtocolError('close batch (v1.1): no usable File-Url in the answer', x.ctx);
        return { outcome: 'file-url' as const, batchStatus: answer.batchStatus ?? '', fileUrl };
      });
    },

    async downloadFile(fileUrl, spoolPath) {
      const url = cleanUrl(fileUrl);
      if (!url) throw new ConcurProtocolError(`download: File-Url ${JSON.stringify(fileUrl)} is not a URL`, { operation: 'download', url: fileUrl });
      const part = `${spoolPath}.part`;
      try {
        const file = await retrying(() => downloadOnce(url, part));
        await rename(part, spoolPath);
        if (contentTypeDisagrees(file.kind, file.contentType)) {
          logger.warn('concur file: Content-Type disagrees with the bytes; the bytes win', { url, contentType: file.contentType, kind: file.kind });
        }
        return file;
      } catch (err) {
        await rm(part, { force: true });
        throw err;
      }
    },
  };

  /** Streams the body to `part` (truncating what an earlier attempt left), hashing and sniffing on the way. */
  async function downloadOnce(url: string, part: string): Promise<DownloadedFile> {
    const x = await authorised('download', () => url, 'GET');
    const hash = createHash('sha256');
    let size = 0;
    let head = Buffer.alloc(0);
    const chunks = x.chunks();
    const declaredSize = Number(x.res.headers.get('content-length') ?? 0);
    const progress = progressReporter(logger, 'downloading', 'bytes', { total: declaredSize || undefined });
    async function* tap() {
      for await (const chunk of chunks) {
        hash.update(chunk);
        size += chunk.byteLength;
        progress(size);
        if (head.length < DETECT_HEAD_BYTES) head = Buffer.concat([head, Buffer.from(chunk.subarray(0, DETECT_HEAD_BYTES - head.length))]);
        yield chunk;
        // Crash-suite fault point: part of the body is in the spool file, the download not finished.
        faultPoint('fetch:mid-download');
      }
    }
    await pipeline(Readable.from(tap()), createWriteStream(part, { flags: 'w' }));
    const declared = x.res.headers.get('content-length');
    // With a Content-Encoding, the declared length counts compressed bytes: nothing to compare.
    if (declared !== null && !x.res.headers.get('content-encoding') && Number(declared) !== size) {
      throw new ConcurNetworkError(`download: received ${size} of ${declared} bytes`, x.ctx);
    }
    const contentType = x.res.headers.get('content-type');
    return { sha256: hash.digest('hex'), size, contentType, kind: detectKind(head) };
  }

  return client;
}
