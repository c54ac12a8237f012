// `${VAR}` interpolation for configuration text: VAR from the environment, else from the file named by VAR_FILE;
// `${file:/path}` reads a file. Secrets can then live in mounted files, never in the YAML.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config-error.js';

const REF = /\$\{([^}]+)\}/g;

export function readSecretFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    throw new ConfigError(`${what}: cannot read secret file ${path}: ${(e as Error).message}`);
  }
}

/** The value of VAR, or the contents of the file VAR_FILE names; undefined when neither is set. */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const direct = env[name];
  if (direct !== undefined && direct !== '') return direct;
  const file = env[`${name}_FILE`];
  return file ? readSecretFile(file, `${name}_FILE`) : undefined;
}

export function interpolate(text: string, env: NodeJS.ProcessEnv, where: string): string {
  return text.replace(REF, (_m, ref: string) => {
    const name = ref.trim();
    if (name.startsWith('file:')) return readSecretFile(name.slice(5), where);
    const value = envValue(env, name);
    if (value === undefined) throw new ConfigError(`${where}: \${${name}} is not set (neither ${name} nor ${name}_FILE)`);
    return value;
  });
}

/** Interpolates every string inside a parsed YAML tree, naming the key path in errors. */
export function interpolateTree(node: unknown, env: NodeJS.ProcessEnv, path = ''): unknown {
  if (typeof node === 'string') return interpolate(node, env, path || '(root)');
  if (Array.isArray(node)) return node.map((v, i) => interpolateTree(v, env, `${path}[${i}]`));
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateTree(v, env, path ? `${path}.${k}` : k)]));
  }
  return node;
}
