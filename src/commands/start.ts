// `erp-sync start`: the long-running daemon.
import { openRuntime } from '../runtime.js';
import { startHttpServer } from '../http/server.js';
import { createMetrics, registerDatabaseMetrics } from '../metrics.js';
import { migrationsApplied } from '../db/migrate.js';
import { assembleApp } from '../app.js';
import type { CommandContext } from './context.js';
import { registerSaferpayMetrics } from '../saferpay/metrics.js';
import { createQiTechWebhookRoute } from '../http/qitech-webhook.js';

/** Resolves on the first SIGTERM or SIGINT. */
function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => resolve(s);
    process.once('SIGTERM', on);
    process.once('SIGINT', on);
  });
}

export async function runStart(ctx: CommandContext): Promise<number> {
  const { logger, config } = ctx;
  logger.info('erp-sync starting', { config: ctx.source, pid: process.pid });
  for (const note of ctx.defaults) logger.info('default in force', { note });
  const signal = shutdownSignal();
  const rt = await openRuntime(config, logger);
  const metrics = createMetrics();
  const app = await assembleApp(rt, logger, { metrics, demo: true });
  registerSaferpayMetrics(metrics.registry, rt.ds);
  registerDatabaseMetrics(metrics.registry, rt.ds);
  const http = await startHttpServer({
    host: config.http.host,
    port: config.http.port,
    metricsToken: config.http.metricsToken,
    registry: metrics.registry,
    logger,
    routes: config.webhooks.qitech ? { '/webhooks/qitech': createQiTechWebhookRoute({ ds: rt.ds, logger, secret: config.webhooks.qitech.secret }) } : {},
    ready: async () => {
      await rt.ds.query('SELECT 1');
      const ok = await migrationsApplied(rt.ds);
      return { ok, detail: ok ? 'ready' : 'migrations pending' };
    },
  });
  app.daemon.start();
  logger.info('erp-sync ready', {
    http: `http://${config.http.host}:${http.port}`,
    database: rt.embedded ? `embedded: psql ${rt.embedded.url}` : 'external',
    ...(app.drop ? { sftpDrop: app.drop.root } : {}),
    hint: 'erp-sync status shows every batch; erp-sync report lists the SQL report views',
  });
  const received = await signal;
  logger.info('shutting down', { signal: received, graceMs: config.pipeline.shutdownGraceMs });
  await app.daemon.stop(config.pipeline.shutdownGraceMs);
  await http.close();
  await app.close();
  await rt.close();
  logger.info('stopped');
  return 0;
}
