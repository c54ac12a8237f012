// What every command gets: the loaded configuration and a logger at the configured level.
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { createLogger, type Logger } from '../log.js';

export interface CommandContext extends LoadedConfig {
  logger: Logger;
}

export function commandContext(opts: { config?: string }): CommandContext {
  const loaded = loadConfig({ file: opts.config });
  return { ...loaded, logger: createLogger({ level: loaded.config.log.level }) };
}
