// What every command gets: the loaded configuration and a logger at the configured level.
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { createLogger, type Logger } from '../log.js';

export interface CommandContext extends LoadedConfig {
  logger: Logger;
}

/** Logs go to stdout for the daemon; commands that print data (status, report, parse) log to stderr. */
export function commandContext(opts: { config?: string }, logTo: 'stdout' | 'stderr' = 'stderr'): CommandContext {
  const loaded = loadConfig({ file: opts.config });
  return { ...loaded, logger: createLogger({ level: loaded.config.log.level, stream: logTo === 'stdout' ? process.stdout : process.stderr }) };
}
