// A bounded pool of live connections, so deliveries to the same target reuse one SSH handshake instead of paying
// for a new one each time. Generic over the connection (tests drive it with fakes); sinks/sftp/connections.ts
// keys it for SFTP. Correctness before reuse: only a connection its user vouches for goes back to the pool, and
// every reuse checks it is still alive.
import { SinkError } from '../sink.js';

export interface Poolable {
  /** Connected and never failed: checked before every reuse and on every return. */
  readonly reusable: boolean;
  /** Called once when the connection ends on its own (the server closed it, keep-alives gave up). */
  onGone(listener: () => void): void;
  /** Ends the connection; never throws. */
  end(): Promise<void>;
}

export interface KeyLimits {
  /** Connections per key, busy and idle; acquirers beyond it wait. */
  maxConnections: number;
  /** How long a returned connection may sit idle before it is closed; 0 closes it at once (no reuse). */
  idleMs: number;
}

export interface Lease<C> {
  readonly connection: C;
  readonly key: string;
  /** True when the connection served an earlier lease (it may have died since its last check). */
  readonly reused: boolean;
}

interface Idle<C> {
  connection: C;
  timer: NodeJS.Timeout;
  /** Return order: the lowest has been idle longest. */
  since: number;
}

interface KeyState<C> {
  limits: KeyLimits;
  idle: Array<Idle<C>>;
  /** Leased, being opened, or being closed: every connection of the key that is not idle. */
  others: number;
}

interface Waiter<C> {
  key: string;
  limits: KeyLimits;
  open: () => Promise<C>;
  fresh: boolean;
  resolve: (lease: Lease<C>) => void;
  reject: (error: unknown) => void;
}

export class ConnectionPool<C extends Poolable> {
  private readonly keys = new Map<string, KeyState<C>>();
  private readonly waiters: Array<Waiter<C>> = [];
  /** Every connection counted against `maxTotal`: idle, leased, opening or closing. */
  private total = 0;
  private closed = false;
  private returns = 0;

  /** `maxTotal` bounds connections across all keys; idle ones of other keys are closed to make room. */
  constructor(private readonly maxTotal: number) {}

  /** A live idle connection of `key`, else a new one from `open` once the bounds allow. */
  acquire(key: string, limits: KeyLimits, open: () => Promise<C>): Promise<Lease<C>> {
    if (this.closed) return Promise.reject(closedError());
    // Waiters for this key come first (FIFO); anyone else may take a free slot at once.
    const now = this.waiters.some((w) => w.key === key) ? undefined : this.grab(key, limits, open, false);
    return now ?? this.wait(key, limits, open, false);
  }

  /** A new connection, never an idle one: the retry after a reused connection failed on first use. */
  acquireFresh(key: string, limits: KeyLimits, open: () => Promise<C>): Promise<Lease<C>> {
    if (this.closed) return Promise.reject(closedError());
    return this.grab(key, limits, open, true) ?? this.wait(key, limits, open, true);
  }

  /** Returns a leased connection: kept for reuse only when the user vouches for it (`reusable`) and it still is. */
  async release(lease: Lease<C>, reusable: boolean): Promise<void> {
    const state = this.keys.get(lease.key)!;
    const { connection } = lease;
    if (reusable && !this.closed && state.limits.idleMs > 0 && connection.reusable) {
      state.others--;
      const since = ++this.returns;
      const timer = setTimeout(() => void this.discardIdle(lease.key, connection), state.limits.idleMs);
      timer.unref(); // an idle connection is no reason to stay alive; close() ends it
      state.idle.push({ connection, timer, since });
      this.dispatch();
      return;
    }
    // Ended before its slot is freed, so the server never sees more connections than the bounds allow.
    await this.finish(lease.key, connection);
  }

  /** Ends idle connections, fails waiters; leased connections end when they are returned. Never throws. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(closedError());
    const ending: Array<Promise<void>> = [];
    for (const [key, state] of this.keys) {
      for (const entry of [...state.idle]) ending.push(this.discardIdle(key, entry.connection));
    }
    await Promise.all(ending);
  }

  /** What the pool holds, for logs and tests. */
  stats(): { total: number; idle: number; waiting: number } {
    let idle = 0;
    for (const state of this.keys.values()) idle += state.idle.length;
    return { total: this.total, idle, waiting: this.waiters.length };
  }

