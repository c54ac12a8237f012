// Pooled SSH connections against the embedded server, counted where they land: at the server.
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SftpSinkConfigSchema, type SftpSinkConfigInput } from '../../sinks/sftp/config.js';
import { connectionKey, createSftpPool, type SftpPool } from '../../sinks/sftp/connections.js';
import { createSftpSink } from '../../sinks/sftp/sink.js';
import { embeddedServer, makeBatch, memoryLogger, tempDir } from './fixtures.js';
import { until } from '../e2e/world.js';

type Server = Awaited<ReturnType<typeof embeddedServer>>;

/** `until` on a synchronous condition, within 10 s. */
const when = (check: () => boolean, what: string) => until(async () => (check() ? true : undefined), what, 10_000);

let server: Server;
let dir: string;
let pools: SftpPool[] = [];
beforeAll(async () => {
  server = await embeddedServer();
  dir = tempDir('pool');
});
afterEach(async () => {
  for (const p of pools) await p.close();
  pools = [];
  await when(() => server.drop.connections().open === 0, 'every connection closed');
});
afterAll(async () => server.close());

function pool(maxConnections?: number): SftpPool {
  const p = createSftpPool(maxConnections === undefined ? {} : { maxConnections });
  pools.push(p);
  return p;
}

function sinkOn(p: SftpPool, overrides: Partial<SftpSinkConfigInput> = {}, logger = memoryLogger()) {
  return createSftpSink(SftpSinkConfigSchema.parse({ ...server.base, ...overrides }), { log: logger.log, pool: p });
}

const logins = () => server.drop.connections().logins;

