// The built-in sandbox's CSV layout. Outside sandboxes/ because the configuration loader gives it to sandbox
// companies, and the production image leaves sandboxes/ out.
import { CsvProfileSchema, type CsvProfile } from '../../parsers/csv-profile.js';

/** The name the sandbox's CSV layout goes by in a configuration. */
export const SANDBOX_PROFILE_NAME = 'concur-sandbox';

/** The sandbox's customer-defined CSV layout: German-style, as a Concur admin might configure it. */
export const SANDBOX_CSV_PROFILE: CsvProfile = CsvProfileSchema.parse({
  delimiter: ';',
  quote: '"',
  encoding: 'auto',
  header: true,
  dateFormat: 'dd.MM.yyyy',
  decimalSeparator: ',',
  thousandsSeparator: '.',
  columns: {
    employeeId: 'Employee ID',
    employeeName: 'Employee Name',
    reportId: 'Report ID',
    reportName: 'Report Name',
    entryId: 'Entry ID',
    transactionDate: 'Date',
    expenseType: 'Expense Type',
    description: 'Description',
    vendor: 'Vendor',
    accountCode: 'Account',
    amount: 'Amount',
    currency: 'Currency',
  },
});
