// The SFTP sinks' connection pool: SftpSessions shared across deliveries and companies, keyed by everything that
// identifies a connection and its trust, so two sinks share a connection only when either could have opened it.
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SftpSinkConfig } from './config.js';
import { hostLookupName } from './known-hosts.js';
import { ConnectionPool, type Lease } from './pool.js';
import { type SessionDeps, SftpSession } from './session.js';

export const DEFAULT_MAX_TOTAL_CONNECTIONS = 16;

export interface SftpPool {
  /** A session for a delivery to `config`'s target: an idle pooled one if alive, else a new one (host key verified). */
  lease(config: SftpSinkConfig, deps: SessionDeps, opts?: { fresh?: boolean }): Promise<Lease<SftpSession>>;
  /** Back to the pool when `reusable` (the delivery succeeded) and the connection still is; else ended. */
  release(lease: Lease<SftpSession>, reusable: boolean): Promise<void>;
  /** Ends idle connections now and leased ones when returned (shutdown, end of run-once). */
  close(): Promise<void>;
  stats(): { total: number; idle: number; waiting: number };
}

/** `maxConnections` bounds SSH connections across all targets (busy and idle). */
export function createSftpPool(opts: { maxConnections?: number } = {}): SftpPool {
  const pool = new ConnectionPool<SftpSession>(opts.maxConnections ?? DEFAULT_MAX_TOTAL_CONNECTIONS);
  // Per pool and never stored: the keys cannot be matched across processes or tried against guessed passwords.
  const salt = randomBytes(32);
  return {
    lease: async (config, deps, { fresh = false } = {}) => {
      const key = connectionKey(config, salt);
      const open = () => SftpSession.open(config, deps);
      const lease = await (fresh ? pool.acquireFresh(key, config.pool, open) : pool.acquire(key, config.pool, open));
      lease.connection.lend(deps.log);
      if (lease.reused) deps.log.debug('SFTP connection reused', { target: key });
      return lease;
    },
    release: (lease, reusable) => pool.release(lease, reusable),
    close: () => pool.close(),
    stats: () => pool.stats(),
  };
}

/**
 * `user@host:port#hmac`: readable, safe to log. The HMAC covers the credentials and the trust settings, the
 * contents of the key and known_hosts files (a rotated key or an edited known_hosts is a new identity), the
 * timeouts the connection was opened with and the pool settings (so the limits of a key are unambiguous).
 */
export function connectionKey(config: SftpSinkConfig, salt: Buffer): string {
  const identity = [
    config.host,
    config.port,
    config.username,
    config.privateKeyPath ?? null,
    contentOf(config.privateKeyPath),
    config.passphrase ?? null,
    config.password ?? null,
    config.knownHostsFile ?? null,
    contentOf(config.knownHostsFile),
    config.hostKeySha256 ?? null,
    config.insecureSkipHostKeyCheck,
    config.timeouts,
    config.pool,
  ];
  const mac = createHmac('sha256', salt).update(JSON.stringify(identity)).digest('hex');
  return `${config.username}@${hostLookupName(config.host, config.port)}#${mac.slice(0, 32)}`;
}

/** A file's bytes as base64 (small files: keys, known_hosts), or null when unreadable (opening reports that). */
function contentOf(path: string | undefined): string | null {
  if (!path) return null;
  try {
    return readFileSync(path).toString('base64');
  } catch {
    return null;
  }
}
