// The sandbox's world: companies, their credentials and batches, issued tokens, generated files, and counters.
import { createHash, randomBytes } from 'node:crypto';
import { Money, totalsByCurrency } from '../../src/money.js';
import { generateLines, renderBatchFile, type BatchFileKind, type BatchSpec, type RenderedBatchFile } from '../files/index.js';
import type { SandboxClock } from '../clock.js';

export interface BatchSeed {
  name: string;
  kind: BatchFileKind;
  currency: string;
  type: 'Employee' | 'Card Program';
  paymentMethod: string;
  reports: number;
  linesPerReport: number;
  /** A file already on disk (e.g. a 1 GB SAE from writeSaeFile), served streamed instead of a generated one. */
  file?: DiskFile;
  /** The list's BatchTotal is off by this from its file (a reconciliation mismatch, for the demo's alert). */
  listTotalOff?: string;
}

export interface DiskFile {
  path: string;
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
  /** Its total in the batch currency: what the list shows as BatchTotal. */
  total: string;
}

export interface SandboxBatch extends BatchSeed {
  /** The plain BatchID the list shows (never valid in a URL). */
  id: string;
  /** The encrypted id inside Batch-URL; contains `$`. */
  encId: string;
  companyId: string;
  seed: number;
  status: 'OPEN' | 'CLOSED';
  /** A v1.2 close in progress: the batch turns CLOSED at this time. */
  closesAt: number | null;
  closedAt: number | null;
  closedBy: 'api' | 'hand' | null;
  /** Times its file was (re)generated. */
  generations: number;
}

export interface SandboxCompany {
  id: string;
  clientId: string;
  clientSecret: string;
  /** The refresh token the company starts with (what a config would hold). */
  initialRefreshToken: string;
  refresh: { current: string | null; previous: string | null; previousValidUntil: number };
  batches: Map<string, SandboxBatch>;
  seeded: boolean;
  demoBatches: number;
}

export interface ServedFile {
  path: string;
  companyId: string;
  batchId: string;
  /** In memory, or (a seeded disk file) streamed from diskPath. */
  bytes: Buffer | null;
  diskPath: string | null;
  size: number;
  contentType: string;
  fileName: string;
  sha256: string;
  /** The file's own total in the batch currency. */
  total: string;
}

export interface StateOptions {
  clock: SandboxClock;
  seed: number;
  closeDelayMs: number;
  refreshGraceMs: number;
  accessTtlSeconds: number;
  /** Demo mode: a new batch per company every this many ms of clock time. */
  newBatchEveryMs: number | null;
}

export const EMPTY_BATCH_MESSAGE =
  'The batch you attempted to close does not contain any reports. If you recently approved reports for payment, wait 30 minutes and try again.';

/** The batches every sandbox company starts with: each file kind, several currencies, one empty batch. */
export const DEFAULT_BATCHES: readonly BatchSeed[] = [
  { name: 'Employee Reimbursements EUR', kind: 'csv', currency: 'EUR', type: 'Employee', paymentMethod: 'Expense Pay by SAP Concur', reports: 6, linesPerReport: 3 },
  { name: 'QuickBooks Payables USD', kind: 'quickbooks-zip', currency: 'USD', type: 'Employee', paymentMethod: 'Company Check (via Accounts Payable)', reports: 5, linesPerReport: 2 },
  { name: 'Standard Accounting Extract CHF', kind: 'sae', currency: 'CHF', type: 'Employee', paymentMethod: 'ADP (via EPIP file)', reports: 4, linesPerReport: 3 },
  { name: 'Corporate Card GBP', kind: 'csv', currency: 'GBP', type: 'Card Program', paymentMethod: 'Other Reimbursement Methods', reports: 3, linesPerReport: 2 },
  { name: 'Employee Reimbursements USD (empty)', kind: 'csv', currency: 'USD', type: 'Employee', paymentMethod: 'Expense Pay by SAP Concur', reports: 0, linesPerReport: 2 },
];

function digest(...parts: Array<string | number>): Buffer {
  return createHash('sha256').update(parts.join('\u0000')).digest();
}

/** An opaque key in Concur's style (`n$s4MtBKgvoJxAYcbggR7eD2jRU$sxYjePU`): letters and digits with `$` inside. */
function opaqueKey(...parts: Array<string | number>): string {
  const s = digest(...parts).toString('base64').replace(/[^A-Za-z0-9]/g, '');
  return `${s.slice(0, 1)}$${s.slice(1, 21)}$${s.slice(21, 30)}`;
}

