// One SFTP connection: connect with host-key trust and retries, every operation under an idle watchdog, typed
// errors naming the path, and an end() that always returns. Serves one delivery at a time; the pool
// (sinks/sftp/connections.ts) may lend it to the next one while it stays `reusable`.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { SFTPWrapper, Stats } from 'ssh2';
import SftpClient from 'ssh2-sftp-client';
import type { Logger } from '../../src/log.js';
import { registerSecret } from '../../src/log.js';
import { backingOff, backoffOf, withRetries, type Sleep } from '../../src/backoff.js';
import { checkKnownHosts, hostLookupName, normalizeFingerprint, parseKnownHosts, sha256Fingerprint } from './known-hosts.js';
import type { SftpSinkConfig } from './config.js';
import { classifyConnectError, classifySftpError } from './errors.js';
import { SinkError } from '../sink.js';
import { faultPoint } from '../../src/faults.js';
import { progressReporter } from '../../src/progress.js';
import { bufferChunks, fileChunks, type Chunks } from './chunks.js';

export interface SessionDeps {
  log: Logger;
  sleep?: Sleep;
  random?: () => number;
}

/**
 * Upload tuning (measured in bench/sftp.ts): one WRITE per chunk, many in flight (at most 64 × 254 KiB = 16 MB of
 * buffers an upload; 16 or 128 in flight were no faster). The chunk fits OpenSSH's 256 KiB packets; ssh2 splits it
 * for servers with smaller limits.
 */
const UPLOAD_CHUNK = 256 * 1024 - 2048;
const UPLOAD_IN_FLIGHT = 64;
const END_GRACE_MS = 5_000;

function hostVerifierFor(config: SftpSinkConfig, log: Logger, onReject: (why: string) => void): (key: Buffer) => boolean {
  if (config.insecureSkipHostKeyCheck) {
    return (key) => {
      log.warn('SFTP host key NOT verified (insecureSkipHostKeyCheck: true)', { host: config.host, port: config.port, hostKey: sha256Fingerprint(key) });
      return true;
    };
  }
  const pinned = config.hostKeySha256 ? normalizeFingerprint(config.hostKeySha256) : undefined;
  const knownHosts = config.knownHostsFile ? readKnownHosts(config.knownHostsFile) : undefined;
  return (key) => {
    const fingerprint = sha256Fingerprint(key);
    if (pinned !== undefined && fingerprint !== pinned) {
      onReject(`presented ${fingerprint}, pinned ${pinned}`);
      return false;
    }
    if (knownHosts) {
      const verdict = checkKnownHosts(knownHosts, config.host, config.port, key);
      if (verdict !== 'trusted') {
        onReject(`${fingerprint} is ${verdict} for ${hostLookupName(config.host, config.port)} in ${config.knownHostsFile}`);
        return false;
      }
    }
    return true;
  };
}

function readKnownHosts(file: string) {
  try {
    return parseKnownHosts(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SinkError('config', `cannot read knownHostsFile ${file}: ${(error as Error).message}`, undefined, { cause: error });
  }
}

function readPrivateKey(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new SinkError('config', `cannot read privateKeyPath ${file}: ${(error as Error).message}`, undefined, { cause: error });
  }
}

/** Resets on every sign of progress; when it fires the connection is torn down and the pending operation fails as a timeout. */
class Watchdog {
  private timer: NodeJS.Timeout | undefined;
  private abortPending: (() => void) | undefined;

  constructor(
    private readonly idleMs: number,
    private readonly onFire: () => void,
  ) {}

  kick(): void {
    if (this.timer) this.timer.refresh();
  }

  /** Fails the pending operation at once (the connection is gone; waiting would only run into the timeout). */
  abort(): void {
    this.abortPending?.();
  }

  async guard<T>(what: string, remotePath: string | undefined, work: Promise<T>): Promise<T> {
    const timeout = new Promise<never>((_, reject) => {
      this.abortPending = () => reject(new SinkError('connection-lost', `${what}${remotePath ? ` ${remotePath}` : ''}: connection lost`, remotePath));
      this.timer = setTimeout(() => {
        this.onFire();
        reject(new SinkError('timeout', `${what}${remotePath ? ` ${remotePath}` : ''}: no progress for ${this.idleMs} ms`, remotePath));
      }, this.idleMs);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.abortPending = undefined;
    }
  }
}

export class SftpSession {
  private lost = false;
  /** A watchdog timeout or a client error: whatever state the connection is in, it is not lent again. */
  private broken = false;
  /** Operations that succeeded since the last lend(): none means a failure happened on first use. */
  private succeeded = 0;
  private readonly madeDirs = new Set<string>();
  private readonly watchdog: Watchdog;
  /** Told once when the connection ends (onGone). */
  private readonly goneListeners: Array<() => void> = [];

