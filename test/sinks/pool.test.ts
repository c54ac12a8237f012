// The connection pool's rules, with fake connections and fake timers: bounds, reuse only of live connections,
// idle timeout, eviction across keys, shutdown. (Real SSH: pooled-delivery.test.ts.)
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConnectionPool, type KeyLimits, type Poolable } from '../../sinks/sftp/pool.js';

class Fake implements Poolable {
  static opened: Fake[] = [];
  alive = true;
  ended = false;
  private gone: Array<() => void> = [];
  constructor(readonly key: string) {
    Fake.opened.push(this);
  }
  get reusable() {
    return this.alive && !this.ended;
  }
  onGone(listener: () => void) {
    this.gone.push(listener);
  }
  /** The server closed it. */
  drop() {
    this.alive = false;
    for (const l of this.gone) l();
  }
  async end() {
    this.ended = true;
  }
}

const limits: KeyLimits = { maxConnections: 2, idleMs: 1_000 };
const opener = (key: string) => async () => new Fake(key);
const live = () => Fake.opened.filter((c) => !c.ended).length;
/** Lets queued promise callbacks run (the pool's hand-offs are a few microtasks deep). */
const settle = () => new Promise<void>((r) => setImmediate(r));

afterEach(() => {
  Fake.opened = [];
  vi.useRealTimers();
});

describe('the connection pool', () => {
  it('reuses a returned connection for the same key, never for another', async () => {
    const pool = new ConnectionPool<Fake>(10);
    const a = await pool.acquire('a', limits, opener('a'));
    expect(a.reused).toBe(false);
    await pool.release(a, true);
    const again = await pool.acquire('a', limits, opener('a'));
    expect(again).toMatchObject({ reused: true, connection: a.connection });
    const b = await pool.acquire('b', limits, opener('b'));
    expect(b.connection).not.toBe(a.connection);
    expect(Fake.opened).toHaveLength(2);
    await pool.close();
  });

  it('never holds more than maxConnections per key: the others wait and get a returned connection', async () => {
    const pool = new ConnectionPool<Fake>(10);
    const leases = Array.from({ length: 5 }, () => pool.acquire('a', limits, opener('a')));
    await settle();
    expect(Fake.opened).toHaveLength(2);
    expect(pool.stats().waiting).toBe(3);
    const [first, second] = await Promise.all([leases[0]!, leases[1]!]);
    await pool.release(first, true);
    const third = await leases[2]!;
    expect(third).toMatchObject({ reused: true, connection: first.connection });
    // A connection not vouched for is ended; its slot goes to the next waiter, as a new connection.
    await pool.release(second, false);
    expect(second.connection.ended).toBe(true);
    const fourth = await leases[3]!;
    expect(fourth.reused).toBe(false);
    expect(live()).toBe(2);
    await pool.release(third, true);
    await pool.release(fourth, true);
    await leases[4];
    expect(Fake.opened).toHaveLength(3);
    await pool.close();
  });

  it('bounds connections across keys, closing the longest idle connection of another key to make room', async () => {
    const pool = new ConnectionPool<Fake>(2);
    const a = await pool.acquire('a', limits, opener('a'));
    const b = await pool.acquire('b', limits, opener('b'));
    const c = pool.acquire('c', limits, opener('c'));
    await settle();
    expect(Fake.opened).toHaveLength(2); // c waits: both connections are busy
    await pool.release(b, true);
    const cLease = await c;
    expect(cLease.reused).toBe(false);
    expect(b.connection.ended).toBe(true); // closed to make room, not left idle
    await pool.release(a, true);
    await pool.release(cLease, true);
    await pool.acquire('d', limits, opener('d'));
    expect(a.connection.ended).toBe(true); // idle longer than c
    expect(cLease.connection.ended).toBe(false);
    expect(live()).toBe(2);
    await pool.close();
  });

  it('does not reuse a connection that died while idle, and forgets one whose server closed it', async () => {
    const pool = new ConnectionPool<Fake>(10);
    const a = await pool.acquire('a', limits, opener('a'));
    await pool.release(a, true);
    a.connection.alive = false; // dead, and nobody told the pool: the check before reuse catches it
    const next = await pool.acquire('a', limits, opener('a'));
    expect(next.reused).toBe(false);
    expect(a.connection.ended).toBe(true);
    await pool.release(next, true);
    next.connection.drop(); // the server closed it while idle
    await settle();
    expect(next.connection.ended).toBe(true);
    expect(pool.stats()).toEqual({ total: 0, idle: 0, waiting: 0 });
  });

  it('a returned connection that is no longer reusable is ended, whatever its user says', async () => {
    const pool = new ConnectionPool<Fake>(10);
    const a = await pool.acquire('a', limits, opener('a'));
    a.connection.alive = false;
    await pool.release(a, true);
    expect(a.connection.ended).toBe(true);
    expect(pool.stats().total).toBe(0);
  });

  it('closes a connection idle for idleMs, not before; idleMs 0 keeps none', async () => {
    vi.useFakeTimers();
    const pool = new ConnectionPool<Fake>(10);
    const a = await pool.acquire('a', limits, opener('a'));
    await pool.release(a, true);
    await vi.advanceTimersByTimeAsync(999);
    expect(a.connection.ended).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(a.connection.ended).toBe(true);
    expect(pool.stats().total).toBe(0);
    const once = await pool.acquire('z', { maxConnections: 2, idleMs: 0 }, opener('z'));
    await pool.release(once, true);
    expect(once.connection.ended).toBe(true);
  });

  it('a fresh acquire skips idle connections, replacing one when the key is full', async () => {
    const pool = new ConnectionPool<Fake>(10);
    const [x, y] = await Promise.all([pool.acquire('a', limits, opener('a')), pool.acquire('a', limits, opener('a'))]);
    await pool.release(x, true);
    const fresh = await pool.acquireFresh('a', limits, opener('a'));
    expect(fresh.reused).toBe(false);
    expect(x.connection.ended).toBe(true);
    expect(live()).toBe(2);
    await pool.release(y, true);
    await pool.release(fresh, true);
    await pool.close();
  });

  it('a failed open frees its slot for the next waiter', async () => {
    const pool = new ConnectionPool<Fake>(1);
    const busy = await pool.acquire('a', limits, opener('a'));
    const failing = pool.acquire('b', limits, async () => Promise.reject(new Error('refused')));
    const after = pool.acquire('c', limits, opener('c'));
    await pool.release(busy, false);
    await expect(failing).rejects.toThrow('refused');
    expect((await after).connection.key).toBe('c');
    await pool.close();
  });

  it('close ends idle connections and fails waiters; a leased one ends when returned; no new leases', async () => {
    const pool = new ConnectionPool<Fake>(1);
    const idle = await pool.acquire('a', limits, opener('a'));
    await pool.release(idle, true);
    const busy = await pool.acquire('b', limits, opener('b'));
    const waiting = pool.acquire('c', limits, opener('c'));
    await pool.close();
    expect(idle.connection.ended).toBe(true);
    await expect(waiting).rejects.toMatchObject({ code: 'connect', retryable: true });
    await pool.release(busy, true);
    expect(busy.connection.ended).toBe(true);
    await expect(pool.acquire('a', limits, opener('a'))).rejects.toThrow(/closed/);
    expect(pool.stats()).toEqual({ total: 0, idle: 0, waiting: 0 });
  });
});
