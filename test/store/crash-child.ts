// Run as a separate process by load-crash.test.ts: loads an endless stream of rows into one batch,
// so the COPY is still running whenever the test kills this process.
import { openDatabase } from '../../src/db/database.js';
import { loadTransactions } from '../../src/store/load.js';
import { markLoaded, txn } from './fixtures.js';

const [url, companyId, batchRowId] = process.argv.slice(2) as [string, string, string];

async function* endless() {
  for (let i = 0; ; i++) yield txn(i, { description: `row ${i} `.padEnd(120, '.') });
}

const ds = await openDatabase({ url, poolSize: 1, applicationName: 'erp-sync-crash-child' });
await loadTransactions(ds, { companyId, batchRowId, rows: endless() }, markLoaded(batchRowId));
