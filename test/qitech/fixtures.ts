// Test fixtures for the QI Tech sink: a key pair on disk, a sandbox trusting it, and loaded batches.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import type { BatchToDeliver } from '../../sinks/sink.js';
import { QiTechSinkConfigSchema, type QiTechSinkConfig, type QiTechSinkConfigInput } from '../../sinks/qitech/config.js';
import { seedBatch } from '../store/fixtures.js';

export const API_CLIENT_KEY = 'client-key-0001';
export const FUND = 'fund-class-1';

export function keyPair(): { privateKey: KeyObject; publicKey: KeyObject; privateKeyPath: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp521r1' });
  const privateKeyPath = join(mkdtempSync(join(tmpdir(), 'qitech-key-')), 'private.pem');
  writeFileSync(privateKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return { privateKey, publicKey, privateKeyPath };
}

export function sinkConfig(baseUrl: string, privateKeyPath: string, over: Partial<QiTechSinkConfigInput> = {}): QiTechSinkConfig {
  return QiTechSinkConfigSchema.parse({
    type: 'qitech-settlement',
    baseUrl,
    apiClientKey: API_CLIENT_KEY,
    privateKeyPath,
    fundClassKey: FUND,
    settlement: { assetType: 'expense_reimbursement', settlementType: 'payment', collectionOriginType: 'assignor', contractNumberField: 'report_key', installmentNumberField: 'raw:Installment' },
    retries: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    ...over,
  });
}

export interface ReportSeed {
  reportId: string;
  amounts: string[];
  currency?: string;
}

/** A loaded Concur batch with the given reports' transactions; returns what the pipeline hands a sink. */
export async function loadedBatch(ds: DataSource, company: string, concurBatchId: string, reports: ReportSeed[]): Promise<BatchToDeliver> {
  const id = await seedBatch(ds, company, concurBatchId, 'loaded');
  let line = 2;
  for (const r of reports) {
    for (const amount of r.amounts) {
      await ds.query(
        `INSERT INTO transactions (company_id, batch_row_id, source_file, row_key, line_number, report_id, report_key, amount, currency, debit_credit, raw)
         VALUES ($1, $2, 'extract.txt', $3, $4, $5, $6, $7, $8, 'DR', $9)`,
        [company, id, `jk:${concurBatchId}-${line}`, line, r.reportId, `K-${r.reportId}`, amount, r.currency ?? 'BRL', JSON.stringify({ Installment: '1' })],
      );
      line++;
    }
  }
  const file = { name: 'extract.txt', path: '/nonexistent', sha256: 'a'.repeat(64), size: 0 };
  return {
    company,
    concurBatchId,
    batchRowId: id,
    batchName: `Batch ${concurBatchId}`,
    closeDate: new Date('2025-01-15T08:00:00Z'),
    original: file,
    entries: [],
    rows: line - 2,
    totals: {},
    reconciliation: null,
  };
}

/** Sleeps that return at once (retries and back-off run in microseconds). */
export const noSleep = async (): Promise<void> => undefined;
