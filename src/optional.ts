// Parts left out of the production image (embedded PostgreSQL, the sandboxes) are loaded only when needed;
// when absent, the command stops with a configuration error saying what to set instead.
import { ConfigError } from './config-error.js';

function isModuleNotFound(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/** The module, or null when it is not installed. */
export async function importIfPresent<T>(load: () => Promise<T>): Promise<T | null> {
  try {
    return await load();
  } catch (e) {
    if (isModuleNotFound(e)) return null;
    throw e;
  }
}

const absent = (what: string, instead: string) => new ConfigError(`${what} is not part of this installation: ${instead}`);

export async function importOptional<T>(load: () => Promise<T>, what: string, instead: string): Promise<T> {
  const module = await importIfPresent(load);
  if (module === null) throw absent(what, instead);
  return module;
}

/** For what is found by require.resolve (a package's files rather than its module). */
export function resolveOptional<T>(resolve: () => T, what: string, instead: string): T {
  try {
    return resolve();
  } catch (e) {
    if (isModuleNotFound(e)) throw absent(what, instead);
    throw e;
  }
}