export class SandboxState {
  readonly companies = new Map<string, SandboxCompany>();
  private readonly byClientId = new Map<string, SandboxCompany>();
  private readonly byEncId = new Map<string, SandboxBatch>();
  readonly tokens = new Map<string, { companyId: string; expiresAt: number }>();
  readonly files = new Map<string, ServedFile>();
  private readonly rendered = new Map<string, RenderedBatchFile>();
  private readonly totals = new Map<string, string>();
  readonly counters = {
    closeV12: new Map<string, number>(),
    closeV11: new Map<string, number>(),
    downloads: new Map<string, number>(),
    tokenGrants: new Map<string, number>(),
    faults: new Map<string, number>(),
  };
  private readonly startedAt: number;

  constructor(readonly opts: StateOptions) {
    this.startedAt = opts.clock.now();
  }

  now(): number {
    return this.opts.clock.now();
  }

  addCompany(c: { id: string; clientId?: string; clientSecret?: string; refreshToken?: string; batches?: readonly BatchSeed[] }): SandboxCompany {
    const company: SandboxCompany = {
      id: c.id,
      clientId: c.clientId ?? `client-${c.id}`,
      clientSecret: c.clientSecret ?? `secret-${c.id}-${digest(this.opts.seed, c.id).toString('hex').slice(0, 12)}`,
      initialRefreshToken: c.refreshToken ?? `refresh-${c.id}-${digest('refresh', this.opts.seed, c.id).toString('hex').slice(0, 16)}`,
      refresh: { current: null, previous: null, previousValidUntil: 0 },
      batches: new Map(),
      seeded: c.batches !== undefined,
      demoBatches: 0,
    };
    company.refresh.current = company.initialRefreshToken;
    this.companies.set(company.id, company);
    this.byClientId.set(company.clientId, company);
    for (const seed of c.batches ?? []) this.addBatch(company.id, seed);
    return company;
  }

  company(id: string): SandboxCompany {
    const c = this.companies.get(id);
    if (!c) throw new Error(`sandbox: no company ${id}`);
    return c;
  }

  companyByClientId(clientId: string): SandboxCompany | undefined {
    return this.byClientId.get(clientId);
  }

  addBatch(companyId: string, seed: BatchSeed): SandboxBatch {
    const company = this.company(companyId);
    const n = company.batches.size;
    // The plain id: 20 digits, unique across companies (a hash of company and position).
    const id = BigInt(`0x${digest('batch', this.opts.seed, companyId, n).toString('hex').slice(0, 16)}`).toString().padStart(20, '0').slice(0, 20);
    const batch: SandboxBatch = {
      ...seed,
      id,
      encId: opaqueKey('enc', this.opts.seed, id),
      companyId,
      seed: digest('seed', this.opts.seed, id).readUInt32BE(0),
      status: 'OPEN',
      closesAt: null,
      closedAt: null,
      closedBy: null,
      generations: 0,
    };
    company.batches.set(id, batch);
    this.byEncId.set(batch.encId, batch);
    return batch;
  }

  /** Brings a company up to the clock: default batches on first use, finished v1.2 closes, demo arrivals. */
  settle(company: SandboxCompany): void {
    const now = this.now();
    if (!company.seeded) {
      company.seeded = true;
      for (const seed of DEFAULT_BATCHES) this.addBatch(company.id, seed);
    }
    for (const b of company.batches.values()) {
      if (b.closesAt !== null && b.closesAt <= now) this.markClosed(b, 'api', b.closesAt);
    }
    const every = this.opts.newBatchEveryMs;
    if (every) {
      const due = Math.floor((now - this.startedAt) / every);
      for (; company.demoBatches < due; company.demoBatches++) {
        const base = DEFAULT_BATCHES[company.demoBatches % (DEFAULT_BATCHES.length - 1)]!;
        this.addBatch(company.id, { ...base, name: `${base.name} #${company.demoBatches + 2}`, reports: 2 + (company.demoBatches % 5) });
      }
    }
  }

  batchByEncId(encId: string): SandboxBatch | undefined {
    return this.byEncId.get(encId);
  }

  markClosed(b: SandboxBatch, by: 'api' | 'hand', at: number): void {
    b.status = 'CLOSED';
    b.closesAt = null;
    b.closedAt = at;
    b.closedBy = by;
  }

