// Shared test fixtures: batches made of real local files, quiet loggers, and the two servers.
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { temporaryPath } from '../../sinks/sftp/plan.js';
import type { SftpSinkConfigInput } from '../../sinks/sftp/config.js';
import type { BatchToDeliver, LocalFile } from '../../sinks/sink.js';
import { createLogger, type Logger } from '../../src/log.js';
import { startSftpDrop, type SftpDrop } from '../../sandboxes/sftp-drop/server.js';
import { startSshd, type SshdServer } from '../../sandboxes/openssh/sshd.js';
import { type CutProxy, startCutProxy } from './cut-proxy.js';
import { generateEd25519 } from '../../sandboxes/sftp-drop/keygen.js';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `erp-sync-${prefix}-`));
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function localFile(dir: string, name: string, content: Buffer): LocalFile {
  const path = join(dir, name.replace(/[^\w.-]/g, '_'));
  writeFileSync(path, content);
  return { name, path, sha256: sha256(content), size: content.length };
}

/** A batch whose ZIP held two entries; contents are random so every test has its own bytes. */
export function makeBatch(dir: string, overrides: Partial<BatchToDeliver> = {}, entrySize = 4096): BatchToDeliver {
  const id = randomBytes(4).toString('hex');
  return {
    company: 'ACME Corp',
    concurBatchId: `b-${id}`,
    batchRowId: '1',
    batchName: 'Weekly Expenses',
    closeDate: new Date('2024-05-03T16:30:00Z'),
    original: localFile(dir, `batch-${id}.zip`, randomBytes(1000)),
    entries: [localFile(dir, `extract_${id}.txt`, randomBytes(entrySize)), localFile(dir, `receipts_${id}.csv`, randomBytes(300))],
    rows: 42,
    totals: { USD: '1200.50', EUR: '-3.10' },
    reconciliation: { status: 'reconciled', rows: 42, totals: { USD: '1200.50', EUR: '-3.10' }, difference: {}, checks: [], warnings: [] },
    ...overrides,
  };
}

/** A logger into memory, so tests stay quiet and can read what was logged. */
export function memoryLogger(): { log: Logger; lines: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { log: createLogger({ stream, level: 'debug', tty: false }), lines: () => text };
}

/** One server the sink tests run against, reached through a cut proxy. */
export interface ServerFixture {
  name: string;
  /** Sink settings for this server (through the proxy, host key pinned). */
  base: SftpSinkConfigInput;
  proxy: CutProxy;
  /** Local path of a remote path, to inspect or prepare the drop. */
  local(remotePath: string): string;
  /** A remote directory the sink may not write into. */
  deniedDir: string;
  /** Makes the upload for `remotePath` fail as on a full disk; returns the undo. */
  diskFull(remotePath: string): () => void;
  /** Creates a remote file out of band (as another party would). */
  put(remotePath: string, content: Buffer): void;
  close(): Promise<void>;
}

export async function embeddedServer(options: { posixRename?: boolean; log?: Logger } = {}): Promise<ServerFixture & { drop: SftpDrop; clientKey: string; password: string }> {
  const dir = tempDir('drop');
  const root = join(dir, 'root');
  const keys = generateEd25519();
  const clientKey = join(dir, 'client_key');
  writeFileSync(clientKey, keys.private, { mode: 0o600 });
  const password = 'correct horse battery';
  const drop = await startSftpDrop({
    root,
    hostKeyPath: join(dir, 'host_key'),
    users: [{ username: 'erp', publicKeys: [keys.public], password }],
    posixRename: options.posixRename,
    log: options.log ?? memoryLogger().log,
  });
  const proxy = await startCutProxy(drop.port);
  let failing = new Set<string>();
  const refresh = () =>
    drop.setFaults({
      failPath: (path, op) => (path.startsWith('/locked') && op !== 'open-read' ? 'permission-denied' : op === 'write' && failing.has(path) ? 'no-space' : undefined),
    });
  refresh();
  const local = (remotePath: string) => join(root, remotePath);
  return {
    name: 'embedded ssh2 server',
    drop,
    clientKey,
    password,
    base: { host: '127.0.0.1', port: proxy.port, username: 'erp', privateKeyPath: clientKey, hostKeySha256: drop.hostKeySha256, remoteDir: '/out' },
    proxy,
    local,
    deniedDir: '/locked',
    diskFull: (remotePath) => {
      failing = new Set([...failing, temporaryPath(remotePath)]);
      refresh();
      return () => {
        failing = new Set();
        refresh();
      };
    },
    put: (remotePath, content) => {
      mkdirSync(dirname(local(remotePath)), { recursive: true });
      writeFileSync(local(remotePath), content);
    },
    close: async () => {
      await proxy.close();
      await drop.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function opensshServer(): Promise<ServerFixture & { sshd: SshdServer }> {
  const sshd = await startSshd();
  const proxy = await startCutProxy(sshd.port);
  const owner = statSync(sshd.dropDir);
  // Directories we prepare must belong to the SFTP user, as if the sink had made them.
  const mkdirs = (dir: string) => {
    if (dir.length <= sshd.dropDir.length) return;
    mkdirs(dirname(dir));
    mkdirSync(dir, { recursive: true });
    chownSync(dir, owner.uid, owner.gid);
  };
  return {
    name: 'OpenSSH sshd',
    sshd,
    base: { host: '127.0.0.1', port: proxy.port, username: sshd.username, privateKeyPath: sshd.privateKeyPath, hostKeySha256: sshd.hostKeySha256, remoteDir: join(sshd.dropDir, 'out') },
    proxy,
    local: (remotePath) => remotePath,
    deniedDir: sshd.lockedDir,
    diskFull: (remotePath) => {
      // Writes to /dev/full fail with ENOSPC; OpenSSH follows the symlink when it opens the temporary name.
      const temp = temporaryPath(remotePath);
      mkdirs(dirname(temp));
      symlinkSync('/dev/full', temp);
      return () => unlinkSync(temp);
    },
    put: (remotePath, content) => {
      mkdirs(dirname(remotePath));
      writeFileSync(remotePath, content);
      chownSync(remotePath, owner.uid, owner.gid);
    },
    close: async () => {
      await proxy.close();
      await sshd.stop();
    },
  };
}
