// Shared set-up for client tests: an in-process sandbox on a manual clock, and clients whose sleep moves that clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll } from 'vitest';
import { createConcurClient, type ConcurClient, type ConcurClientOptions } from '../../src/concur/client.js';
import { ConcurConfigSchema, type ConcurConfig } from '../../src/config/schema.js';
import type { BatchSummary } from '../../src/concur/xml.js';
import { manualClock, startConcurSandbox, type ConcurSandbox, type ConcurSandboxOptions, type ManualClock } from '../../sandboxes/concur/index.js';
import { quietLogger } from '../support/db.js';

export interface Harness {
  sandbox: ConcurSandbox;
  clock: ManualClock;
  spool: string;
  /** Every wait a client asked for, in order. */
  sleeps: number[];
}

/**
 * Registers hooks: a sandbox on a manual clock for the test file, its companies present in the file's database.
 * The returned harness is filled in before the first test runs.
 */
export function useHarness(db: { ds: () => DataSource }, opts: ConcurSandboxOptions): Harness {
  const clock = manualClock();
  const h = { clock, spool: mkdtempSync(join(tmpdir(), 'concur-spool-')), sleeps: [] } as unknown as Harness;
  beforeAll(async () => {
    h.sandbox = await startConcurSandbox({ clock, ...opts });
    for (const c of h.sandbox.companies) await addCompany(db.ds(), c.id);
  });
  afterAll(async () => {
    await h.sandbox?.close();
    rmSync(h.spool, { recursive: true, force: true });
  });
  return h;
}

async function addCompany(ds: DataSource, id: string): Promise<void> {
  await ds.query('INSERT INTO companies (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING', [id]);
}

export function oauthConfig(h: Harness, companyIndex = 0, over: Record<string, unknown> = {}): ConcurConfig {
  const c = h.sandbox.companies[companyIndex]!;
  return ConcurConfigSchema.parse({
    baseUrl: h.sandbox.url,
    auth: { kind: 'oauth', clientId: c.clientId, clientSecret: c.clientSecret, refreshToken: c.refreshToken },
    ...over,
  });
}

export function client(h: Harness, ds: DataSource, companyId: string, config: ConcurConfig, over: Partial<ConcurClientOptions> = {}): ConcurClient {
  return createConcurClient({
    companyId,
    config,
    ds,
    logger: quietLogger,
    now: h.clock.now,
    random: () => 0.5,
    sleep: async (ms) => {
      h.sleeps.push(ms);
      h.clock.advance(ms);
    },
    ...over,
  });
}

/**
 * What the watch_close step does across its runs: list CLOSED batches every `intervalMs` (the default
 * pipeline.closeWatchIntervalMs) until the batch shows; `list` wraps each listing (e.g. in a retry loop).
 */
export async function watchUntilClosed(h: Harness, c: ConcurClient, concurBatchId: string, list = (run: () => Promise<BatchSummary[]>) => run(), intervalMs = 5_000): Promise<BatchSummary> {
  for (;;) {
    const batch = (await list(() => c.listBatches('CLOSED'))).find((b) => b.concurBatchId === concurBatchId);
    if (batch) return batch;
    h.clock.advance(intervalMs);
  }
}

/** A fetch that records each request's method and URL before passing it on (optionally rewritten). */
export function recordingFetch(log: Array<{ method: string; url: string }>, rewrite?: (url: string, init: RequestInit) => RequestInit): typeof fetch {
  return (input, init = {}) => {
    const url = String(input);
    log.push({ method: init.method ?? 'GET', url });
    return fetch(url, rewrite ? rewrite(url, init) : init);
  };
}
