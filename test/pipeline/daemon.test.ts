import { describe, expect, it } from 'vitest';
import { useMigratedDatabase, quietLogger } from '../support/db.js';
import { Daemon } from '../../src/daemon.js';
import { Worker } from '../../src/pipeline/worker.js';
import { CompanySchema } from '../../src/config/schema.js';
import type { Policy } from '../../src/pipeline/machine.js';

const db = useMigratedDatabase();
const policy = {} as Policy;

describe('scheduling decided from the database', () => {
  it('makes up missed listings once at start, not once per missed tick', async () => {
    const company = CompanySchema.parse({ id: 'hourly', timezone: 'Europe/Zurich', concur: { discovery: { schedule: '0 * * * *' } } });
    await db.ds().query(`INSERT INTO companies (id, name) VALUES ('hourly', 'hourly')`);
    let now = new Date('2026-11-22T10:30:00Z');
    const listed: string[] = [];
    const client = { listBatches: async (status?: 'OPEN' | 'CLOSED') => (listed.push(status ?? ''), []) };
    const make = async (id: string) => {
      const holder = await db.holder(id);
      const worker = new Worker({ ds: db.ds(), handlers: {} as never, companies: [company], policyFor: () => policy, holder, now: () => now, logger: quietLogger, leaseMs: 60_000, globalConcurrency: 1, perCompanyConcurrency: 1, maxUnfinishedStarts: 3 });
      return new Daemon({ ds: db.ds(), companies: [company], worker, holder, clientFor: () => client, now: () => now, logger: quietLogger, pollMs: 1_000, leaseMs: 60_000 });
    };
    const first = await make('first-run');

    expect(await first.discoverIfDue(company)).toEqual({ outcome: 'done' }); // never listed: due at once
    expect(await first.discoverIfDue(company)).toEqual({ outcome: 'not-due' });
    expect(listed).toEqual(['OPEN', 'CLOSED']);

    // Down from 10:30 to 15:45: five hourly ticks missed. A new process makes them up with one listing.
    now = new Date('2026-11-22T15:45:00Z');
    const restarted = await make('after-restart');
    expect(await restarted.discoverIfDue(company)).toEqual({ outcome: 'done' });
    expect(await restarted.discoverIfDue(company)).toEqual({ outcome: 'not-due' });
    expect(listed).toHaveLength(4);
    const [row] = await db.ds().query(`SELECT next_discovery_at FROM companies WHERE id = 'hourly'`);
    expect((row.next_discovery_at as Date).toISOString()).toBe('2026-11-22T16:00:00.000Z');

    now = new Date('2026-11-22T16:00:00Z');
    expect(await restarted.discoverIfDue(company)).toEqual({ outcome: 'done' });
    expect(listed).toHaveLength(6);
  });

  it('lets one replica list a company at a time', async () => {
    const company = CompanySchema.parse({ id: 'shared' });
    await db.ds().query(`INSERT INTO companies (id, name) VALUES ('shared', 'shared')`);
    const now = new Date('2026-11-22T10:30:00Z');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const slowClient = { listBatches: async () => (calls++, await gate, []) };
    const make = async (id: string) => {
      const holder = await db.holder(id);
      const worker = new Worker({ ds: db.ds(), handlers: {} as never, companies: [company], policyFor: () => policy, holder, now: () => now, logger: quietLogger, leaseMs: 60_000, globalConcurrency: 1, perCompanyConcurrency: 1, maxUnfinishedStarts: 3 });
      return new Daemon({ ds: db.ds(), companies: [company], worker, holder, clientFor: () => slowClient, now: () => now, logger: quietLogger, pollMs: 1_000, leaseMs: 60_000 });
    };
    const a = (await make('replica-a')).discoverIfDue(company, true);
    // b tries while a holds the discovery claim: it does not list, and says who does.
    while (calls === 0) await new Promise((r) => setImmediate(r));
    expect(await (await make('replica-b')).discoverIfDue(company, true)).toEqual({ outcome: 'held', heldBy: 'replica-a' });
    release();
    expect(await a).toEqual({ outcome: 'done' });
    expect(calls).toBe(2);
  });
});