describe('pooled SFTP connections', () => {
  it('with the default settings, deliveries to the same target, of one company or two, share one SSH connection', async () => {
    const p = pool();
    const before = logins();
    const acme = sinkOn(p);
    const globex = sinkOn(p); // another company, same server, same credentials and trust
    for (const sink of [acme, acme, globex]) expect((await sink.deliver(makeBatch(dir))).error).toBeUndefined();
    expect(logins() - before).toBe(1);
    expect(server.drop.connections().open).toBe(1);
  });

  it('never shares a connection between different credentials or trust settings', async () => {
    const p = pool();
    const before = logins();
    const sinks = [
      sinkOn(p),
      sinkOn(p, { privateKeyPath: undefined, password: server.password }),
      sinkOn(p, { hostKeySha256: undefined, insecureSkipHostKeyCheck: true }),
    ];
    for (const round of [1, 2]) {
      for (const sink of sinks) expect((await sink.deliver(makeBatch(dir))).error, `round ${round}`).toBeUndefined();
    }
    expect(logins() - before).toBe(3);
  });

  it('keys name the target and hide the secrets', () => {
    const salt = Buffer.alloc(32, 7);
    const config = (o: Partial<SftpSinkConfigInput>) => SftpSinkConfigSchema.parse({ ...server.base, privateKeyPath: undefined, ...o });
    const one = connectionKey(config({ password: server.password }), salt);
    const other = connectionKey(config({ password: 'another password' }), salt);
    expect(one).toMatch(/^erp@\[127\.0\.0\.1\]:\d+#[0-9a-f]{32}$/);
    expect(one).not.toBe(other);
    expect(one).not.toContain(server.password);
    expect(connectionKey(config({ password: server.password }), Buffer.alloc(32, 8))).not.toBe(one); // salted per pool
  });

  it('a connection the server closed while idle is not reused: the next delivery opens a new one', async () => {
    const p = pool();
    const logger = memoryLogger();
    const sink = sinkOn(p, {}, logger);
    const before = logins();
    expect((await sink.deliver(makeBatch(dir))).ok).toBe(true);
    server.drop.endConnections();
    await when(() => p.stats().idle === 0, 'the pool to notice');
    expect((await sink.deliver(makeBatch(dir))).error).toBeUndefined();
    expect(logins() - before).toBe(2);
    expect(logger.lines()).not.toContain('retrying on a new connection');
  });

  it('a reused connection that is dead without knowing it fails on first use, and the delivery retries once on a new one', async () => {
    const p = pool();
    const logger = memoryLogger();
    // The watchdog notices the silent connection; short, so the test does not wait a minute.
    const sink = sinkOn(p, { timeouts: { idleMs: 2_000 } }, logger);
    const before = logins();
    expect((await sink.deliver(makeBatch(dir))).ok).toBe(true);
    server.proxy.freeze(); // a NAT forgot the connection: no close, no answer
    const report = await sink.deliver(makeBatch(dir));
    expect(report.error).toBeUndefined();
    expect(report.files.every((f) => f.outcome === 'delivered')).toBe(true);
    expect(logins() - before).toBe(2);
    expect(logger.lines()).toContain('retrying on a new connection');
  });

  it('a reused connection does not trust what it knew: directories removed meanwhile are created again', async () => {
    const p = pool();
    const sink = sinkOn(p, { pathTemplate: 'reuse/{closeDate:yyyy}/{batchId}/{file}' });
    const before = logins();
    expect((await sink.deliver(makeBatch(dir))).ok).toBe(true);
    rmSync(server.local('/out/reuse'), { recursive: true }); // the consumer cleared the drop
    expect((await sink.deliver(makeBatch(dir))).error).toBeUndefined();
    expect(logins() - before).toBe(1);
  });

  it('closes a connection idle for pool.idleMs', async () => {
    const p = pool();
    const sink = sinkOn(p, { pool: { idleMs: 50 } });
    const before = logins();
    expect((await sink.deliver(makeBatch(dir))).ok).toBe(true);
    await when(() => server.drop.connections().open === 0 && p.stats().total === 0, 'the idle connection closed');
    expect((await sink.deliver(makeBatch(dir))).ok).toBe(true);
    expect(logins() - before).toBe(2);
  });

  it('a failed delivery does not return its connection to the pool', async () => {
    const p = pool();
    const sink = sinkOn(p);
    const batch = makeBatch(dir);
    server.put(`/out/ACME_Corp/2024-05-03/Weekly_Expenses_${batch.concurBatchId}/${batch.entries[0]!.name}`, Buffer.from('someone else'));
    expect((await sink.deliver(batch)).error?.code).toBe('conflict');
    expect(p.stats().total).toBe(0);
  });

  it('respects the per-target bound under concurrency, and every delivery completes', async () => {
    const own = await embeddedServer(); // its own counters: the most connections open at once
    try {
      const p = pool();
      const sink = createSftpSink(SftpSinkConfigSchema.parse({ ...own.base, pool: { maxConnections: 2 } }), { log: memoryLogger().log, pool: p });
      const reports = await Promise.all(Array.from({ length: 6 }, () => sink.deliver(makeBatch(dir))));
      expect(reports.map((r) => r.error)).toEqual(Array(6).fill(undefined));
      expect(own.drop.connections().peak).toBeLessThanOrEqual(2);
      expect(own.drop.connections().logins).toBeLessThanOrEqual(2);
      await p.close();
      await when(() => own.drop.connections().open === 0, 'closed by the pool');
    } finally {
      await own.close();
    }
  });

  it('respects the total bound across targets', async () => {
    const own = await embeddedServer();
    try {
      const p = pool(2);
      const configs: Array<Partial<SftpSinkConfigInput>> = [{}, { privateKeyPath: undefined, password: own.password }, { hostKeySha256: undefined, insecureSkipHostKeyCheck: true }];
      const sinks = configs.map((o) => createSftpSink(SftpSinkConfigSchema.parse({ ...own.base, ...o }), { log: memoryLogger().log, pool: p }));
      const reports = await Promise.all(sinks.flatMap((s) => [s.deliver(makeBatch(dir)), s.deliver(makeBatch(dir))]));
      expect(reports.map((r) => r.error)).toEqual(Array(6).fill(undefined));
      expect(own.drop.connections().peak).toBeLessThanOrEqual(2);
      expect(own.drop.connections().logins).toBeGreaterThanOrEqual(3); // each target got its own
      await p.close();
      await when(() => own.drop.connections().open === 0, 'closed by the pool');
    } finally {
      await own.close();
    }
  });

  it('close() ends the idle connections at once and refuses new deliveries with a retryable error', async () => {
    const p = pool();
    const sink = sinkOn(p, { pool: { idleMs: 3_600_000 } });
    expect((await sink.deliver(makeBatch(dir))).ok).toBe(true);
    expect(server.drop.connections().open).toBe(1);
    await p.close();
    await when(() => server.drop.connections().open === 0, 'the pooled connection closed');
    expect((await sink.deliver(makeBatch(dir))).error).toMatchObject({ code: 'connect', retryable: true });
  });
});
