// 12-factor configuration: the environment variables that configure one company, and those that override a file.
import { envValue } from './interpolate.js';
import { ConfigError } from './errors.js';

type Raw = Record<string, unknown>;

function intVar(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = envValue(env, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new ConfigError(`${name}: expected a whole number, got "${v}"`);
  return Number(v);
}

function withoutUndefined(o: Raw): Raw {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** DATABASE_URL, HTTP_PORT, HTTP_HOST, LOG_LEVEL, ERP_SYNC_DATA_DIR and ERP_SYNC_SECRET_KEY(_PREVIOUS) win over the file's values. */
export function globalOverrides(raw: Raw, env: NodeJS.ProcessEnv): Raw {
  const out: Raw = { ...raw };
  const dataDir = envValue(env, 'ERP_SYNC_DATA_DIR');
  if (dataDir) out.dataDir = dataDir;
  const url = envValue(env, 'DATABASE_URL');
  if (url) out.database = { ...((raw.database as Raw) ?? {}), url };
  const port = intVar(env, 'HTTP_PORT');
  if (port !== undefined) out.http = { ...((raw.http as Raw) ?? {}), port };
  const host = envValue(env, 'HTTP_HOST');
  if (host) out.http = { ...((out.http as Raw) ?? {}), host };
  const level = envValue(env, 'LOG_LEVEL');
  if (level) out.log = { ...((raw.log as Raw) ?? {}), level };
  const key = envValue(env, 'ERP_SYNC_SECRET_KEY');
  const previousKey = envValue(env, 'ERP_SYNC_SECRET_KEY_PREVIOUS');
  if (key || previousKey) out.secrets = { ...((raw.secrets as Raw) ?? {}), ...withoutUndefined({ key, previousKey }) };
  return out;
}

function concurFromEnv(env: NodeJS.ProcessEnv): Raw {
  const clientId = envValue(env, 'CONCUR_CLIENT_ID');
  const clientSecret = envValue(env, 'CONCUR_CLIENT_SECRET');
  const refreshToken = envValue(env, 'CONCUR_REFRESH_TOKEN');
  const any = clientId ?? clientSecret ?? refreshToken;
  const baseUrl = envValue(env, 'CONCUR_BASE_URL');
  return withoutUndefined({
    baseUrl,
    auth: any ? { kind: 'oauth', clientId, clientSecret, refreshToken } : undefined,
    // Against the built-in sandbox (the zero-configuration demo) batches are listed every minute and closed at once.
    ...(baseUrl ? {} : { discovery: { schedule: '* * * * *' }, close: { schedule: 'immediate' } }),
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

/** The whole configuration of a single-company deployment, from the environment alone. */
export function fromEnvironment(env: NodeJS.ProcessEnv): Raw {
  return globalOverrides(
    {
      companies: [{ id: envValue(env, 'ERP_SYNC_COMPANY') ?? 'default', concur: concurFromEnv(env), sinks: sftpFromEnv(env) }],
    },
    env,
  );
}
