// Reads Concur's XML answers: local names (namespaces dropped), case-sensitive, every value kept as text.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { moneyText, parseMoney } from '../money.js';

export interface BatchSummary {
  /** The unencrypted id: an identity, never part of a URL. */
  concurBatchId: string;
  batchName: string;
  /** Canonical decimal text. */
  batchTotal: string;
  currency: string;
  /** Payment demands in the batch. */
  count: number;
  type: string;
  paymentMethod: string;
  /** The URL every action on the batch starts from, exactly as given (trimmed). */
  batchUrl: string;
}

export interface ListProblem {
  /** 0-based position of the BatchSummary in the answer. */
  index: number;
  concurBatchId: string | null;
  field: string;
  message: string;
}

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => name === 'BatchSummary',
});

type Node = Record<string, unknown>;

/** Parses well-formed XML; null for anything else (firewall HTML pages, truncated bodies). */
export function parseXml(text: string): Node | null {
  if (XMLValidator.validate(text) !== true) return null;
  const doc: unknown = parser.parse(text);
  return doc !== null && typeof doc === 'object' ? (doc as Node) : null;
}

function child(node: unknown, name: string): unknown {
  return node !== null && typeof node === 'object' ? (node as Node)[name] : undefined;
}

/** The element's text, trimmed; null when absent or not a leaf. */
export function textOf(node: unknown, name: string): string | null {
  const v = child(node, name);
  return typeof v === 'string' ? v.trim() : null;
}

/** The `<Error><Message>` of a v1 error body; for non-XML bodies, their first 200 characters. */
export function errorMessageOf(body: string): string {
  const doc = parseXml(body);
  const message = doc ? textOf(child(doc, 'Error'), 'Message') : null;
  return message ?? body.replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** The batches of a `BatchList` answer; entries missing a usable field are reported, not guessed. */
export function parseBatchList(doc: Node): { batches: BatchSummary[]; problems: ListProblem[] } | null {
  if (!('BatchList' in doc)) return null;
  const summaries = child(doc.BatchList, 'BatchSummary');
  const items: unknown[] = Array.isArray(summaries) ? summaries : [];
  const batches: BatchSummary[] = [];
  const problems: ListProblem[] = [];
  items.forEach((item, index) => {
    const concurBatchId = textOf(item, 'BatchID');
    const problem = (field: string, message: string) => problems.push({ index, concurBatchId, field, message });
    const batchUrl = textOf(item, 'Batch-URL');
    const total = parseMoney(textOf(item, 'BatchTotal') ?? '');
    const countText = textOf(item, 'Count') ?? '';
    if (!concurBatchId) return problem('BatchID', 'missing');
    if (!batchUrl) return problem('Batch-URL', 'missing');
    if (!total) return problem('BatchTotal', `not a decimal: ${JSON.stringify(textOf(item, 'BatchTotal'))}`);
    if (!/^\d+$/.test(countText)) return problem('Count', `not a whole number: ${JSON.stringify(countText)}`);
    batches.push({
      concurBatchId,
      batchName: textOf(item, 'BatchName') ?? '',
      batchTotal: moneyText(total),
      currency: textOf(item, 'Currency') ?? '',
      count: Number(countText),
      type: textOf(item, 'Type') ?? '',
      paymentMethod: textOf(item, 'PaymentMethod') ?? '',
      batchUrl,
    });
  });
  return { batches, problems };
}

/** The fields of a `BatchStatus` close answer (v1.2 has Status and JobQueueKey; v1.1 adds BatchStatus and File-Url). */
export function parseCloseAnswer(doc: Node): { batchStatus: string | null; fileUrl: string | null; status: string | null; jobQueueKey: string | null } | null {
  if (!('BatchStatus' in doc)) return null;
  const root = doc.BatchStatus;
  return {
    batchStatus: textOf(root, 'BatchStatus'),
    fileUrl: textOf(root, 'File-Url'),
    status: textOf(root, 'Status'),
    jobQueueKey: textOf(root, 'JobQueueKey'),
  };
}
