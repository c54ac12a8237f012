// Wires the adapters to the pipeline: Concur clients (or the built-in sandbox), parsers, store, sinks (or the
// local SFTP drop), the worker and the daemon. Everything the commands start/run-once/replay share.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { CompanyConfig, Config, SinkConfig } from './config/schema.js';
import { createXeroClient, createXeroSink } from '../sinks/xero/sink.js';
import type { XeroClient } from '../sinks/xero/client.js';
import { createQiTechSink } from '../sinks/qitech/sink.js';
import { xeroSinkConfig } from '../sinks/xero/config.js';
import { checkXeroPayments } from '../sinks/xero/payments.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { Runtime } from './runtime.js';
import { createConcurClient, type ConcurClient } from './concur/client.js';
import { newTokenState, type TokenState } from './concur/auth.js';
import { createSftpSink } from '../sinks/sftp/sink.js';
import { createSftpPool, type SftpPool } from '../sinks/sftp/connections.js';
import type { Sink } from '../sinks/sink.js';
import { Worker } from './pipeline/worker.js';
import { Daemon } from './daemon.js';
import { DEFAULT_BACKOFF } from './backoff.js';
import type { Policy } from './pipeline/machine.js';
import { concurSteps } from './pipeline/steps/concur.js';
import { fetchStep } from './pipeline/steps/fetch.js';
import { loadStep } from './pipeline/steps/load.js';
import { deliverStep } from './pipeline/steps/deliver.js';
import { sweepFileStore } from './store/file-store.js';
import { sweepTemporaries } from './store/temporaries.js';
import type { BuiltInSandbox } from './defaults/sandbox.js';
import { importOptional } from './optional.js';
import type { LocalDrop } from './defaults/local-drop.js';
import { openHolder, type HolderSession } from './store/claims.js';
import { consoleUrl, runAlerts } from './alerts/engine.js';

export interface App {
  config: Config;
  companies: CompanyConfig[];
  worker: Worker;
  daemon: Daemon;
  /** This process's claim session: its claims live as long as it does. */
  holder: HolderSession;
  sandbox: BuiltInSandbox | null;
  drop: LocalDrop | null;
  /** The alerts' evaluation and delivery (run by the daemon every `everyMs`; once at the end by run-once). */
  alerts: { run: () => Promise<void>; everyMs: number } | null;
  /** The Xero client of a company's xero sink (the console's Reverse); null when it has none by that name. */
  xeroClientFor(companyId: string, sink: string): XeroClient | null;
  close(): Promise<void>;
}

export interface AppOptions {
  now?: () => Date;
  metrics?: Metrics;
  workerId?: string;
  /** Demo mode: the built-in sandbox adds new batches over time. */
  demo?: boolean;
}

const EMPTY_BATCH_WAIT_MS = 30 * 60_000;

/** One configured sink of a company. */
function createSink(s: SinkConfig, rt: Runtime, sftpPool: SftpPool, log: Logger): Sink {
  switch (s.type) {
    case 'sftp':
      return { ...createSftpSink(s, { log, pool: sftpPool }), name: s.name };
    case 'xero':
      return { ...createXeroSink(s, { ds: rt.ds, logger: log }), name: s.name };
    case 'qitech-settlement':
      return { ...createQiTechSink(s, { ds: rt.ds, logger: log }), name: s.name };
  }
}

export function policyFor(company: CompanyConfig): Policy {
  return {
    backoff: DEFAULT_BACKOFF,
    emptyBatchWaitMs: EMPTY_BATCH_WAIT_MS,
    closeWatchTimeoutMs: company.concur.close.closeWatchTimeoutMs,
    closeWatchIntervalMs: company.concur.close.closeWatchIntervalMs,
    reconciliation: company.reconciliation.policy,
  };
}

const named = (companies: string[]) => companies.map((c) => `company ${c}`).join(', ');

// The built-in Concur sandbox and the local SFTP drop are for trying erp-sync out; the production image leaves them out.
const loadBuiltInSandbox = (companies: string[]) => importOptional(() => import('./defaults/sandbox.js'), 'the built-in Concur sandbox', `set concur.baseUrl (and concur.auth) for ${named(companies)}`);
const loadLocalDrop = (companies: string[]) => importOptional(() => import('./defaults/local-drop.js'), 'the local SFTP drop', `configure sinks for ${named(companies)}`);

/** The alerts' periodic job, when a target is configured (or the demo's receiver stands in for one). */
function alertsJob(rt: Runtime, companies: CompanyConfig[], sandbox: BuiltInSandbox | null, logger: Logger, now: () => Date, metrics?: Metrics) {
  const configured = rt.config.alerts;
  const config = sandbox?.alertTarget ? { ...configured, targets: [sandbox.alertTarget] } : configured;
  if (config.targets.length === 0) return null;
  const deps = { ds: rt.ds, config, consoleUrl: consoleUrl(rt.config), companies: companies.map((c) => c.id), now, logger, metrics };
  return { everyMs: config.evaluateEveryMs, run: () => runAlerts(deps) };
}

