// What the pure machine (src/pipeline/machine.ts) decides and the store (src/store/batches.ts) commits, fenced on the
// claim: one batch's move to its next state with its audit event.
import type { BatchState } from './batch-state.js';
import type { Reconciliation } from './reconciliation.js';

export interface Transition {
  state: BatchState;
  /** Event kind for the audit trail. */
  event: string;
  detail: Record<string, unknown>;
  nextAttemptAt: Date | null;
  attempts: number;
  lastError: string | null;
  /** Column updates beyond state (timestamps, file url, reconciliation, quarantine reason). */
  set: Partial<{
    fileUrl: string;
    closeRequestedAt: Date;
    closedAt: Date;
    fetchedAt: Date;
    loadedAt: Date;
    deliveredAt: Date;
    doneAt: Date;
    reconciliation: Reconciliation;
    quarantineReason: string;
    stateData: Record<string, unknown>;
  }>;
}
