// `erp-sync sandbox`: the Concur sandbox as its own process, for trying the daemon against it or for benchmarks.
import { startStandaloneSandbox } from '../defaults/sandbox.js';

export async function runSandbox(opts: { port: number; companies: number; latencyMs: number; faultRate: number }): Promise<number> {
  const sandbox = await startStandaloneSandbox(opts);
  process.stdout.write(`Concur sandbox on ${sandbox.url}\n`);
  for (const c of sandbox.companies) {
    process.stdout.write(`  company ${c.id}: clientId=${c.clientId} clientSecret=${c.clientSecret} refreshToken=${c.refreshToken}\n`);
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sandbox.close();
  return 0;
}
