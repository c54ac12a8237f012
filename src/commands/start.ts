// `erp-sync start`: the long-running daemon.
import { openRuntime } from '../runtime.js';
import { startHttpServer } from '../http/server.js';
import { createMetrics, registerDatabaseMetrics } from '../metrics.js';
import { migrationsApplied } from '../db/migrate.js';
import { assembleApp } from '../app.js';
import type { CommandContext } from './context.js';
import { registerSaferpayMetrics } from '../saferpay/metrics.js';
import { createQiTechWebhookRoute } from '../../sinks/qitech/webhook.js';
import { ConfigError } from '../config-error.js';
import { createConsole } from '../console/index.js';

/** Resolves on the first SIGTERM or SIGINT; `dispose` gives the signals back (a failed start must stay stoppable). */
function shutdownSignal(): { received: Promise<NodeJS.Signals>; dispose(): void } {
  let on: (s: NodeJS.Signals) => void = () => undefined;
  const received = new Promise<NodeJS.Signals>((resolve) => (on = resolve));
  // `on`, not `once`: under `npm start` the group's Ctrl-C reaches the daemon twice (directly, and relayed by tsx);
  // with no listener left, the second would kill the graceful stop half-way.
  process.on('SIGTERM', on);
  process.on('SIGINT', on);
  return { received, dispose: () => void process.removeListener('SIGTERM', on).removeListener('SIGINT', on) };
}

/** A port we cannot listen on is a configuration problem: name the port and the settings that choose it. */
function listenError(e: unknown, host: string, port: number): Error {
  const code = (e as { code?: string }).code;
  if (code !== 'EADDRINUSE' && code !== 'EACCES' && code !== 'EADDRNOTAVAIL') return e as Error;
  const why = code === 'EADDRINUSE' ? 'is in use' : code === 'EACCES' ? 'needs privileges' : 'is not an address of this machine';
  return new ConfigError(`cannot listen on ${host}:${port}: the ${code === 'EADDRNOTAVAIL' ? 'host' : 'port'} ${why} (${code}); choose another with http.port / http.host in the configuration, or HTTP_PORT / HTTP_HOST`);
}

export async function runStart(ctx: CommandContext): Promise<number> {
  const { logger, config } = ctx;
  logger.info('erp-sync starting', { config: ctx.source, pid: process.pid });
  for (const note of ctx.defaults) logger.info('default in force', { note });
  const signal = shutdownSignal();
  // What start-up opened, closed in reverse order when a later part fails (a taken port must not leave the
  // sandbox, the drop or the embedded PostgreSQL running).
  const opened: Array<() => Promise<void>> = [];
  const closeOpened = async () => {
    for (const close of opened.reverse()) await close().catch((e: unknown) => logger.warn('closing after a failed start failed', { error: e }));
  };
  let rt, app, http, consoleUi;
  try {
    rt = await openRuntime(config, logger);
    opened.push(rt.close);
    const metrics = createMetrics();
    app = await assembleApp(rt, logger, { metrics, demo: true });
    opened.push(app.close);
    registerSaferpayMetrics(metrics.registry, rt.ds);
    registerDatabaseMetrics(metrics.registry, rt.ds);
    const ds = rt.ds;
    const { daemon, companies, xeroClientFor } = app;
    consoleUi = config.http.console === 'off' ? null : createConsole({ ds, http: config.http, dataDir: config.dataDir, logger, companies, xeroClientFor, poke: () => daemon.poke() });
    http = await startHttpServer({
      host: config.http.host,
      port: config.http.port,
      metricsToken: config.http.metricsToken,
      registry: metrics.registry,
      logger,
      routes: config.webhooks.qitech ? { '/webhooks/qitech': createQiTechWebhookRoute({ ds, logger, secret: config.webhooks.qitech.secret }) } : {},
      fallback: consoleUi?.route,
      ready: async () => {
        // Reading the migrations table is also the database round trip readiness needs.
        const ok = await migrationsApplied(ds);
        return { ok, detail: ok ? 'ready' : 'migrations pending' };
      },
    }).catch((e: unknown) => Promise.reject(listenError(e, config.http.host, config.http.port)));
  } catch (e) {
    signal.dispose();
    await closeOpened();
    throw e;
  }
  app.daemon.start();
  logger.info('erp-sync ready', {
    http: `http://${config.http.host}:${http.port}`,
    database: rt.embedded ? `embedded: psql ${rt.embedded.url}` : 'external',
    ...(app.drop ? { sftpDrop: app.drop.root } : {}),
    hint: 'erp-sync status shows every batch; erp-sync report lists the SQL report views',
  });
  consoleUi?.announce(`http://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${http.port}/`);
  const received = await signal.received;
  logger.info('shutting down', { signal: received, graceMs: config.pipeline.shutdownGraceMs });
  await app.daemon.stop(config.pipeline.shutdownGraceMs);
  await http.close();
  await closeOpened();
  logger.info('stopped');
  return 0;
}
