// `erp-sync reverse <batch> --sink xero`: deletes the batch's Xero batch payment when an accountant asks for it.
import { userInfo } from 'node:os';
import { xeroSinkConfig } from '../../sinks/xero/config.js';
import { reverseXeroBatch } from '../../sinks/xero/payments.js';
import { createXeroClient } from '../../sinks/xero/sink.js';
import { openRuntime } from '../runtime.js';
import { printable } from '../printable.js';
import { findBatch } from '../store/batches.js';
import type { CommandContext } from './context.js';

/** `erp-sync reverse <batch> --sink xero`: exit 0 done, 1 refused, 2 no such batch or sink. */
export async function runXeroReverse(ctx: CommandContext, ref: string, sink = 'xero'): Promise<number> {
  const rt = await openRuntime(ctx.config, ctx.logger);
  try {
    const found = await findBatch(rt.ds, ref);
    const batch = found.length === 1 ? found[0]! : null;
    if (!batch) {
      process.stderr.write(found.length ? `erp-sync: "${ref}" is ambiguous; name it as company/batch\n` : `erp-sync: no batch "${ref}"\n`);
      return 2;
    }
    const company = ctx.config.companies.find((c) => c.id === batch.companyId);
    const config = company && xeroSinkConfig(company.sinks, sink);
    if (!config) {
      process.stderr.write(`erp-sync: company ${batch.companyId} has no xero sink named ${sink}\n`);
      return 2;
    }
    const client = createXeroClient(config, batch.companyId, { ds: rt.ds, logger: ctx.logger });
    const refused = await reverseXeroBatch(rt.ds, client, sink, batch, userInfo().username);
    if (refused) {
      process.stderr.write(`erp-sync: ${refused}\n`);
      return 1;
    }
    process.stdout.write(`${batch.companyId}/${printable(batch.concurBatchId)}: Xero batch payment deleted\n`);
    return 0;
  } finally {
    await rt.close();
  }
}
