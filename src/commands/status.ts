// `erp-sync status [--json]`: where every batch stands, which companies need re-authorisation, which sinks a person.
import { openRuntime } from '../runtime.js';
import { printableLines } from '../printable.js';
import { batchStatuses, type BatchStatus } from '../store/status.js';
import { companyStatuses, type CompanyStatus } from '../store/companies.js';
import { saferpayStatus } from '../store/saferpay.js';
import { sinksNeedingAttention, type SinkAttentionRow } from '../store/sink-attention.js';
import { renderSaferpayStatus } from './saferpay.js';
import type { CommandContext } from './context.js';

function totalsText(t: Record<string, string>): string {
  return Object.entries(t).map(([cur, v]) => `${v} ${cur}`.trim()).join(', ') || '-';
}

export function renderStatus(batches: BatchStatus[], companies: CompanyStatus[], sinks: SinkAttentionRow[] = []): string {
  const lines: string[] = [];
  for (const c of companies) {
    if (c.authState === 'needs_reauth') lines.push(`company ${c.id}: NEEDS RE-AUTHORISATION (${c.authError ?? 'refresh token rejected'})`);
    if (c.lastDiscoveryError) lines.push(`company ${c.id}: last discovery failed: ${c.lastDiscoveryError}`);
  }
  for (const a of sinks) lines.push(`company ${a.companyId} sink ${a.sink}: NEEDS ATTENTION since ${a.since.toISOString()}: ${a.reason}`);
  const header = ['COMPANY', 'BATCH', 'NAME', 'STATE', 'TRIES', 'ROWS', 'TOTALS', 'RECONCILIATION', 'DELIVERIES', 'LAST ERROR'];
  const rows = batches.map((b) => [
    b.company,
    b.batchId,
    b.name ?? '',
    b.state,
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
  const rt = await openRuntime(ctx.config, ctx.logger);
  try {
    const [batches, companies, closes, sinks] = await Promise.all([batchStatuses(rt.ds), companyStatuses(rt.ds), saferpayStatus(rt.ds), sinksNeedingAttention(rt.ds)]);
    // Batch names, ids and errors come from outside: control characters are escaped (valid JSON escapes too).
    if (opts.json) out.write(printableLines(JSON.stringify(batches, null, 2) + '\n'));
    else out.write(printableLines(renderStatus(batches, companies, sinks) + (closes.length ? `\n${renderSaferpayStatus(closes)}` : '')));
    return 0;
  } finally {
    await rt.close();
  }
}
