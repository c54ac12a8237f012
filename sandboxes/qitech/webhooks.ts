// Webhook delivery back to the daemon, as QI Tech does it: POST JSON, retried with back-off on non-2xx
// or no answer. Sleeping is injected so tests never wait.
import { backoffDelay, realSleep, type Sleep } from '../../src/backoff.js';

export interface WebhookTarget {
  url: string;
  headers?: Record<string, string>;
  /** Deliveries per event before giving up (default 5). */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export interface WebhookDelivery {
  payload: Record<string, unknown>;
  attempts: number;
  /** HTTP status of each attempt (0: no answer). */
  statuses: number[];
  delivered: boolean;
}

export async function deliverWebhook(target: WebhookTarget, payload: Record<string, unknown>, deps: { sleep?: Sleep; random?: () => number }): Promise<WebhookDelivery> {
  const sleep = deps.sleep ?? realSleep;
  const attempts = target.attempts ?? 5;
  const statuses: number[] = [];
  const body = JSON.stringify(payload);
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const status = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...target.headers },
      body,
      signal: AbortSignal.timeout(10_000),
    }).then(
      async (res) => {
        await res.arrayBuffer().catch(() => undefined);
        return res.status;
      },
      () => 0,
    );
    statuses.push(status);
    if (status >= 200 && status < 300) return { payload, attempts: attempt, statuses, delivered: true };
    if (attempt < attempts) await sleep(backoffDelay(attempt, { baseMs: target.baseDelayMs ?? 1_000, maxMs: target.maxDelayMs ?? 60_000 }, deps.random));
  }
  return { payload, attempts, statuses, delivered: false };
}
