// What run-once did, per company, and whether it did everything it was asked: a pure summary of the end state.
import type { DiscoveryOutcome } from './discovery.js';
import { describeWait, isScheduledWait, whyWaiting, type WaitingBatch, type WaitReason } from './waiting.js';

export interface CompanyRun {
  discovery: DiscoveryOutcome;
  done: number;
  quarantined: number;
  /** Unfinished batches, grouped by why they wait (same reason text → one group). */
  waiting: Array<{ reason: WaitReason; text: string; batches: string[] }>;
}

export interface RunSummary {
  companies: Record<string, CompanyRun>;
  /** Things asked for and not done: a listing failed or held elsewhere, batches quarantined, work left undone. */
  failed: number;
  /** One line: per company what was done, what waits and why. */
  text: string;
}

function discoveryText(d: DiscoveryOutcome): string | null {
  switch (d.outcome) {
    case 'failed':
      return `listing failed: ${d.error}`;
    case 'held':
      return `not listed: held by ${d.heldBy ?? 'another process'}`;
    default:
      return null;
  }
}

const untilOf = (r: WaitReason) => ('until' in r && r.until ? r.until.getTime() : Infinity);
const earlier = (a: WaitReason, b: WaitReason) => untilOf(a) < untilOf(b);

export function runSummary(
  discovery: Map<string, DiscoveryOutcome>,
  finished: Array<{ companyId: string; kind: 'done' | 'quarantined'; n: number }>,
  unfinished: Array<WaitingBatch & { companyId: string; concurBatchId: string }>,
  now: Date,
): RunSummary {
  const companies: Record<string, CompanyRun> = {};
  let failed = 0;
  for (const [id, d] of discovery) {
    companies[id] = { discovery: d, done: 0, quarantined: 0, waiting: [] };
    if (d.outcome === 'failed' || d.outcome === 'held') failed++;
  }
  for (const f of finished) {
    const c = companies[f.companyId];
    if (!c) continue;
    c[f.kind] += f.n;
    if (f.kind === 'quarantined') failed += f.n;
  }
  for (const b of unfinished) {
    const c = companies[b.companyId];
    const reason = whyWaiting(b, now);
    if (!c || !reason) continue;
    if (!isScheduledWait(reason)) failed++;
    // Grouped by kind (and holder); the earliest time stands for the group.
    const text = reason.kind === 'held' ? describeWait(reason) : reason.kind;
    const group = c.waiting.find((g) => (g.reason.kind === 'held' ? describeWait(g.reason) : g.reason.kind) === text);
    if (!group) c.waiting.push({ reason, text: describeWait(reason), batches: [b.concurBatchId] });
    else {
      group.batches.push(b.concurBatchId);
      if (earlier(reason, group.reason)) Object.assign(group, { reason, text: describeWait(reason) });
    }
  }
  const lines = Object.entries(companies).map(([id, c]) => {
    const parts = [discoveryText(c.discovery) ?? 'listed', `${c.done} done`];
    if (c.quarantined) parts.push(`${c.quarantined} quarantined`);
    for (const g of c.waiting) parts.push(`${g.batches.length} ${g.text} (${g.batches.slice(0, 5).join(', ')}${g.batches.length > 5 ? ', …' : ''})`);
    return `${id}: ${parts.join(', ')}`;
  });
  return { companies, failed, text: lines.join('; ') };
}