  private constructor(
    private readonly client: SftpClient,
    private readonly sftp: SFTPWrapper,
    private readonly config: SftpSinkConfig,
    private log: Logger,
  ) {
    this.watchdog = new Watchdog(config.timeouts.idleMs, () => {
      this.broken = true;
      this.destroy();
    });
    const onLost = () => {
      this.lost = true;
      this.watchdog.abort();
      for (const listener of this.goneListeners.splice(0)) listener();
    };
    client.on('close', onLost);
    client.on('end', onLost);
    client.on('error', () => void (this.broken = true));
    sftp.once('close', onLost); // the server may end the SFTP channel and keep the SSH connection
  }

  /**
   * Prepares the session for another delivery: its logger, and no cached directories (someone may have
   * removed one since the last delivery).
   */
  lend(log: Logger): void {
    this.log = log;
    this.madeDirs.clear();
    this.succeeded = 0;
  }

  /** Still connected and never failed: may serve another delivery. */
  get reusable(): boolean {
    if (this.lost || this.broken) return false;
    const sock = (this.client as unknown as { client: { _sock?: { writable?: boolean; destroyed?: boolean } } }).client._sock;
    return sock?.writable === true && !sock.destroyed;
  }

  /** True once an operation succeeded since the last lend(). */
  get used(): boolean {
    return this.succeeded > 0;
  }

  /** Calls `listener` once when the connection ends (whoever ended it). */
  onGone(listener: () => void): void {
    this.goneListeners.push(listener);
  }

  /** Connects with retries and back-off; authentication and host-key refusals are not retried. */
  static async open(config: SftpSinkConfig, deps: SessionDeps): Promise<SftpSession> {
    const target = `${config.username}@${hostLookupName(config.host, config.port)}`;
    const privateKey = config.privateKeyPath ? readPrivateKey(config.privateKeyPath) : undefined;
    registerSecret(config.passphrase);
    registerSecret(config.password);
    return withRetries(
      async (attempt) => {
        let rejected: string | undefined;
        const verifier = hostVerifierFor(config, deps.log, (why) => (rejected = why));
        const client = new SftpClient('erp-sync', {
          error: (error) => deps.log.debug('SFTP connection error', { target, error }),
          end: () => undefined,
          close: () => undefined,
        });
        try {
          const sftp = await client.connect({
            host: config.host,
            port: config.port,
            username: config.username,
            privateKey,
            passphrase: config.passphrase,
            password: config.password,
            readyTimeout: config.timeouts.connectMs,
            keepaliveInterval: config.timeouts.keepaliveIntervalMs,
            keepaliveCountMax: config.timeouts.keepaliveCountMax,
            hostVerifier: verifier,
          });
          return new SftpSession(client, sftp, config, deps.log);
        } catch (error) {
          await endQuietly(client);
          if (rejected) throw new SinkError('host-key', `connect ${target}: host key not trusted: ${rejected}`, undefined, { cause: error });
          const typed = classifyConnectError(error, target);
          deps.log.warn('SFTP connection attempt failed', { target, attempt, code: typed.code, error: typed.message });
          throw typed;
        }
      },
      backingOff(backoffOf(config.retries), (e) => e instanceof SinkError && e.retryable, deps.random),
      deps.sleep,
    );
  }

