// Builds a batch's normalized journal files from its stored transactions, and checks each file's totals against
// the stored totals before anything is uploaded. Deterministic: the same rows give the same bytes.
import { Money, moneyText, ZERO } from '../../src/money.js';
import { SinkError } from '../sink.js';
import { formatName, journalFileName, type FormatConfig, type JournalSettings } from './config.js';
import { renderCsv } from './csv.js';
import { renderDatev } from './datev.js';
import { journalLines, JOURNAL_FIELDS, type JournalLine, type Rendered, type StoredJournal } from './lines.js';

export interface JournalFile {
  format: string;
  name: string;
  bytes: Buffer;
}

function renderJsonLines(lines: readonly JournalLine[]): Rendered {
  const text = lines.map((l) => `${JSON.stringify(Object.fromEntries(JOURNAL_FIELDS.map((k) => [k, l[k]])))}\n`).join('');
  return { bytes: Buffer.from(text, 'utf8'), written: lines.map((l) => ({ currency: l.currency ?? '', amount: l.amount, lineType: l.lineType })) };
}

const sums = (items: Rendered['written']): Map<string, Money> => {
  const out = new Map<string, Money>();
  for (const w of items) out.set(w.currency, (out.get(w.currency) ?? ZERO).plus(w.amount));
  return out;
};

const describe = (m: Map<string, Money>) => [...m].map(([c, v]) => `${c || '(none)'} ${moneyText(v)}`).join(', ') || 'nothing';

/** The file's expense totals must be the stored totals, and a balanced file must sum to zero per currency. */
function checkTotals(j: StoredJournal, file: string, r: Rendered, balanced: boolean): void {
  const expense = sums(r.written.filter((w) => w.lineType === 'expense'));
  const stored = new Map(Object.entries(j.totals).map(([c, v]) => [c, new Money(v)]));
  const same = expense.size === stored.size && [...stored].every(([c, v]) => expense.get(c)?.equals(v));
  if (!same) throw new SinkError('config', `${file}: the file's totals (${describe(expense)}) differ from the stored totals (${describe(stored)}); not delivered`);
  if (balanced) {
    const open = [...sums(r.written)].filter(([, v]) => !v.isZero());
    if (open.length) throw new SinkError('config', `${file}: the balanced journal does not sum to zero (${describe(new Map(open))}); not delivered`);
  }
}

/** One format's file for a batch. */
export function renderFormat(j: StoredJournal, f: FormatConfig, s: Pick<JournalSettings, 'balanced' | 'payable'>): JournalFile {
  const name = journalFileName(f, j.concurBatchId);
  // DATEV states both sides on each booking; CSV and JSON Lines get payable lines when balanced.
  const balanced = s.balanced && f.type !== 'datev';
  const lines = journalLines(j, balanced ? (s.payable ?? null) : null);
  const rendered = f.type === 'csv' ? renderCsv(lines, f) : f.type === 'jsonl' ? renderJsonLines(lines) : renderDatev(j, lines, f, s.payable!);
  checkTotals(j, name, rendered, balanced);
  return { format: formatName(f), name, bytes: rendered.bytes };
}

export function renderJournal(j: StoredJournal, s: JournalSettings): JournalFile[] {
  return s.formats.map((f) => renderFormat(j, f, s));
}
