// 12-factor configuration: the environment variables that configure one company, and those that override a file.
import { envValue } from './interpolate.js';
import { ConfigError } from '../config-error.js';

type Raw = Record<string, unknown>;

function intVar(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = envValue(env, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new ConfigError(`${name}: expected a whole number, got "${v}"`);
  return Number(v);
}

function withoutUndefined(raw: Raw): Raw {
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
}

/** Sets `value` at `section.key` of a raw configuration unless undefined. */
function setIn(raw: Raw, section: string, key: string, value: unknown): void {
  if (value !== undefined) raw[section] = { ...((raw[section] as Raw) ?? {}), [key]: value };
}

/** DATABASE_URL, HTTP_PORT, HTTP_HOST, LOG_LEVEL, ERP_SYNC_DATA_DIR, ERP_SYNC_SECRET_KEY(_PREVIOUS) and ERP_SYNC_ADMIN/VIEWER_TOKEN win over the file's values. */
export function globalOverrides(raw: Raw, env: NodeJS.ProcessEnv): Raw {
  const out: Raw = { ...raw };
  const dataDir = envValue(env, 'ERP_SYNC_DATA_DIR');
  if (dataDir) out.dataDir = dataDir;
  setIn(out, 'database', 'url', envValue(env, 'DATABASE_URL'));
  setIn(out, 'http', 'port', intVar(env, 'HTTP_PORT'));
  setIn(out, 'http', 'host', envValue(env, 'HTTP_HOST'));
  setIn(out, 'log', 'level', envValue(env, 'LOG_LEVEL'));
  setIn(out, 'http', 'adminToken', envValue(env, 'ERP_SYNC_ADMIN_TOKEN'));
  setIn(out, 'http', 'viewerToken', envValue(env, 'ERP_SYNC_VIEWER_TOKEN'));
  const key = envValue(env, 'ERP_SYNC_SECRET_KEY');
  const previousKey = envValue(env, 'ERP_SYNC_SECRET_KEY_PREVIOUS');
  if (key || previousKey) out.secrets = { ...((raw.secrets as Raw) ?? {}), ...withoutUndefined({ key, previousKey }) };
  return out;
}

/** Command-line flags: they win over the environment and the file. */
export interface ConfigFlags {
  httpPort?: string;
  logLevel?: string;
}

export function flagOverrides(raw: Raw, flags: ConfigFlags): Raw {
  const out: Raw = { ...raw };
  if (flags.httpPort !== undefined) {
    if (!/^\d+$/.test(flags.httpPort)) throw new ConfigError(`--http-port: expected a whole number, got "${flags.httpPort}"`);
    setIn(out, 'http', 'port', Number(flags.httpPort));
  }
  setIn(out, 'log', 'level', flags.logLevel);
  return out;
}

function concurFromEnv(env: NodeJS.ProcessEnv): Raw {
  const clientId = envValue(env, 'CONCUR_CLIENT_ID');
  const clientSecret = envValue(env, 'CONCUR_CLIENT_SECRET');
  const refreshToken = envValue(env, 'CONCUR_REFRESH_TOKEN');
  const any = clientId ?? clientSecret ?? refreshToken;
  const baseUrl = envValue(env, 'CONCUR_BASE_URL');
  const discovery = envValue(env, 'CONCUR_DISCOVERY_SCHEDULE');
  const close = envValue(env, 'CONCUR_CLOSE_SCHEDULE');
  return withoutUndefined({
    baseUrl,
    auth: any ? { kind: 'oauth', clientId, clientSecret, refreshToken } : undefined,
    discovery: discovery ? { schedule: discovery } : undefined,
    close: close ? { schedule: close } : undefined,
  });
}

function sftpFromEnv(env: NodeJS.ProcessEnv): Raw[] {
  const host = envValue(env, 'SFTP_HOST');
  if (!host) return [];
  return [
    withoutUndefined({
      type: 'sftp',
      host,
      port: intVar(env, 'SFTP_PORT'),
      username: envValue(env, 'SFTP_USERNAME'),
      // A path, not a secret value: SFTP_PRIVATE_KEY_FILE names the key file itself.
      privateKeyPath: env.SFTP_PRIVATE_KEY_FILE || undefined,
      passphrase: envValue(env, 'SFTP_PASSPHRASE'),
      password: envValue(env, 'SFTP_PASSWORD'),
      knownHostsFile: env.SFTP_KNOWN_HOSTS_FILE || undefined,
      remoteDir: envValue(env, 'SFTP_REMOTE_DIR'),
    }),
  ];
}

/** The whole configuration of a single-company deployment, from the environment alone (before the overrides). */
export function fromEnvironment(env: NodeJS.ProcessEnv): Raw {
  return {
    companies: [
      withoutUndefined({ id: envValue(env, 'ERP_SYNC_COMPANY') ?? 'default', timezone: envValue(env, 'ERP_SYNC_TIMEZONE'), concur: concurFromEnv(env), sinks: sftpFromEnv(env) }),
    ],
  };
}
