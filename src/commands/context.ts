// What every command gets: the loaded configuration and a logger at the configured level.
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { createLogger, type Logger } from '../log.js';

export interface CommandContext extends LoadedConfig {
  logger: Logger;
}

/** The global options that choose or override the configuration. */
export interface GlobalOptions {
  config?: string;
  httpPort?: string;
  logLevel?: string;
}

/** The configuration as the global options select it (flags win over the environment and the file). */
export function loadFromOptions(opts: GlobalOptions): LoadedConfig {
  return loadConfig({ file: opts.config, flags: { httpPort: opts.httpPort, logLevel: opts.logLevel } });
}

/** Logs go to stdout for the daemon; commands that print data (status, report, parse) log to stderr. */
export function commandContext(opts: GlobalOptions, logTo: 'stdout' | 'stderr' = 'stderr'): CommandContext {
  const loaded = loadFromOptions(opts);
  return { ...loaded, logger: createLogger({ level: loaded.config.log.level, stream: logTo === 'stdout' ? process.stdout : process.stderr }) };
}
