import { describe, expect, it } from 'vitest';
import { contentTypeDisagrees } from '../../src/concur/file-kind.js';
import { errorMessageOf, parseBatchList, parseCloseAnswer, parseXml } from '../../src/concur/xml.js';

const NS = 'xmlns="http://www.concursolutions.com/api/expense/paymentbatch/2011/11" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"';

describe('batch list XML', () => {
  it('reads every field by local name, keeping the total exact and the URL as given', () => {
    const doc = parseXml(`<?xml version="1.0"?><BatchList ${NS}><BatchSummary><BatchName>Q1 &amp; Q2</BatchName><BatchID>12345678901234567890</BatchID>
      <BatchTotal>1234567890123456789.10</BatchTotal><Currency>CHF</Currency><Count>7</Count><Type>Card Program</Type>
      <PaymentMethod>Other Reimbursement Methods</PaymentMethod><Batch-URL> https://h/api/expense/paymentbatch/v1.1/batch/n$s4$x </Batch-URL></BatchSummary></BatchList>`)!;
    expect(parseBatchList(doc)).toEqual({
      problems: [],
      batches: [{ batchName: 'Q1 & Q2', concurBatchId: '12345678901234567890', batchTotal: '1234567890123456789.1', currency: 'CHF', count: 7, type: 'Card Program', paymentMethod: 'Other Reimbursement Methods', batchUrl: 'https://h/api/expense/paymentbatch/v1.1/batch/n$s4$x' }],
    });
  });

  it('matches element names case-sensitively: Batch-Url is not Batch-URL', () => {
    const doc = parseXml(`<BatchList ${NS}><BatchSummary><BatchID>1</BatchID><BatchTotal>1</BatchTotal><Count>1</Count><Batch-Url>http://h/v1.1/batch/x</Batch-Url></BatchSummary></BatchList>`)!;
    expect(parseBatchList(doc)).toEqual({ batches: [], problems: [{ index: 0, concurBatchId: '1', field: 'Batch-URL', message: 'missing' }] });
  });

  it('names the field of an unusable entry and keeps the others', () => {
    const doc = parseXml(`<p:BatchList xmlns:p="urn:x"><p:BatchSummary><p:BatchID>1</p:BatchID><p:BatchTotal>1,5</p:BatchTotal><p:Count>1</p:Count><p:Batch-URL>http://h/v1.1/batch/x</p:Batch-URL></p:BatchSummary>
      <p:BatchSummary><p:BatchID>2</p:BatchID><p:BatchTotal>-2.5</p:BatchTotal><p:Count>0</p:Count><p:Batch-URL>http://h/v1.1/batch/y</p:Batch-URL></p:BatchSummary></p:BatchList>`)!;
    const parsed = parseBatchList(doc)!;
    expect(parsed.problems).toEqual([{ index: 0, concurBatchId: '1', field: 'BatchTotal', message: 'not a decimal: "1,5"' }]);
    expect(parsed.batches.map((b) => [b.concurBatchId, b.batchTotal, b.count])).toEqual([['2', '-2.5', 0]]);
  });

  it('reads an empty list', () => {
    expect(parseBatchList(parseXml(`<BatchList ${NS}/>`)!)).toEqual({ batches: [], problems: [] });
  });
});

describe('close answers and errors', () => {
  it('reads the documented v1.1 example, including its nested BatchStatus', () => {
    const doc = parseXml(`<BatchStatus ${NS}><BatchStatus>CLOSED</BatchStatus><File-Url>http:// www.concursolutions.com/api/expense/paymentbatch/v1.1/batch/n$s4MtBKgvoJxAYcbggR7eD2jRU$sxYjePU/file</File-Url><Status>SUCCESS</Status><JobQueueKey>d$wIUEkl72LW299WTjTlskdy</JobQueueKey></BatchStatus>`)!;
    expect(parseCloseAnswer(doc)).toEqual({ batchStatus: 'CLOSED', fileUrl: 'http:// www.concursolutions.com/api/expense/paymentbatch/v1.1/batch/n$s4MtBKgvoJxAYcbggR7eD2jRU$sxYjePU/file', status: 'SUCCESS', jobQueueKey: 'd$wIUEkl72LW299WTjTlskdy' });
  });

  it('takes <Error><Message> (escaped XML inside included), or the start of a non-XML body', () => {
    expect(errorMessageOf('<Error><Message>Bad &lt;id&gt;</Message><Server-Time>t</Server-Time><Id>9</Id></Error>')).toBe('Bad <id>');
    expect(errorMessageOf('<html><body>Request blocked by firewall')).toBe('<html><body>Request blocked by firewall');
    expect(parseXml('<a><b></a>')).toBeNull();
  });
});

describe('contentTypeDisagrees', () => {
  it('flags a Content-Type that contradicts the bytes', () => {
    expect(contentTypeDisagrees('csv', 'application/zip')).toBe(true);
    expect(contentTypeDisagrees('zip', 'application/zip')).toBe(false);
    expect(contentTypeDisagrees('sae', 'text/plain')).toBe(false);
  });
});