  private wait(key: string, limits: KeyLimits, open: () => Promise<C>, fresh: boolean): Promise<Lease<C>> {
    return new Promise((resolve, reject) => this.waiters.push({ key, limits, open, fresh, resolve, reject }));
  }

  private state(key: string, limits: KeyLimits): KeyState<C> {
    let state = this.keys.get(key);
    if (!state) this.keys.set(key, (state = { limits, idle: [], others: 0 }));
    return state;
  }

  /** Takes or reserves a connection synchronously when the bounds allow; undefined: wait. */
  private grab(key: string, limits: KeyLimits, open: () => Promise<C>, fresh: boolean): Promise<Lease<C>> | undefined {
    const state = this.state(key, limits);
    while (!fresh && state.idle.length > 0) {
      const entry = state.idle.pop()!; // the most recently returned: the likeliest to be alive
      clearTimeout(entry.timer);
      state.others++;
      if (entry.connection.reusable) return Promise.resolve({ connection: entry.connection, key, reused: true });
      void this.finish(key, entry.connection);
    }
    // Room for one more: under both bounds, or by closing an idle connection (this key's first when fresh).
    let evict: { key: string; connection: C } | undefined;
    if (state.idle.length + state.others >= limits.maxConnections) {
      const own = state.idle.shift();
      if (!own) return undefined;
      clearTimeout(own.timer);
      evict = { key, connection: own.connection };
      state.others++;
    } else if (this.total >= this.maxTotal) {
      evict = this.takeOldestIdle();
      if (!evict) return undefined;
      this.keys.get(evict.key)!.others++;
    }
    state.others++;
    this.total++;
    return this.openInSlot(key, state, open, evict);
  }

  private async openInSlot(key: string, state: KeyState<C>, open: () => Promise<C>, evict: { key: string; connection: C } | undefined): Promise<Lease<C>> {
    if (evict) await this.finish(evict.key, evict.connection);
    let connection: C;
    try {
      connection = await open();
    } catch (error) {
      state.others--;
      this.total--;
      this.dispatch();
      throw error;
    }
    connection.onGone(() => void this.discardIdle(key, connection));
    if (this.closed) {
      await this.release({ connection, key, reused: false }, false);
      throw closedError();
    }
    return { connection, key, reused: false };
  }

  private takeOldestIdle(): { key: string; connection: C } | undefined {
    let oldest: { key: string; entry: Idle<C> } | undefined;
    for (const [key, state] of this.keys) {
      const entry = state.idle[0]; // idle lists are in return order
      if (entry && (!oldest || entry.since < oldest.entry.since)) oldest = { key, entry };
    }
    if (!oldest) return undefined;
    const state = this.keys.get(oldest.key)!;
    state.idle.shift();
    clearTimeout(oldest.entry.timer);
    return { key: oldest.key, connection: oldest.entry.connection };
  }

  /** Closes an idle connection (idle timeout, gone, pool closed); nothing when it is no longer idle. */
  private async discardIdle(key: string, connection: C): Promise<void> {
    const state = this.keys.get(key);
    const at = state?.idle.findIndex((e) => e.connection === connection) ?? -1;
    if (!state || at < 0) return;
    const [entry] = state.idle.splice(at, 1);
    clearTimeout(entry!.timer);
    state.others++;
    await this.finish(key, connection);
  }

  /** Ends a connection counted in `others` of its key and frees its slot. */
  private async finish(key: string, connection: C): Promise<void> {
    await connection.end();
    this.keys.get(key)!.others--;
    this.total--;
    this.dispatch();
  }

  /** Hands freed room to waiters, in order; one that still cannot be served keeps its place. */
  private dispatch(): void {
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i]!;
      const got = this.closed ? undefined : this.grab(w.key, w.limits, w.open, w.fresh);
      if (!got) {
        i++;
        continue;
      }
      this.waiters.splice(i, 1);
      got.then(w.resolve, w.reject);
    }
  }
}

function closedError(): SinkError {
  return new SinkError('connect', 'the SFTP connection pool is closed (shutting down)');
}
