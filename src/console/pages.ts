// The console's pages: each reads what it shows from the store and hands it to its template.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { BATCH_STATES } from '../model/batch-state.js';
import { countByState, getBatch, type BatchRow } from '../store/batches.js';
import { companyStatuses } from '../store/companies.js';
import { storagePathOf } from '../store/file-store.js';
import { sinksNeedingAttention } from '../store/sink-attention.js';
import { batchStatuses } from '../store/status.js';
import {
  amountsPerDay, batchEvents, batchFile, batchFiles, deliveryResults, filterChoices, listBatches, needsAPerson, nextActions, rowsPerCurrency,
  stateChanges, type AttentionItem, type BatchFilter,
} from '../store/console.js';
import { MANIFEST_FORMAT } from '../../sinks/sftp/manifest.js';
import { saferpayCloses } from '../saferpay/store.js';
import { amountsChart, statesChart } from './charts.js';
import { amountSeries, lastDays, stateSeries } from './series.js';

export const CHART_DAYS = 30;
export const PAGE_SIZE = 50;
const SAFERPAY_DAYS = 45;

/** The kinds of "what needs a person", in the order the overview lists them. */
export const ATTENTION_KINDS: Array<[AttentionItem['kind'], string]> = [
  ['quarantined', 'Quarantined batches'],
  ['needs-reauthorisation', 'Companies to re-authorise'],
  ['sink-needs-attention', 'Sinks that need a person'],
  ['delivery-failing', 'Deliveries failing'],
  ['saferpay-close-failed', 'Saferpay closes failed'],
  ['reconciliation-mismatch', 'Loaded with a reconciliation mismatch'],
];

export async function overviewData(ds: DataSource, now: Date): Promise<object> {
  const days = lastDays(now, CHART_DAYS);
  const since = new Date(`${days[0]}T00:00:00Z`);
  const [attention, counts, companies, next, amounts, changes] = await Promise.all([
    needsAPerson(ds), countByState(ds), companyStatuses(ds), nextActions(ds), amountsPerDay(ds, since), stateChanges(ds, since),
  ]);
  const byCompany = companies.map((c) => ({ companyId: c.id, counts: Object.fromEntries(counts.filter((r) => r.companyId === c.id).map((r) => [r.state, r.n])) }));
  const statePoints = stateSeries(changes.now, changes.deltas, days, BATCH_STATES);
  return {
    attention,
    attentionKinds: ATTENTION_KINDS,
    states: BATCH_STATES,
    byCompany,
    next,
    days,
    amounts: amountSeries(amounts, days).map((series, i) => ({ series, svg: amountsChart(`amounts-${i}`, series) })),
    statePoints,
    statesSvg: statesChart('states', statePoints, BATCH_STATES),
  };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const pick = (v: string | undefined, ok: (v: string) => boolean) => (v !== undefined && v !== '' && ok(v) ? v : undefined);

/** The list's filters from a query string; anything malformed is left out rather than refused. */
export function parseFilter(q: URLSearchParams): BatchFilter {
  const text = (k: string) => pick(q.get(k)?.trim(), (v) => v.length <= 200);
  return {
    company: text('company'),
    state: pick(q.get('state') ?? undefined, (v) => (BATCH_STATES as readonly string[]).includes(v)),
    from: pick(q.get('from') ?? undefined, (v) => DAY.test(v) && !Number.isNaN(Date.parse(v))),
    to: pick(q.get('to') ?? undefined, (v) => DAY.test(v) && !Number.isNaN(Date.parse(v))),
    currency: text('currency'),
    sink: text('sink'),
    q: text('q'),
  };
}

export async function batchesData(ds: DataSource, q: URLSearchParams): Promise<object> {
  const f = parseFilter(q);
  const id = (k: string) => pick(q.get(k) ?? undefined, (v) => /^\d{1,18}$/.test(v));
  const [page, choices] = await Promise.all([listBatches(ds, f, { before: id('before'), after: id('after'), size: PAGE_SIZE }), filterChoices(ds)]);
  return { f, page, choices, states: BATCH_STATES };
}

interface DeliveredFile {
  kind: string;
  remotePath: string;
  sha256: string;
  size: number;
  outcome: string;
}

export async function batchData(ds: DataSource, b: BatchRow): Promise<object> {
  const [[status], events, files, rows, results] = await Promise.all([
    batchStatuses(ds, { batch: b.id }), batchEvents(ds, b.id), batchFiles(ds, b.id), rowsPerCurrency(ds, b.id), deliveryResults(ds, b.id),
  ]);
  const bySink = Object.fromEntries(results.map((r) => {
    const delivered = Array.isArray(r.result) ? (r.result as DeliveredFile[]) : [];
    return [r.sink, { files: delivered, manifest: delivered.find((f) => f.kind === 'manifest') ?? null }];
  }));
  return { batch: b, status, events, files, rows, results: bySink, manifestFormat: MANIFEST_FORMAT };
}

export async function companiesData(ds: DataSource): Promise<object> {
  const [companies, sinks] = await Promise.all([companyStatuses(ds), sinksNeedingAttention(ds)]);
  return { companies, sinks };
}

export async function saferpayData(ds: DataSource, now: Date): Promise<object> {
  const since = lastDays(now, SAFERPAY_DAYS)[0]!;
  return { since, closes: await saferpayCloses(ds, since) };
}

export async function findBatchById(ds: DataSource, id: string | undefined): Promise<BatchRow | null> {
  return id && /^\d{1,18}$/.test(id) ? getBatch(ds, id) : null;
}

/** The original bytes of one of a batch's files, from the file store; null when unknown or no longer kept. */
export async function openBatchFile(ds: DataSource, dataDir: string, batchRowId: string, fileId: string): Promise<{ name: string; size: number; stream: NodeJS.ReadableStream } | null> {
  if (!/^\d{1,18}$/.test(fileId)) return null;
  const f = await batchFile(ds, batchRowId, fileId);
  // Only the store's own name for those bytes is opened: a path recorded otherwise is not followed.
  if (!f?.storagePath || f.storagePath !== storagePathOf(f.sha256)) return null;
  const path = join(dataDir, f.storagePath);
  const st = await stat(path).catch(() => null);
  if (!st?.isFile()) return null;
  return { name: f.name, size: st.size, stream: createReadStream(path) };
}
