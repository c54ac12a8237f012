// The journal the README's example files are rendered from (test/sinks/journal.test.ts keeps them equal).
import type { StoredJournal, StoredRow } from '../../sinks/journal/lines.js';

const zoe = { employeeId: 'E1001', employeeName: 'Zoë Müller', reportId: '4B03AEFAE8AC3AD1ACB6', reportKey: '1042', reportName: 'Zürich trip', journalKey: null, debitCredit: 'DR' as const, currency: 'EUR', paymentType: 'Cash', raw: {} };
const rows: StoredRow[] = [
  { ...zoe, entryId: '100000001', transactionDate: '2026-11-03', expenseType: 'Hotel', description: 'Two nights, "Nord" wing', vendor: 'Hôtel du Lac, Zürich', accountCode: '6110', amount: '241.50', raw: { Receipt: 'R-2211' } },
  { ...zoe, entryId: '100000002', transactionDate: '2026-11-05', expenseType: 'Taxi', description: 'Airport', vendor: 'Taxi 444', accountCode: '6130', amount: '38.2' },
];

export const EXAMPLE_JOURNAL: StoredJournal = {
  company: 'acme',
  concurBatchId: '02939515523470155228',
  batchName: 'Employee Reimbursements EUR',
  closeDate: new Date('2026-11-22T00:53:58.000Z'),
  currency: 'EUR',
  rows,
  totals: { EUR: '279.7' },
};
