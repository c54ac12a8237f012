// Loads the configuration: a YAML file (--config or ERP_SYNC_CONFIG) or, for one company, the environment alone.
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { ConfigSchema, type Config } from './schema.js';
import { ConfigError } from '../config-error.js';
import { envValue, interpolateTree } from './interpolate.js';
import { flagOverrides, fromEnvironment, globalOverrides, type ConfigFlags } from './env.js';
import { SANDBOX_CSV_PROFILE, SANDBOX_PROFILE_NAME } from './sandbox-profile.js';

export interface LoadedConfig {
  config: Config;
  /** Where the configuration came from, for the start-up log. */
  source: string;
  /** Built-in defaults that are in force (sandbox, embedded database, local drop), each logged once at start. */
  defaults: string[];
}

function formatIssues(error: z.ZodError, source: string): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : '(root)';
    const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.map((k) => (path === '(root)' ? k : `${path}.${k}`)).join(', ')})` : '';
    return `  ${path}: ${issue.message}${keys}`;
  });
  return `invalid configuration in ${source}:\n${lines.join('\n')}`;
}

function readYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read configuration file ${file}: ${(e as Error).message}`);
  }
  try {
    // JSON is YAML too, but the YAML parser's document model costs ~80× the text in memory: generated
    // configurations of thousands of companies are read as plain JSON.
    return file.endsWith('.json') ? JSON.parse(text) : (parseYaml(text) ?? {});
  } catch (e) {
    if (e instanceof YAMLParseError || e instanceof SyntaxError) throw new ConfigError(`${file}: ${e.message}`);
    throw e;
  }
}

type Mapping = Record<string, unknown>;
const isMapping = (v: unknown): v is Mapping => Boolean(v) && typeof v === 'object' && !Array.isArray(v);

/** `over` on top of `under`: mappings merge key by key, anything else (lists included) is replaced. */
function layer(under: Mapping, over: Mapping): Mapping {
  const out: Mapping = { ...under };
  for (const [k, v] of Object.entries(over)) out[k] = isMapping(v) && isMapping(out[k]) ? layer(out[k], v) : v;
  return out;
}

/** ERP_SYNC_DEFAULTS names a file of defaults (the container image's) that the configuration file and environment override. */
function withDefaultsFile(raw: Mapping, env: NodeJS.ProcessEnv): Mapping {
  const file = env.ERP_SYNC_DEFAULTS;
  if (!file) return raw;
  const defaults = interpolateTree(readYaml(file), env);
  if (!isMapping(defaults)) throw new ConfigError(`${file} (ERP_SYNC_DEFAULTS): expected a mapping at the top level`);
  return layer(defaults, raw);
}

export function validateConfig(raw: unknown, source: string): Config {
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error, source));
  return parsed.data;
}

/** Lists the built-in defaults a configuration relies on. */
export function defaultsInForce(config: Config): string[] {
  const notes: string[] = [];
  if (!config.database.url) notes.push(`no DATABASE_URL: embedded PostgreSQL under ${config.dataDir}/pg`);
  for (const c of config.companies) {
    if (!c.concur.baseUrl) notes.push(`company ${c.id}: no Concur base URL: the built-in Concur sandbox`);
    if (c.sinks.length === 0) notes.push(`company ${c.id}: no sinks: the local SFTP drop under ${config.dataDir}/sftp-drop`);
  }
  return notes;
}

/**
 * A company on the built-in sandbox (no Concur base URL) gets the sandbox's defaults under its own values: listed
 * every minute, closed at once, its CSV read with the sandbox's profile. A file with just `companies: [{id: demo}]`
 * then shows the demo at once, as the environment alone does.
 */
export function withSandboxDefaults(company: unknown): unknown {
  if (!company || typeof company !== 'object' || Array.isArray(company)) return company;
  const c = company as Mapping;
  const concur = (c.concur ?? {}) as Mapping;
  if (concur.baseUrl !== undefined) return company;
  const schedule = (section: string, fallback: string): Mapping => ({ schedule: fallback, ...((concur[section] as Mapping | undefined) ?? {}) });
  return {
    defaultCsvProfile: SANDBOX_PROFILE_NAME,
    ...c,
    csvProfiles: { [SANDBOX_PROFILE_NAME]: SANDBOX_CSV_PROFILE, ...((c.csvProfiles as Mapping | undefined) ?? {}) },
    concur: { ...concur, discovery: schedule('discovery', '* * * * *'), close: schedule('close', 'immediate') },
  };
}

/**
 * The configuration, in layers (each wins over the next): command-line flags, the environment (DATABASE_URL,
 * HTTP_PORT, HTTP_HOST, LOG_LEVEL, ERP_SYNC_DATA_DIR, ERP_SYNC_SECRET_KEY), the file (or, without one, the single
 * company the environment describes), the ERP_SYNC_DEFAULTS file (the container image's), and the built-in defaults.
 */
export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv; flags?: ConfigFlags } = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const file = opts.file ?? envValue(env, 'ERP_SYNC_CONFIG');
  let raw: Mapping;
  if (file) {
    const read = interpolateTree(readYaml(file), env);
    if (!isMapping(read)) throw new ConfigError(`${file}: expected a mapping at the top level`);
    raw = read;
  } else {
    raw = fromEnvironment(env);
  }
  raw = flagOverrides(globalOverrides(withDefaultsFile(raw, env), env), opts.flags ?? {});
  if (Array.isArray(raw.companies)) raw = { ...raw, companies: raw.companies.map(withSandboxDefaults) };
  const source = file ?? 'environment';
  const config = validateConfig(raw, source);
  return { config, source, defaults: defaultsInForce(config) };
}
