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

function totalsText(t: Record<string, string>): string {
  return Object.entries(t).map(([cur, v]) => `${v} ${cur}`.trim()).join(', ') || '-';
}

/** Why a batch that is not finished waits, and until when; null when it is finished or due now. */
export function waitingOf(b: BatchStatus, company: CompanyConfig | undefined, now: Date): { until: string; reason: string } | null {
  if (b.state === 'done' || b.state === 'quarantined' || !b.nextAttemptAt || new Date(b.nextAttemptAt) <= now) return null;
  const until = b.nextAttemptAt;
  if (b.attempts > 0) return { until, reason: `back-off after ${b.attempts} failed attempt${b.attempts === 1 ? '' : 's'}` };
  if (b.state === 'empty') return { until, reason: 'empty: Concur says the batch has no reports; tried again' };
  if (b.state === 'closing') return { until, reason: 'close requested: watching the list until Concur shows it CLOSED' };
  if (b.state === 'discovered' && b.count === 0) return { until, reason: 'empty: no reports yet (Count 0); looked at again at the next listing' };
  if (b.state === 'discovered') {
    const close = company?.concur.close.schedule;
    return { until, reason: close && close !== 'immediate' ? `close window: close.schedule "${close}" (${company!.timezone})` : 'close window: the next listing' };
  }
  return { until, reason: 'scheduled' };
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
