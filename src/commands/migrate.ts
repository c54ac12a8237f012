// `erp-sync migrate`: apply pending migrations and exit.
import { openRuntime } from '../runtime.js';
import { appliedMigrations } from '../db/migrate.js';
import type { CommandContext } from './context.js';

export async function runMigrate(ctx: CommandContext): Promise<number> {
  const rt = await openRuntime(ctx.config, ctx.logger);
  try {
    ctx.logger.info('database schema is up to date', { migrations: (await appliedMigrations(rt.ds)).length });
    return 0;
  } finally {
    await rt.close();
  }
}
