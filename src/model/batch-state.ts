// The batch states and which step moves each one on (see ARCHITECTURE.md for the diagram). The vocabulary the
// pipeline, the store and the status views share, so it lives on the lowest floor.

export const BATCH_STATES = ['discovered', 'closing', 'empty', 'closed', 'file_ready', 'fetched', 'loaded', 'done', 'quarantined'] as const;
export type BatchState = (typeof BATCH_STATES)[number];

export type Step = 'close' | 'watch_close' | 'get_file_url' | 'fetch' | 'load' | 'deliver';

export const TERMINAL_STATES: readonly BatchState[] = ['done', 'quarantined'];

const STEP_OF: Record<BatchState, Step | null> = {
  discovered: 'close', // due at the company's close time
  empty: 'close', // Concur said "no reports": try again no sooner than 30 minutes later
  closing: 'watch_close', // v1.2 close requested: watch the list until CLOSED
  closed: 'get_file_url', // v1.1 close for the File-Url (or the Batch-URL's file for hand-closed batches)
  file_ready: 'fetch',
  fetched: 'load',
  loaded: 'deliver',
  done: null,
  quarantined: null,
};

export function stepFor(state: BatchState): Step | null {
  return STEP_OF[state];
}
