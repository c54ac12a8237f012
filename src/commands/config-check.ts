// `erp-sync config check`: validates a configuration the way start would read it, without touching the database or
// the network: schema, ${…} references, cron and time zones (all by loadConfig), plus the files it names (keys,
// known_hosts). Prints the effective configuration with secrets masked.
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import ssh2 from 'ssh2';
import type { Config } from '../config/schema.js';
import type { LoadedConfig } from '../config/load.js';
import { isSecretKey } from '../log.js';
import { parseKnownHosts } from '../../sinks/sftp/known-hosts.js';

/** Problems with the files a configuration names, each as `path: problem`. */
export function fileProblems(config: Config): string[] {
  const problems: string[] = [];
  const read = (where: string, file: string): string | null => {
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      problems.push(`${where}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      return null;
    }
  };
  config.companies.forEach((c, i) =>
    c.sinks.forEach((s, j) => {
      const at = `companies[${i}].sinks[${j}]`;
      if (s.type === 'sftp') {
        const key = s.privateKeyPath && read(`${at}.privateKeyPath`, s.privateKeyPath);
        const parsed = key ? ssh2.utils.parseKey(key, s.passphrase) : null;
        if (parsed instanceof Error) problems.push(`${at}.privateKeyPath: ${s.privateKeyPath} is not a usable private key: ${parsed.message}`);
        const hosts = s.knownHostsFile && read(`${at}.knownHostsFile`, s.knownHostsFile);
        if (hosts !== undefined && hosts !== null && parseKnownHosts(hosts).length === 0) problems.push(`${at}.knownHostsFile: ${s.knownHostsFile} holds no known_hosts line`);
      }
      if (s.type === 'qitech-settlement') read(`${at}.privateKeyPath`, s.privateKeyPath);
    }),
  );
  return problems;
}

/** A copy with every secret-named value masked (file and path names stay: they are not secrets). */
export function masked(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(masked);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, isSecretKey(k) && !/(Path|File)$/.test(k) && typeof v === 'string' ? '***' : masked(v)]),
  );
}

export function runConfigCheck(loaded: LoadedConfig, out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  const problems = fileProblems(loaded.config);
  if (problems.length) {
    err.write(`erp-sync: ${loaded.source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p}\n`).join('')}`);
    return 2;
  }
  out.write(`# ${loaded.source}: valid. The effective configuration (defaults filled in, secrets masked):\n`);
  out.write(stringify(masked(loaded.config)));
  for (const note of loaded.defaults) out.write(`# default in force: ${note}\n`);
  return 0;
}
