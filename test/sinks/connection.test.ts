// Connection behaviour against the embedded server: trust, credentials, retries, the jail.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SftpSinkConfigSchema, type SftpSinkConfigInput } from '../../sinks/sftp/config.js';
import { SftpSession } from '../../sinks/sftp/session.js';
import { createSftpSink } from '../../sinks/sftp/sink.js';
import { embeddedServer, makeBatch, memoryLogger, tempDir } from './fixtures.js';

let server: Awaited<ReturnType<typeof embeddedServer>>;
let dir: string;
beforeAll(async () => {
  server = await embeddedServer();
  dir = tempDir('conn');
});
afterAll(async () => server.close());

function deliverWith(overrides: Partial<SftpSinkConfigInput>) {
  const memory = memoryLogger();
  const slept: number[] = [];
  const config = SftpSinkConfigSchema.parse({ ...server.base, ...overrides });
  const sink = createSftpSink(config, { log: memory.log, sleep: async (ms) => void slept.push(ms), random: () => 1 });
  return { run: () => sink.deliver(makeBatch(dir)), slept, logs: memory.lines };
}

describe('SFTP connection', () => {
  it('refuses a server whose host key is not the pinned one, without retrying', async () => {
    const t = deliverWith({ hostKeySha256: `SHA256:${'A'.repeat(43)}` });
    const report = await t.run();
    expect(report.error).toMatchObject({ code: 'host-key', retryable: false });
    expect(t.slept).toEqual([]);
    expect(report.files.every((f) => f.outcome === 'not-attempted')).toBe(true);
  });

  it('trusts a known_hosts entry for [host]:port and refuses an unknown host', async () => {
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, `${server.drop.knownHostsLine.replace(/^\[127\.0\.0\.1\]:\d+/, `[127.0.0.1]:${server.proxy.port}`)}\n`);
    expect((await deliverWith({ hostKeySha256: undefined, knownHostsFile: knownHosts }).run()).ok).toBe(true);
    writeFileSync(knownHosts, `${server.drop.knownHostsLine}\n`); // the server's own port, not the one we dial
    expect((await deliverWith({ hostKeySha256: undefined, knownHostsFile: knownHosts }).run()).error?.code).toBe('host-key');
  });

  it('warns at every connection when host-key checking is switched off', async () => {
    const t = deliverWith({ hostKeySha256: undefined, insecureSkipHostKeyCheck: true });
    expect((await t.run()).ok).toBe(true);
    expect(t.logs()).toContain('SFTP host key NOT verified');
  });

  it('logs in with a password, and never logs it', async () => {
    const t = deliverWith({ privateKeyPath: undefined, password: server.password });
    expect((await t.run()).ok).toBe(true);
    const bad = deliverWith({ privateKeyPath: undefined, password: 'wrong password' });
    expect((await bad.run()).error).toMatchObject({ code: 'auth', retryable: false });
    expect(t.logs() + bad.logs()).not.toContain(server.password);
  });

  it('retries connecting with back-off, then reports a retryable error', async () => {
    const t = deliverWith({ port: 1, retries: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000 } });
    const report = await t.run();
    expect(report.error).toMatchObject({ code: 'connect', retryable: true });
    expect(t.slept).toEqual([100, 200]);
  });

  it('a server-side cut after N written bytes fails the delivery as retryable and leaves no final file', async () => {
    server.drop.setFaults({ dropAfterBytes: 1000 });
    try {
      const report = await deliverWith({}).run();
      expect(report.error).toMatchObject({ code: 'connection-lost', retryable: true });
      expect(report.files[0]?.outcome).toBe('failed');
    } finally {
      server.drop.setFaults({});
    }
  });

  it('keeps clients inside the served folder', async () => {
    const config = SftpSinkConfigSchema.parse({ ...server.base, remoteDir: '/' });
    const session = await SftpSession.open(config, { log: memoryLogger().log });
    try {
      await expect(session.upload(Buffer.from('x'), '/../../escape.txt')).resolves.toMatchObject({ size: 1 });
      expect(await session.size('/escape.txt')).toBe(1); // "../" stops at the root
    } finally {
      await session.end();
    }
  });
});
