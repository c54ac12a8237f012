// Xero's per-tenant limits on our side: at most N calls in flight and M started in any minute, and a
// pause for everyone after a 429 until its Retry-After has passed.

export interface LimiterOptions {
  concurrent: number;
  perMinute: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

const MINUTE = 60_000;

export class TenantLimiter {
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  private starts: number[] = [];
  private pausedUntil = 0;

  constructor(private readonly opts: LimiterOptions) {}

  /** Runs `fn` once a slot is free and the minute window has room. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    while (this.active >= this.opts.concurrent) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.active++;
    try {
      await this.awaitWindow();
      return await fn();
    } finally {
      this.active--;
      this.waiters.shift()?.();
    }
  }

  /** After a 429: nobody calls this tenant before `untilMs`. */
  pauseUntil(untilMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, untilMs);
  }

  private async awaitWindow(): Promise<void> {
    for (;;) {
      const now = this.opts.now();
      this.starts = this.starts.filter((t) => t > now - MINUTE);
      const full = this.starts.length >= this.opts.perMinute ? this.starts[0]! + MINUTE - now : 0;
      const wait = Math.max(this.pausedUntil - now, full);
      if (wait <= 0) {
        this.starts.push(now);
        return;
      }
      await this.opts.sleep(wait);
    }
  }
}

// Limits are per tenant, so every sink of one tenant in this process shares one limiter.
const shared = new Map<string, TenantLimiter>();

export function sharedLimiter(tenantId: string, opts: LimiterOptions): TenantLimiter {
  let l = shared.get(tenantId);
  if (!l) shared.set(tenantId, (l = new TenantLimiter(opts)));
  return l;
}