  /** The batch's file (rendered once; a regenerated file has the same content under a new URL). */
  render(b: SandboxBatch): RenderedBatchFile {
    let r = this.rendered.get(b.id);
    if (!r) {
      r = renderBatchFile(b.kind, this.spec(b));
      this.rendered.set(b.id, r);
    }
    return r;
  }

  /** Every seeded batch's list total and file, rendered now (a file served from disk needs neither). */
  prerender(): void {
    for (const c of this.companies.values()) {
      for (const b of c.batches.values()) {
        if (b.file) continue;
        this.total(b);
        this.render(b);
      }
    }
  }

  /** BatchTotal as the list shows it: the exact sum of the lines its file will hold (no file rendered for it). */
  total(b: SandboxBatch): string {
    if (b.file) return b.file.total;
    let t = this.totals.get(b.id);
    if (t === undefined) {
      const sum = totalsByCurrency(generateLines(this.spec(b))).get(b.currency);
      t = (sum ?? new Money(0)).plus(b.listTotalOff ?? 0).toFixed(2);
      this.totals.set(b.id, t);
    }
    return t;
  }

  private spec(b: SandboxBatch): BatchSpec {
    const closeDate = new Date(b.closedAt ?? this.now()).toISOString().slice(0, 10);
    return { batchId: b.id, batchName: b.name, closeDate, seed: b.seed, reports: b.reports, linesPerReport: b.linesPerReport, currency: b.currency };
  }

  /** Reports approved into an open batch (an empty batch becoming closable). */
  addReports(b: SandboxBatch, reports: number): void {
    if (b.status !== 'OPEN') throw new Error('sandbox: reports only enter open batches');
    b.reports += reports;
    this.rendered.delete(b.id);
    this.totals.delete(b.id);
  }

  /** A fresh file for a closed batch under a new URL (what every v1.1 close does). */
  generateFile(b: SandboxBatch): ServedFile {
    b.generations++;
    const jobRunKey = opaqueKey('job', this.opts.seed, b.id, b.generations);
    const path = `/api/expense/paymentbatch/v1.1/batch/${jobRunKey}/file`;
    if (b.file) {
      const d = b.file;
      const file: ServedFile = { path, companyId: b.companyId, batchId: b.id, bytes: null, diskPath: d.path, size: d.size, contentType: d.contentType, fileName: d.fileName, sha256: d.sha256, total: d.total };
      this.files.set(path, file);
      return file;
    }
    const r = this.render(b);
    const file: ServedFile = {
      path,
      companyId: b.companyId,
      batchId: b.id,
      bytes: r.bytes,
      diskPath: null,
      size: r.bytes.length,
      contentType: r.contentType,
      fileName: r.fileName,
      sha256: createHash('sha256').update(r.bytes).digest('hex'),
      total: r.totals[b.currency] ?? '0',
    };
    this.files.set(file.path, file);
    return file;
  }

  newJobKey(b: SandboxBatch): string {
    return opaqueKey('queue', b.id, randomBytes(8).toString('hex'));
  }

  /** The refresh-token grant: the current token, or the previous one within its grace period, rotates. */
  grant(company: SandboxCompany, refreshToken: string): { accessToken: string; refreshToken: string; expiresIn: number } | null {
    const now = this.now();
    const r = company.refresh;
    const valid = refreshToken === r.current || (refreshToken === r.previous && now < r.previousValidUntil);
    if (!valid || r.current === null) return null;
    const next = `refresh-${randomBytes(18).toString('base64url')}`;
    company.refresh = { current: next, previous: r.current, previousValidUntil: now + this.opts.refreshGraceMs };
    const accessToken = `sbx.${randomBytes(24).toString('base64url')}`;
    this.tokens.set(accessToken, { companyId: company.id, expiresAt: now + this.opts.accessTtlSeconds * 1000 });
    bump(this.counters.tokenGrants, company.id);
    return { accessToken, refreshToken: next, expiresIn: this.opts.accessTtlSeconds };
  }

  /** The company an access token belongs to, if it is known and unexpired. */
  companyOfToken(token: string): SandboxCompany | undefined {
    const t = this.tokens.get(token);
    if (!t || t.expiresAt <= this.now()) return undefined;
    return this.companies.get(t.companyId);
  }
}

export function bump(m: Map<string, number>, key: string): void {
  m.set(key, (m.get(key) ?? 0) + 1);
}
