// Why an unfinished batch is not being worked on right now: one pure answer for run-once's summary (and status).
import type { BatchState } from '../model/batch-state.js';

export interface WaitingBatch {
  state: BatchState;
  nextAttemptAt: Date | null;
  lastError: string | null;
  /** The live holder of its claim (another process working on it), if any. */
  heldBy: string | null;
}

export type WaitReason =
  | { kind: 'held'; by: string }
  | { kind: 'close-window'; until: Date | null }
  | { kind: 'no-reports'; until: Date | null }
  | { kind: 'close-watch'; until: Date | null }
  | { kind: 'back-off'; until: Date | null; error: string }
  | { kind: 'due' };

/** Null for a finished batch (done, quarantined). */
export function whyWaiting(b: WaitingBatch, now: Date): WaitReason | null {
  if (b.state === 'done' || b.state === 'quarantined') return null;
  if (b.heldBy) return { kind: 'held', by: b.heldBy };
  const until = b.nextAttemptAt;
  if (until && until.getTime() > now.getTime()) {
    if (b.lastError) return { kind: 'back-off', until, error: b.lastError };
    if (b.state === 'discovered') return { kind: 'close-window', until };
    if (b.state === 'empty') return { kind: 'no-reports', until };
    if (b.state === 'closing') return { kind: 'close-watch', until };
  }
  return { kind: 'due' };
}

/** Waits nobody asked to be cut short: the company's close schedule, or Concur having no reports in the batch yet. */
export function isScheduledWait(r: WaitReason): boolean {
  return r.kind === 'close-window' || r.kind === 'no-reports';
}

const at = (d: Date | null) => (d ? ` until ${d.toISOString()}` : '');

export function describeWait(r: WaitReason): string {
  switch (r.kind) {
    case 'held':
      return `held by ${r.by}`;
    case 'close-window':
      return `wait for the close window${at(r.until)}`;
    case 'no-reports':
      return `have no reports yet, next look${at(r.until)}`;
    case 'close-watch':
      return `wait for Concur to close them, next look${at(r.until)}`;
    case 'back-off':
      return `back off${at(r.until)} after: ${r.error}`;
    case 'due':
      return 'are due and were not started';
  }
}