  private run<T>(action: string, remotePath: string | undefined, start: (done: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
    const work = new Promise<T>((resolve, reject) => {
      try {
        start((err, value) => (err ? reject(err) : resolve(value as T)));
      } catch (error) {
        reject(error as Error);
      }
    });
    return this.watchdog.guard(action, remotePath, work).then(
      (value) => {
        this.succeeded++;
        return value;
      },
      (error: unknown) => {
        throw classifySftpError(error, action, remotePath, this.lost);
      },
    );
  }

  /** Size of a remote file, or null when nothing exists there. */
  async size(remotePath: string): Promise<number | null> {
    try {
      const st = await this.run<Stats>('stat', remotePath, (done) => this.sftp.lstat(remotePath, done));
      if (!st.isFile()) throw new SinkError('conflict', `stat ${remotePath}: exists and is not a regular file`, remotePath);
      return st.size;
    } catch (error) {
      if (error instanceof SinkError && isNoSuchFile(error.cause)) return null;
      throw error;
    }
  }

  /** Creates the directory and its missing parents (cached per session). */
  async mkdirs(dir: string): Promise<void> {
    if (dir === '.' || dir === '/' || dir === '' || this.madeDirs.has(dir)) return;
    const parent = dir.slice(0, Math.max(0, dir.lastIndexOf('/')));
    try {
      const st = await this.run<Stats>('stat', dir, (done) => this.sftp.stat(dir, done));
      if (!st.isDirectory()) throw new SinkError('conflict', `mkdir ${dir}: exists and is not a directory`, dir);
    } catch (error) {
      if (!(error instanceof SinkError && isNoSuchFile(error.cause))) throw error;
      await this.mkdirs(parent);
      await this.run<void>('mkdir', dir, (done) => this.sftp.mkdir(dir, done)).catch(async (mkdirError: unknown) => {
        // Another writer may have created it meanwhile; only a still-missing directory is an error.
        const st = await this.run<Stats>('stat', dir, (done) => this.sftp.stat(dir, done)).catch(() => undefined);
        if (!st?.isDirectory()) throw mkdirError;
      });
    }
    this.madeDirs.add(dir);
  }

  /**
   * Writes a local file or buffer to remotePath (created or truncated) with many WRITE requests in flight,
   * as OpenSSH's sftp does; returns the sha256 and size of the bytes sent. Every write is acknowledged
   * before this returns, and the caller still checks the remote size.
   */
  async upload(source: string | Buffer, remotePath: string): Promise<{ sha256: string; size: number }> {
    const handle = await this.run<Buffer>('open', remotePath, (done) => this.sftp.open(remotePath, 'w', { mode: 0o644 }, done));
    const local = typeof source === 'string' ? await openLocal(source, remotePath) : undefined;
    // A chunk's buffer is read into again only once its WRITE is acknowledged: ssh2 sends the bytes from it as they
    // are (patches/ssh2+1.17.0.patch), until the channel window lets them out, and again for a server whose limit
    // splits the chunk.
    const chunks = local ? local.chunks : bufferChunks(source as Buffer, UPLOAD_CHUNK, UPLOAD_IN_FLIGHT);
    const hash = createHash('sha256');
    let position = 0;
    const progress = progressReporter(this.log.child({ remotePath }), 'uploading', 'bytes');
    const work = async () => {
      let failure: unknown;
      for (;;) {
        const chunk = await chunks.next();
        if (failure || chunk.bytes.length === 0) {
          chunk.release();
          break;
        }
        hash.update(chunk.bytes);
        const at = position;
        position += chunk.bytes.length;
        progress(position);
        this.sftp.write(handle, chunk.bytes, 0, chunk.bytes.length, at, (err) => {
          chunk.release();
          if (err) failure ??= err;
          else this.watchdog.kick();
        });
      }
      await chunks.settled();
      // Crash-suite fault point: the bytes are on the server under the temporary name, not yet renamed.
      faultPoint('sftp:mid-upload');
      if (failure) throw failure;
    };
    try {
      await this.watchdog.guard('upload', remotePath, work());
    } catch (error) {
      throw classifySftpError(error, 'upload', remotePath, this.lost);
    } finally {
      await local?.close();
      if (!this.lost) await this.run<void>('close', remotePath, (done) => this.sftp.close(handle, done)).catch(() => undefined);
    }
    return { sha256: hash.digest('hex'), size: position };
  }

  /** sha256 (hex) of a remote file, read back in full. */
  async sha256(remotePath: string): Promise<string> {
    const hash = createHash('sha256');
    const input = this.sftp.createReadStream(remotePath);
    input.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      this.watchdog.kick();
    });
    const done = new Promise<void>((resolve, reject) => {
      input.once('end', resolve);
      input.once('error', reject);
    });
    await this.watchdog.guard('read back', remotePath, done).catch((error: unknown) => {
      throw classifySftpError(error, 'read back', remotePath, this.lost);
    });
    return hash.digest('hex');
  }

  /** SFTP rename: fails when the target exists (OpenSSH implements it with link + unlink), so it never overwrites. */
  rename(from: string, to: string): Promise<void> {
    return this.run<void>('rename', to, (done) => this.sftp.rename(from, to, done));
  }

  /** Atomic replace via posix-rename@openssh.com; false when the server does not offer the extension. */
  async posixRename(from: string, to: string): Promise<boolean> {
    try {
      await this.run<void>('posix-rename', to, (done) => this.sftp.ext_openssh_rename(from, to, done));
      return true;
    } catch (error) {
      if (error instanceof SinkError && /does not support/i.test(String((error.cause as Error | undefined)?.message))) return false;
      throw error;
    }
  }

  remove(remotePath: string): Promise<void> {
    return this.run<void>('remove', remotePath, (done) => this.sftp.unlink(remotePath, done));
  }

  get connectionLost(): boolean {
    return this.lost;
  }

  private destroy(): void {
    this.lost = true;
    // ssh2-sftp-client exposes its ssh2 Client as `.client` (untyped); destroying the socket is the only way out of a stall.
    (this.client as unknown as { client: { destroy(): void } }).client.destroy();
  }

  /** Ends the connection; never throws and never hangs (ECONNRESET on end is expected from some servers). */
  async end(): Promise<void> {
    const grace = setTimeout(() => this.destroy(), END_GRACE_MS);
    try {
      await endQuietly(this.client);
    } finally {
      clearTimeout(grace);
    }
    this.log.debug('SFTP connection closed', { host: this.config.host });
  }
}

/** A local file read chunk by chunk into reused buffers; a read failure is the local file's fault, never retryable. */
async function openLocal(path: string, remotePath: string): Promise<{ chunks: Chunks; close(): Promise<void> }> {
  const localError = (error: unknown) => new SinkError('local-file', `read ${path}: ${(error as Error).message}`, remotePath, { cause: error });
  const fh = await open(path, 'r').catch((error: unknown) => {
    throw localError(error);
  });
  return { chunks: fileChunks(fh, UPLOAD_CHUNK, UPLOAD_IN_FLIGHT, localError), close: () => fh.close() };
}

function isNoSuchFile(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 2;
}

async function endQuietly(client: SftpClient): Promise<void> {
  await client.end().catch(() => undefined);
}
