// The built-in Concur sandbox that companies without a Concur base URL run against (npm start, the demo), and
// the one `erp-sync sandbox` runs on its own: the production code's only way to the Concur sandbox.
import { randomInt } from 'node:crypto';
import type { CompanyConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import { forgetTokens } from '../concur/tokens.js';
import { startConcurSandbox, type ConcurSandbox } from '../../sandboxes/concur/index.js';
import { SANDBOX_CSV_PROFILE, SANDBOX_PROFILE_NAME } from '../config/sandbox-profile.js';
import { startAlertReceiver, type AlertReceiver } from '../../sandboxes/alerts/receiver.js';
import type { AlertTarget } from '../alerts/config.js';

export interface BuiltInSandbox {
  sandbox: ConcurSandbox;
  /** The company's configuration pointed at the sandbox, with its credentials and CSV layout. */
  configure(company: CompanyConfig): CompanyConfig;
  /** The demo's alert target (a receiver that prints what arrives) when no alert target is configured. */
  alertTarget: AlertTarget | null;
  close(): Promise<void>;
}

/** A batch whose list total is off by 10.00 from its file: quarantined for the mismatch, so the demo shows an alert. */
const DEMO_MISMATCH = { name: 'Employee Reimbursements EUR (list total off: demo alert)', kind: 'csv', currency: 'EUR', type: 'Employee', paymentMethod: 'Expense Pay by SAP Concur', reports: 2, linesPerReport: 2, listTotalOff: '10.00' } as const;

/** Demo mode without alert targets: a local receiver gets the alerts (signed, like a team's webhook) and prints them. */
async function demoAlerts(rt: Runtime, logger: Logger, sandbox: ConcurSandbox, ids: string[]): Promise<AlertReceiver | null> {
  if (rt.config.alerts.targets.length > 0) return null;
  for (const id of ids) sandbox.controls.addBatch(id, DEMO_MISMATCH);
  const receiver = await startAlertReceiver({ logger });
  logger.info('sandbox alert receiver started: alerts are printed here (configure alerts.targets to send them elsewhere)', { url: receiver.url });
  return receiver;
}

/** `erp-sync sandbox`: the sandbox on its own, a new batch per company every two minutes. */
export function startStandaloneSandbox(opts: { port: number; companies: number; latencyMs: number; faultRate: number }): Promise<ConcurSandbox> {
  return startConcurSandbox({
    port: opts.port,
    companies: opts.companies,
    latencyMs: opts.latencyMs,
    faults: opts.faultRate > 0 ? { rate: opts.faultRate } : null,
    newBatchEveryMs: 120_000,
  });
}

export async function startBuiltInSandbox(rt: Runtime, logger: Logger, opts: { demo: boolean }): Promise<BuiltInSandbox> {
  const ids = rt.config.companies.filter((c) => !c.concur.baseUrl).map((c) => c.id);
  const sandbox = await startConcurSandbox({
    companies: ids.map((id) => ({ id })),
    closeDelayMs: 3_000,
    // A new seed per start: a restarted sandbox issues new batch ids, so the demo shows new batches (with the same
    // ids the database would already hold them as done and the restarted demo would look idle).
    seed: randomInt(1, 2 ** 31),
    // Demo mode: a new batch per company every two minutes, so a running daemon keeps having work.
    ...(opts.demo ? { newBatchEveryMs: 120_000 } : {}),
  });
  // The sandbox forgets its tokens when it stops: tokens stored for an earlier sandbox would be refused.
  await forgetTokens(rt.ds, ids);
  logger.info('built-in Concur sandbox started', { url: sandbox.url, companies: ids });
  const receiver = opts.demo ? await demoAlerts(rt, logger, sandbox, ids).catch(async (e: unknown) => Promise.reject(await sandbox.close().then(() => e))) : null;
  const creds = new Map(sandbox.companies.map((c) => [c.id, c]));
  return {
    sandbox,
    configure(company) {
      const c = creds.get(company.id)!;
      return {
        ...company,
        concur: { ...company.concur, baseUrl: sandbox.url, auth: { kind: 'oauth', clientId: c.clientId, clientSecret: c.clientSecret, refreshToken: c.refreshToken, geolocation: sandbox.url } },
        csvProfiles: { [SANDBOX_PROFILE_NAME]: SANDBOX_CSV_PROFILE, ...company.csvProfiles },
        defaultCsvProfile: company.defaultCsvProfile ?? SANDBOX_PROFILE_NAME,
      };
    },
    alertTarget: receiver && { type: 'webhook', name: 'sandbox-receiver', url: receiver.url, secret: receiver.secret },
    close: async () => {
      await receiver?.close();
      await sandbox.close();
    },
  };
}
