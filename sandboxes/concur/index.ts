// A stateful SAP Concur Payment Batch sandbox, in-process or behind `erp-sync sandbox --port N`.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { systemClock, type SandboxClock } from '../clock.js';
import { createSandboxServer, type FaultKind, type FaultOptions } from './server.js';
import { SandboxState, type BatchSeed, type SandboxBatch } from './state.js';

export { manualClock, systemClock, type ManualClock, type SandboxClock } from '../clock.js';
export { DEFAULT_BATCHES, EMPTY_BATCH_MESSAGE, type BatchSeed, type DiskFile } from './state.js';
export type { FaultKind, FaultOptions } from './server.js';

export interface SandboxCompanySpec {
  id: string;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  /** Absent: DEFAULT_BATCHES (each file kind, several currencies, one empty batch). */
  batches?: readonly BatchSeed[];
}

export interface ConcurSandboxOptions {
  port?: number;
  host?: string;
  /** How many companies (ids `c0001`, `c0002`, …) or their specs; default 1. */
  companies?: number | SandboxCompanySpec[];
  seed?: number;
  clock?: SandboxClock;
  /** How long a v1.2 close takes before the batch shows CLOSED (default 30 s of clock time). */
  closeDelayMs?: number;
  /** How long a rotated-out refresh token keeps working (default 60 s). */
  refreshGraceMs?: number;
  accessTtlSeconds?: number;
  /** Added to every answer (real time), for scale benchmarks. */
  latencyMs?: number;
  faults?: FaultOptions | null;
  /** Demo mode: each company gets a new batch every this many ms of clock time. */
  newBatchEveryMs?: number;
  /**
   * Renders every seeded batch's file and list total at start, not at its first list or close (the same bytes):
   * Concur generates its files on its own servers, so a benchmark keeps that work out of the cycle it measures.
   */
  prerender?: boolean;
}

export interface SandboxCompanyInfo {
  id: string;
  clientId: string;
  clientSecret: string;
  /** The refresh token to configure; it rotates on first use. */
  refreshToken: string;
}

export interface SandboxBatchInfo {
  id: string;
  companyId: string;
  name: string;
  kind: BatchSeed['kind'];
  currency: string;
  count: number;
  total: string;
  status: 'OPEN' | 'CLOSED';
  closedBy: 'api' | 'hand' | null;
  batchUrl: string;
}

export interface ConcurSandbox {
  url: string;
  port: number;
  clock: SandboxClock;
  companies: SandboxCompanyInfo[];
  controls: {
    batches(companyId: string): SandboxBatchInfo[];
    addBatch(companyId: string, seed: BatchSeed): SandboxBatchInfo;
    /** Reports approved into an open batch (e.g. the empty batch becoming closable). */
    addReports(batchId: string, reports: number): void;
    /** Someone closes the batch in the Concur UI. */
    closeByHand(batchId: string): void;
    /** The refresh token dies (revoked, expired): the next grant answers invalid_grant. */
    revokeRefreshToken(companyId: string): void;
    /** A person re-authorises the company: a fresh refresh token to store (see replaceRefreshToken). */
    reauthorise(companyId: string): string;
    /** Every issued access token stops working (the next call answers 403). */
    expireAccessTokens(): void;
    setFaults(faults: FaultOptions | null): void;
  };
  counters: {
    closeV12(batchId: string): number;
    closeV11(batchId: string): number;
    /** Downloads of one File-Url, or of all files. */
    downloads(fileUrl?: string): number;
    tokenGrants(companyId?: string): number;
    faults(kind?: FaultKind): number;
    /** Requests received, and the most handled at once (latency included). */
    load(): { requests: number; inFlight: number; peakInFlight: number };
  };
  /** Resolves once the sandbox handles no request (e.g. a slow answer the client gave up on). */
  idle(): Promise<void>;
  /** What a File-Url served: its bytes' sha256 and size, and the batch. */
  served(fileUrl: string): { sha256: string; size: number; batchId: string; fileName: string; total: string } | undefined;
  close(): Promise<void>;
}

