// The sandbox's XML answers, in the shapes and namespace Concur documents.
import { XMLBuilder } from 'fast-xml-parser';

const NS = { '@_xmlns': 'http://www.concursolutions.com/api/expense/paymentbatch/2011/11', '@_xmlns:i': 'http://www.w3.org/2001/XMLSchema-instance' };
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_' });
const DECL = '<?xml version="1.0" encoding="utf-8"?>';

export interface ListedBatch {
  BatchName: string;
  BatchID: string;
  BatchTotal: string;
  Currency: string;
  Count: string;
  Type: string;
  PaymentMethod: string;
  'Batch-URL': string;
}

export function batchListXml(batches: ListedBatch[]): string {
  return DECL + builder.build({ BatchList: { ...NS, BatchSummary: batches } });
}

/** v1.2 answers Status and JobQueueKey; v1.1 adds BatchStatus and File-Url. */
export function batchStatusXml(fields: { batchStatus?: string; fileUrl?: string; status: string; jobQueueKey: string }): string {
  const body: Record<string, string> = {};
  if (fields.batchStatus) body.BatchStatus = fields.batchStatus;
  if (fields.fileUrl) body['File-Url'] = fields.fileUrl;
  body.Status = fields.status;
  body.JobQueueKey = fields.jobQueueKey;
  return DECL + builder.build({ BatchStatus: { ...NS, ...body } });
}

export function errorXml(message: string, serverTime: Date, id: string): string {
  return DECL + builder.build({ Error: { Message: message, 'Server-Time': serverTime.toISOString(), Id: id } });
}