export async function assembleApp(rt: Runtime, logger: Logger, opts: AppOptions = {}): Promise<App> {
  const { config } = rt;
  const now = opts.now ?? (() => new Date());
  const dataDir = resolve(config.dataDir);
  const workerId = opts.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

  const holder = await openHolder(rt.databaseUrl, workerId, logger);
  const onSandbox = config.companies.filter((c) => !c.concur.baseUrl).map((c) => c.id);
  const onDrop = config.companies.filter((c) => c.sinks.length === 0).map((c) => c.id);
  let sandbox: BuiltInSandbox | null = null;
  let drop: LocalDrop | null = null;
  try {
    sandbox = onSandbox.length ? await (await loadBuiltInSandbox(onSandbox)).startBuiltInSandbox(rt, logger, { demo: opts.demo ?? false }) : null;
    drop = onDrop.length ? await (await loadLocalDrop(onDrop)).startLocalDrop(dataDir, logger) : null;
  } catch (e) {
    await sandbox?.close();
    await holder.close();
    throw e;
  }
  const companies = config.companies.map((c) => (sandbox && !c.concur.baseUrl ? sandbox.configure(c) : c));

  // A Concur client per use; only its company's token state is kept (a client kept per company held 4.5 KB, its
  // closures, logger and fetch, for the whole run; measured in BENCHMARKS.md, issue 18).
  const tokenStates = new Map<string, TokenState>();
  const byId = new Map(companies.map((c) => [c.id, c]));
  const clientFor = (companyId: string): ConcurClient => {
    let tokenState = tokenStates.get(companyId);
    if (!tokenState) tokenStates.set(companyId, (tokenState = newTokenState()));
    return createConcurClient({ companyId, config: byId.get(companyId)!.concur, ds: rt.ds, logger, now: () => now().getTime(), tokenState });
  };
  // One pool for every SFTP sink: connections are reused across deliveries, bounded in total, closed with the app.
  const sftpPool = createSftpPool({ maxConnections: config.pipeline.sftpConnections });
  // A company's sinks are built at its first delivery, not at start: thousands of companies listed with nothing to
  // deliver keep none (each live object a company holds at start raises the heap V8 lets grow before collecting).
  const sinks = new Map<string, Sink[]>();
  const sinksFor = (companyId: string): Sink[] => {
    let built = sinks.get(companyId);
    const c = byId.get(companyId);
    if (!built && c) {
      const configured = c.sinks.map((s) => createSink(s, rt, sftpPool, logger.child({ company: c.id, sink: s.name })));
      built = configured.length ? configured : [drop!.sinkFor(logger.child({ company: c.id, sink: 'sftp' }), sftpPool)];
      sinks.set(companyId, built);
    }
    return built ?? [];
  };
  const xeroClients = new Map<string, XeroClient>();
  const xeroClientFor = (companyId: string, sink: string): XeroClient | null => {
    const key = `${companyId}/${sink}`;
    const cfg = xeroSinkConfig(byId.get(companyId)?.sinks ?? [], sink);
    if (!cfg) return null;
    if (!xeroClients.has(key)) xeroClients.set(key, createXeroClient(cfg, companyId, { ds: rt.ds, logger }));
    return xeroClients.get(key)!;
  };

  const alerts = alertsJob(rt, companies, sandbox, logger, now, opts.metrics);
  const concur = concurSteps(clientFor);
  const worker = new Worker({
    ds: rt.ds,
    handlers: {
      ...concur,
      fetch: fetchStep({ ds: rt.ds, dataDir, clientFor, zipLimits: config.zipLimits }),
      load: loadStep({ ds: rt.ds, dataDir, zipLimits: config.zipLimits, parseLimits: config.parseLimits }),
      deliver: deliverStep({ ds: rt.ds, dataDir, sinksFor, metrics: opts.metrics }),
    },
    companies,
    policyFor,
    holder,
    now,
    logger,
    metrics: opts.metrics,
    leaseMs: config.pipeline.leaseMs,
    globalConcurrency: config.pipeline.concurrency,
    perCompanyConcurrency: config.pipeline.perCompanyConcurrency,
    maxUnfinishedStarts: config.pipeline.maxUnfinishedStarts,
  });
  const daemon = new Daemon({
    ds: rt.ds,
    companies,
    worker,
    holder,
    clientFor: (c) => clientFor(c.id),
    now,
    logger,
    metrics: opts.metrics,
    pollMs: config.pipeline.pollMs,
    leaseMs: config.pipeline.leaseMs,
    saferpay: config.saferpay,
    xeroCheck: companies.some((c) => c.sinks.some((s) => s.type === 'xero'))
      ? () => checkXeroPayments({ ds: rt.ds, clientFor: xeroClientFor, logger, now: () => now().getTime() }).then(() => undefined)
      : null,
    alerts,
    sweepFiles: async () => {
      const r = await sweepFileStore(rt.ds, dataDir, { retentionDays: config.fileStore.retentionDays, now: now() });
      if (r.removed.length) logger.info('file store: files past retention removed', { removed: r.removed.length, retentionDays: config.fileStore.retentionDays });
      const stale = await sweepTemporaries(dataDir, now());
      if (stale.length) logger.warn('data directory: temporaries of a stopped process removed (untouched for a day)', { removed: stale.length, paths: stale.slice(0, 10) });
    },
  });
  return {
    config,
    companies,
    worker,
    daemon,
    holder,
    sandbox,
    drop,
    alerts,
    xeroClientFor,
    close: async () => {
      // Before the drop: our pooled connections end cleanly rather than being cut by the server.
      await sftpPool.close();
      await drop?.close();
      await sandbox?.close();
      await holder.close();
    },
  };
}

