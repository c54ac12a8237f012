// `erp-sync status [--json]`: where every batch stands, which companies need re-authorisation, which sinks a person.
import { openRuntime } from '../runtime.js';
import { printableLines } from '../printable.js';
import { batchStatuses, type BatchStatus } from '../store/status.js';
import { companyStatuses, type CompanyStatus } from '../store/companies.js';
import { saferpayStatus } from '../saferpay/store.js';
import { sinksNeedingAttention, type SinkAttentionRow } from '../store/sink-attention.js';
import { renderSaferpayStatus } from './saferpay.js';
import type { CommandContext } from './context.js';
import type { CompanyConfig } from '../config/schema.js';
import { whyWaiting } from '../pipeline/waiting.js';

function totalsText(t: Record<string, string>): string {
  return Object.entries(t).map(([cur, v]) => `${v} ${cur}`.trim()).join(', ') || '-';
}

/**
 * Why a batch that is not finished waits, and until when (whyWaiting decides, as for run-once's summary; status
 * words it with more detail: the close schedule, Concur's Count 0); null when it is finished or due now.
 */
export function waitingOf(b: BatchStatus, company: CompanyConfig | undefined, now: Date): { until: string; reason: string } | null {
  const until = b.nextAttemptAt;
  const why = whyWaiting({ state: b.state, nextAttemptAt: until ? new Date(until) : null, lastError: b.lastError, heldBy: null }, now);
  if (!until || !why) return null;
  switch (why.kind) {
    case 'back-off':
      return { until, reason: `back-off after ${b.attempts} failed attempt${b.attempts === 1 ? '' : 's'}` };
    case 'no-reports':
      return { until, reason: 'empty: Concur says the batch has no reports; tried again' };
    case 'close-watch':
      return { until, reason: 'close requested: watching the list until Concur shows it CLOSED' };
    case 'close-window': {
      if (b.count === 0) return { until, reason: 'empty: no reports yet (Count 0); looked at again at the next listing' };
      const close = company?.concur.close.schedule;
      return { until, reason: close && close !== 'immediate' ? `close window: close.schedule "${close}" (${company!.timezone})` : 'close window: the next listing' };
    }
    case 'held':
    case 'due':
      return null;
  }
}

type Waiting = ReturnType<typeof waitingOf>;

export function renderStatus(batches: Array<BatchStatus & { waiting: Waiting }>, companies: CompanyStatus[], sinks: SinkAttentionRow[] = []): string {
  const lines: string[] = [];
  for (const c of companies) {
    if (c.authState === 'needs_reauth') lines.push(`company ${c.id}: NEEDS RE-AUTHORISATION (${c.authError ?? 'refresh token rejected'})`);
    if (c.lastDiscoveryError) lines.push(`company ${c.id}: last discovery failed: ${c.lastDiscoveryError}`);
  }
  for (const a of sinks) lines.push(`company ${a.companyId} sink ${a.sink}: NEEDS ATTENTION since ${a.since.toISOString()}: ${a.reason}`);
  const header = ['COMPANY', 'BATCH', 'NAME', 'STATE', 'NEXT DUE (UTC), WHY', 'TRIES', 'ROWS', 'TOTALS', 'RECONCILIATION', 'DELIVERIES', 'LAST ERROR'];
  const rows = batches.map((b) => [
    b.company,
    b.batchId,
    b.name ?? '',
    b.state,
    b.waiting ? `${b.waiting.until.replace('T', ' ')}, ${b.waiting.reason}` : '-',
    String(b.attempts),
    String(b.rows),
    totalsText(b.totals),
    b.reconciliation ? String(b.reconciliation.status) : '-',
    b.deliveries.map((d) => `${d.sink}:${d.state}${d.payout?.status ? `(${String(d.payout.status)}${d.payout.isReconciled ? ', reconciled' : ''})` : ''}`).join(' ') || '-',
    b.quarantineReason ?? b.lastError ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [header, ...rows]) lines.push(r.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd());
  return lines.join('\n') + '\n';
}

export async function runStatus(ctx: CommandContext, opts: { json: boolean; out?: NodeJS.WritableStream }): Promise<number> {
  const out = opts.out ?? process.stdout;
  const rt = await openRuntime(ctx.config, ctx.logger, { readOnly: true });
  try {
    const [batches, companies, closes, sinks] = await Promise.all([batchStatuses(rt.ds), companyStatuses(rt.ds), saferpayStatus(rt.ds), sinksNeedingAttention(rt.ds)]);
    const now = new Date();
    const byId = new Map(ctx.config.companies.map((c) => [c.id, c]));
    const rows = batches.map((b) => ({ ...b, waiting: waitingOf(b, byId.get(b.company), now) }));
    // Batch names, ids and errors come from outside: control characters are escaped (valid JSON escapes too).
    if (opts.json) out.write(printableLines(JSON.stringify(rows, null, 2) + '\n'));
    else out.write(printableLines(renderStatus(rows, companies, sinks) + (closes.length ? `\n${renderSaferpayStatus(closes)}` : '')));
    return 0;
  } finally {
    await rt.close();
  }
}
