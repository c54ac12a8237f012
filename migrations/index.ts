// Every migration, in order. Listed explicitly (no globs) so compiled and tsx runs see the same set.
import { InitialSchema1763769600000 } from './1763769600000-initial-schema.js';
import { CompanySchedule1763780000000 } from './1763780000000-company-schedule.js';
import { ReportingViews1763856000000 } from './1763856000000-reporting-views.js';
import { Xero1763910000000 } from './1763910000000-xero.js';
import { QiTech1763920000000 } from './1763920000000-qitech.js';
import { Saferpay1763930000000 } from './1763930000000-saferpay.js';
import { SinkAttention1763940000000 } from './1763940000000-sink-attention.js';
import { RowIdentity1763940014000 } from './1763940014000-row-identity.js';
import { SaferpayErrors1764600000000 } from './1764600000000-saferpay-errors.js';
import { ExceptionsConcurId1764600001000 } from './1764600001000-exceptions-concur-id.js';
import { Claims1764633600000 } from './1764633600000-claims.js';
import { Alerts1764700000000 } from './1764700000000-alerts.js';
import { CompactRaw1764700001000 } from './1764700001000-compact-raw.js';
import { ConsoleIndexes1764700002000 } from './1764700002000-console-indexes.js';
import { BatchIdNames1764700003000 } from './1764700003000-batch-id-names.js';
import { CompactCsvRaw1764700004000 } from './1764700004000-compact-csv-raw.js';
import { TransactionRefsPerStatement1764700005000 } from './1764700005000-transaction-refs-per-statement.js';

export const migrations = [
  InitialSchema1763769600000, CompanySchedule1763780000000, ReportingViews1763856000000, Xero1763910000000, QiTech1763920000000, Saferpay1763930000000,
  SinkAttention1763940000000, RowIdentity1763940014000, SaferpayErrors1764600000000, ExceptionsConcurId1764600001000, Claims1764633600000,
  Alerts1764700000000, CompactRaw1764700001000, ConsoleIndexes1764700002000, BatchIdNames1764700003000, CompactCsvRaw1764700004000,
  TransactionRefsPerStatement1764700005000,
];
