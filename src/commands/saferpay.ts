// `erp-sync saferpay close <terminal> [--force]` and the Saferpay lines of `erp-sync status`.
import { hostname, userInfo } from 'node:os';
import type { Logger } from '../log.js';
import type { Queryable } from '../db/sql.js';
import type { FetchFn } from '../saferpay/client.js';
import { terminalLabel, type SaferpayConfig } from '../saferpay/config.js';
import { closeByHand } from '../saferpay/job.js';
import type { SaferpayStatus } from '../saferpay/store.js';
import { saferpayError } from '../saferpay/error-text.js';
import type { Holder } from '../store/claims.js';

export interface SaferpayCommandDeps {
  ds: Queryable;
  /** This command's claim session. */
  holder: Holder;
  saferpay: SaferpayConfig;
  logger: Logger;
  now?: () => Date;
  fetch?: FetchFn;
  sleep?: (ms: number) => Promise<void>;
  /** Who forces a close (audited); default user@host. */
  actor?: string;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

/** Closes one terminal's batch now. Exit codes: 0 closed (or already closed today), 1 not closed, 2 unknown terminal or configuration error. */
export async function runSaferpayClose(deps: SaferpayCommandDeps, terminal: string, opts: { force: boolean }): Promise<number> {
  const out = deps.out ?? process.stdout;
  const err = deps.err ?? process.stderr;
  const t = deps.saferpay.terminals.find((x) => x.name === terminal || x.terminalId === terminal);
  if (!t) {
    const known = deps.saferpay.terminals.map(terminalLabel).join(', ') || 'none configured';
    err.write(`erp-sync: no Saferpay terminal "${terminal}" (configured: ${known})\n`);
    return 2;
  }
  const { summary, note } = await closeByHand(
    {
      ds: deps.ds,
      config: deps.saferpay,
      now: deps.now ?? (() => new Date()),
      fetch: deps.fetch,
      sleep: deps.sleep,
      logger: deps.logger,
      holder: deps.holder,
    },
    t,
    opts.force ? (deps.actor ?? `${userInfo().username}@${hostname()}`) : null,
  );
  if (note) err.write(`erp-sync: ${note}\n`);
  if (!summary) return 1;
  out.write(`${summary.terminal} ${summary.businessDay}: ${summary.outcome} (RequestId ${summary.requestId}, ${summary.attempts} attempt${summary.attempts === 1 ? '' : 's'})${summary.detail ? ` ${summary.detail}` : ''}\n`);
  // Already closed by the Backoffice or the automatic closure: the batch is closed, which is what was asked.
  if (summary.outcome === 'closed' || summary.outcome === 'already-closed') return 0;
  return summary.outcome === 'config-error' ? 2 : 1;
}

/** The Saferpay section of `erp-sync status` (empty when no terminal was ever closed). */
export function renderSaferpayStatus(rows: SaferpayStatus[]): string {
  if (rows.length === 0) return '';
  const header = ['TERMINAL', 'BUSINESS DAY', 'OUTCOME', 'TRIES', 'REQUEST ID', 'ERROR', 'LAST CLOSED', 'NEXT TRY'];
  const lines = rows.map((s) => [
    s.terminalName === s.terminalId ? s.terminalId : `${s.terminalName} (${s.terminalId})`,
    s.seq > 0 ? `${s.businessDay} #${s.seq} forced by ${s.forcedBy}` : s.businessDay,
    s.outcome,
    String(s.attempts),
    s.requestId,
    saferpayError(s),
    s.lastClosedAt ?? '-',
    s.nextAttemptAt ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((r) => r[i]!.length)));
  return [header, ...lines].map((r) => r.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}
