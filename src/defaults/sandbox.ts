// The built-in Concur sandbox that companies without a Concur base URL run against (npm start, the demo).
import { randomInt } from 'node:crypto';
import type { CompanyConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import { forgetTokens } from '../store/tokens.js';
import { startConcurSandbox, type ConcurSandbox } from '../sandbox/concur/index.js';
import { SANDBOX_CSV_PROFILE, SANDBOX_PROFILE_NAME } from './sandbox-profile.js';

export interface BuiltInSandbox {
  sandbox: ConcurSandbox;
  /** The company's configuration pointed at the sandbox, with its credentials and CSV layout. */
  configure(company: CompanyConfig): CompanyConfig;
  close(): Promise<void>;
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
    close: () => sandbox.close(),
  };
}