function sum(m: Map<string, number>, key?: string): number {
  if (key !== undefined) return m.get(key) ?? 0;
  let n = 0;
  for (const v of m.values()) n += v;
  return n;
}

export async function startConcurSandbox(opts: ConcurSandboxOptions = {}): Promise<ConcurSandbox> {
  const clock = opts.clock ?? systemClock;
  const state = new SandboxState({
    clock,
    seed: opts.seed ?? 42,
    closeDelayMs: opts.closeDelayMs ?? 30_000,
    refreshGraceMs: opts.refreshGraceMs ?? 60_000,
    accessTtlSeconds: opts.accessTtlSeconds ?? 3600,
    newBatchEveryMs: opts.newBatchEveryMs ?? null,
  });
  const specs: SandboxCompanySpec[] =
    typeof opts.companies === 'object' ? opts.companies : Array.from({ length: opts.companies ?? 1 }, (_, i) => ({ id: `c${String(i + 1).padStart(4, '0')}` }));
  for (const s of specs) state.addCompany(s);
  if (opts.prerender) state.prerender();

  let url = '';
  const { server, setFaults, idle, load } = createSandboxServer({ state, baseUrl: () => url, latencyMs: opts.latencyMs ?? 0, faults: opts.faults ?? null });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;

  const batch = (id: string): SandboxBatch => {
    for (const c of state.companies.values()) {
      const b = c.batches.get(id);
      if (b) return b;
    }
    throw new Error(`sandbox: no batch ${id}`);
  };
  const info = (b: SandboxBatch): SandboxBatchInfo => ({
    id: b.id,
    companyId: b.companyId,
    name: b.name,
    kind: b.kind,
    currency: b.currency,
    count: b.reports,
    total: state.total(b),
    status: b.status,
    closedBy: b.closedBy,
    batchUrl: `${url}/api/expense/paymentbatch/v1.1/batch/${b.encId}`,
  });

  return {
    url,
    port,
    clock,
    companies: [...state.companies.values()].map((c) => ({ id: c.id, clientId: c.clientId, clientSecret: c.clientSecret, refreshToken: c.initialRefreshToken })),
    controls: {
      batches(companyId) {
        const c = state.company(companyId);
        state.settle(c);
        return [...c.batches.values()].map(info);
      },
      addBatch(companyId, seed) {
        state.settle(state.company(companyId));
        return info(state.addBatch(companyId, seed));
      },
      addReports: (batchId, reports) => state.addReports(batch(batchId), reports),
      closeByHand(batchId) {
        const b = batch(batchId);
        state.settle(state.company(b.companyId));
        if (b.status === 'OPEN') state.markClosed(b, 'hand', clock.now());
      },
      revokeRefreshToken(companyId) {
        state.company(companyId).refresh = { current: null, previous: null, previousValidUntil: 0 };
      },
      reauthorise(companyId) {
        const token = `refresh-reauth-${randomBytes(12).toString('base64url')}`;
        state.company(companyId).refresh = { current: token, previous: null, previousValidUntil: 0 };
        return token;
      },
      expireAccessTokens: () => state.tokens.clear(),
      setFaults,
    },
    counters: {
      closeV12: (id) => sum(state.counters.closeV12, id),
      closeV11: (id) => sum(state.counters.closeV11, id),
      downloads: (fileUrl) => sum(state.counters.downloads, fileUrl),
      tokenGrants: (companyId) => sum(state.counters.tokenGrants, companyId),
      faults: (kind) => sum(state.counters.faults, kind),
      load,
    },
    idle,
    served(fileUrl) {
      const path = fileUrl.startsWith(url) ? fileUrl.slice(url.length) : fileUrl;
      const f = state.files.get(path);
      return f && { sha256: f.sha256, size: f.size, batchId: f.batchId, fileName: f.fileName, total: f.total };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
