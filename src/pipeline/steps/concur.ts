// The Concur side effects of the pipeline: request the close, watch for CLOSED, obtain the File-Url.
import type { ConcurClient } from '../../concur/client.js';
import { ConcurHttpError, ConcurReauthRequiredError, ConcurConfigError, ConcurUntrustedUrlError } from '../../concur/errors.js';
import { retryPolicy } from '../../concur/retry-policy.js';
import type { Outcome, StepFailure } from '../machine.js';
import type { StepContext } from '../worker.js';

/** A Concur failure as the state machine sees it, using the client's own retry policy. */
export function concurFailure(error: unknown, attempt: number, now: Date): StepFailure {
  const decision = retryPolicy(error, { attempt, now: now.getTime(), random: Math.random });
  const kind = error instanceof ConcurHttpError ? `http_${error.status}` : error instanceof Error ? error.name : 'unknown';
  const permanent = error instanceof ConcurReauthRequiredError || error instanceof ConcurConfigError;
  return {
    kind,
    message: error instanceof Error ? error.message : String(error),
    // Re-authorisation and configuration problems are fixed by a person; the batch waits for them with back-off.
    retryable: decision.retry || permanent,
    ...(decision.retry ? { retryAfterMs: decision.retryAfterMs } : {}),
  };
}

export function concurSteps(clientFor: (companyId: string) => ConcurClient) {
  return {
    /** v1.2 close. The intent is already committed; an answer we did not get means "watch", never "close again". */
    async close(ctx: StepContext): Promise<Outcome> {
      try {
        const r = await clientFor(ctx.company.id).requestClose(ctx.batch.batchUrl ?? '');
        if (r.outcome === 'empty') return { kind: 'close_empty' };
        return { kind: 'close_accepted', jobQueueKey: r.jobQueueKey };
      } catch (e) {
        // Refused before it left (untrusted URL): nothing to watch for.
        if ((e instanceof ConcurHttpError && (e.status === 400 || e.status === 404)) || e instanceof ConcurUntrustedUrlError) return { kind: 'failed', error: concurFailure(e, ctx.batch.attempts + 1, ctx.now()) };
        return { kind: 'close_unconfirmed', message: e instanceof Error ? e.message : String(e) };
      }
    },

    async watch_close(ctx: StepContext): Promise<Outcome> {
      try {
        const closed = await clientFor(ctx.company.id).listBatches('CLOSED');
        return closed.some((b) => b.concurBatchId === ctx.batch.concurBatchId) ? { kind: 'seen_closed' } : { kind: 'not_closed_yet' };
      } catch (e) {
        return { kind: 'failed', error: concurFailure(e, ctx.batch.attempts + 1, ctx.now()) };
      }
    },

    /** v1.1 close on the closed batch: answers the File-Url (and makes Concur regenerate the file). */
    async get_file_url(ctx: StepContext): Promise<Outcome> {
      try {
        const r = await clientFor(ctx.company.id).closeForFileUrl(ctx.batch.batchUrl ?? '');
        if (r.outcome === 'empty') return { kind: 'failed', error: { kind: 'empty', message: r.message, retryable: true, retryAfterMs: r.retryNotBefore.getTime() - ctx.now().getTime() } };
        return { kind: 'file_url', url: r.fileUrl };
      } catch (e) {
        return { kind: 'failed', error: concurFailure(e, ctx.batch.attempts + 1, ctx.now()) };
      }
    },
  };
}
