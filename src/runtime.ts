// Start-up and shut-down of the shared resources: the database (embedded or external), migrations, companies.
import { resolve } from 'node:path';
import type { DataSource } from 'typeorm';
import type { Config } from './config/schema.js';
import type { Logger } from './log.js';
import { registerSecret } from './log.js';
import { startEmbeddedPostgres, type EmbeddedServer } from './db/embedded.js';
import { openDatabase } from './db/database.js';
import { migrate, pendingMigrations } from './db/migrate.js';
import { ConfigError } from './config-error.js';
import { checkAndResealTokens } from './store/sealed-tokens.js';
import { upsertCompanies } from './store/companies.js';
import { parseSecretKey, TokenKeyError, useTokenKeys } from './store/token-cipher.js';

export interface Runtime {
  config: Config;
  ds: DataSource;
  databaseUrl: string;
  embedded: EmbeddedServer | null;
  close(): Promise<void>;
}

/** Registers every configured secret with the log redactor before anything can log it. */
function registerConfigSecrets(config: Config): void {
  registerSecret(config.secrets.key);
  registerSecret(config.http.metricsToken);
  registerSecret(config.secrets.previousKey);
  registerSecret(config.database.url && new URL(config.database.url).password);
  for (const c of config.companies) {
    const a = c.concur.auth;
    if (a?.kind === 'oauth') [a.clientSecret, a.refreshToken].forEach(registerSecret);
    if (a?.kind === 'static') registerSecret(a.accessToken);
    for (const s of c.sinks) {
      if (s.type === 'sftp') [s.password, s.passphrase].forEach(registerSecret);
      if (s.type === 'qitech-settlement') registerSecret(s.apiClientKey);
    }
  }
  for (const t of config.saferpay.terminals) registerSecret(t.password);
  registerSecret(config.webhooks.qitech?.secret);
  // Slack and Teams webhook URLs carry their token.
  for (const t of config.alerts.targets) [t.url, t.type === 'webhook' ? t.secret : undefined].forEach(registerSecret);
}

/** A database that is not there is a configuration problem: say which one and how to create it. */
function missingDatabase(e: unknown, url: string): Error {
  if ((e as { code?: string }).code !== '3D000') return e as Error;
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.slice(1)) || 'postgres';
  return new ConfigError(
    `database "${name}" does not exist on ${u.hostname}:${u.port || 5432}: create it (createdb -h ${u.hostname} -p ${u.port || 5432}${u.username ? ` -U ${decodeURIComponent(u.username)}` : ''} ${name}, or CREATE DATABASE "${name}"), or point DATABASE_URL / database.url at another`,
  );
}

/**
 * Opens the database. `readOnly` (status, report): never migrate or write; a database that lacks migrations is a
 * configuration error naming the command that applies them.
 */
export async function openRuntime(config: Config, logger: Logger, opts: { readOnly?: boolean } = {}): Promise<Runtime> {
  registerConfigSecrets(config);
  let embedded: EmbeddedServer | null = null;
  let url = config.database.url;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: resolve(config.dataDir, 'pg'), port: config.database.embeddedPort, logger });
    url = embedded.url;
    // A command beside a running daemon joins its server: only a server this process started is news.
    if (embedded.started) logger.info('embedded PostgreSQL started', { dataDir: embedded.dataDir, port: embedded.port, psql: `psql ${embedded.url}` });
  }
  let ds: DataSource;
  try {
    ds = await openDatabase({
      url,
      poolSize: config.database.poolSize,
      statementTimeoutMs: config.database.statementTimeoutMs,
      idleInTransactionTimeoutMs: config.database.idleInTransactionTimeoutMs,
      preparedStatements: config.database.preparedStatements,
    }).catch((e: unknown) => Promise.reject(missingDatabase(e, url)));
  } catch (e) {
    await embedded?.stop();
    throw e;
  }
  try {
    if (opts.readOnly) {
      const pending = await pendingMigrations(ds);
      if (pending.length) {
        throw new ConfigError(
          `the database lacks ${pending.length} of ${ds.migrations.length} migrations (${pending.join(', ')}); this command never changes the schema: run erp-sync migrate (or start) first`,
        );
      }
      await openTokenStore(ds, config, logger, { reseal: false });
    } else {
      await migrate(ds, url, logger);
      await upsertCompanies(ds, config.companies.map((c) => ({ id: c.id, name: c.name ?? c.id })));
      await openTokenStore(ds, config, logger, { reseal: true });
    }
  } catch (e) {
    await ds.destroy();
    await embedded?.stop();
    throw e;
  }
  return {
    config,
    ds,
    databaseUrl: url,
    embedded,
    close: async () => {
      await ds.destroy();
      await embedded?.stop();
    },
  };
}

/** Sets the token keys, then proves they open every stored token (a wrong key stops start-up) and, unless read-only, re-seals the rest. */
async function openTokenStore(ds: DataSource, config: Config, logger: Logger, opts: { reseal: boolean }): Promise<void> {
  const { key, previousKey } = config.secrets;
  const bytes = (k: string | undefined) => (k ? parseSecretKey(k) : null);
  useTokenKeys(bytes(key), previousKey ? [bytes(previousKey)!] : []);
  if (!key) {
    logger.warn('ERP_SYNC_SECRET_KEY is not set: the Concur and Xero tokens are stored unencrypted', {
      readableBy: 'anyone who can read the tables oauth_tokens and xero_tokens (the erp-sync database role and superusers; not erp_sync_reporting)',
      see: 'SECURITY.md',
    });
  }
  try {
    const resealed = await checkAndResealTokens(ds, opts);
    if (resealed) logger.info('stored tokens re-encrypted under the current key', { tokens: resealed });
  } catch (e) {
    if (!(e instanceof TokenKeyError)) throw e;
    throw new ConfigError(`ERP_SYNC_SECRET_KEY cannot open the stored tokens: ${e.message}. Set the key they were stored with; during a rotation, the old key as ERP_SYNC_SECRET_KEY_PREVIOUS`);
  }
}
