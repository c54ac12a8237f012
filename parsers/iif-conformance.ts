// Checks the IIF reader against real-world fixtures and their expectations.json (see scripts/conformance.ts).
// The checks run on the structural reader (readIif), which reports unbalanced blocks instead of
// rejecting them: some real fixtures do not balance, and the strict stream (parseIif) would refuse them.
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Money } from '../src/money.js';
import { parseIifAmount } from './amount.js';
import { ParseError } from './errors.js';
import { readIif, type IifBlock } from './iif.js';

type Check = Record<string, unknown>;
interface FileExpectation {
  transactions?: number;
  parses?: boolean;
  checks?: Check[];
  transactionsHavingAmount?: Record<string, number>;
}
interface Expectations {
  files: Record<string, FileExpectation>;
  amounts?: Record<string, string>;
}

async function readBlocks(path: string, name: string): Promise<IifBlock[]> {
  const blocks: IifBlock[] = [];
  for await (const item of readIif(createReadStream(path), name)) if (item.type === 'transaction') blocks.push(item.block);
  return blocks;
}

function sameAmount(actual: Money | null, expected: unknown): boolean {
  if (expected === null) return actual === null;
  return actual !== null && actual.eq(new Money(String(expected)));
}

/** Unmet expectations of one check, as messages. */
function runCheck(blocks: IifBlock[], check: Check): string[] {
  const tx = blocks[Number(check.tx)];
  if (!tx) return [`tx ${String(check.tx)}: no such transaction (file has ${blocks.length})`];
  const where = `tx ${String(check.tx)}`;
  if ('entries' in check && tx.rows.length !== check.entries) return [`${where}: ${tx.rows.length} entries, expected ${String(check.entries)}`];
  if (!('entry' in check)) return [];
  const row = check.entry === 'last' ? tx.rows[tx.rows.length - 1] : tx.rows[Number(check.entry)];
  const at = `${where} entry ${String(check.entry)}`;
  if (!row) return [`${at}: no such entry (transaction has ${tx.rows.length})`];
  const f = row.fields;
  const memo = f.MEMO ?? '';
  const problems: string[] = [];
  const expectEq = (what: string, actual: unknown, expected: unknown): void => {
    if (actual !== expected) problems.push(`${at} (line ${row.line}): ${what} ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  };
  for (const [key, want] of Object.entries(check)) {
    if (key === 'tx' || key === 'entry' || key === 'entries') continue;
    if (key === 'accnt') expectEq('ACCNT', f.ACCNT, want);
    else if (key === 'name') expectEq('NAME', f.NAME, want);
    else if (key === 'class') expectEq('CLASS', f.CLASS, want);
    else if (key === 'memo') expectEq('MEMO', memo, want);
    else if (key === 'date') expectEq('DATE', row.date, want);
    else if (key === 'dateIsNull') expectEq('date is null', row.date === null, want);
    else if (key === 'memoContains') expectEq(`MEMO contains ${JSON.stringify(want)}`, memo.includes(String(want)), true);
    else if (key === 'memoStartsWith') expectEq(`MEMO starts with ${JSON.stringify(want)}`, memo.startsWith(String(want)), true);
    else if (key === 'amount') {
      if (!sameAmount(row.amount, want)) problems.push(`${at} (line ${row.line}): AMOUNT ${row.amount?.toFixed() ?? 'null'}, expected ${String(want)}`);
    } else problems.push(`${at}: unknown check ${key}`);
  }
  return problems;
}

function checkFile(blocks: IifBlock[], exp: FileExpectation): string[] {
  const problems: string[] = [];
  if (exp.transactions !== undefined && blocks.length !== exp.transactions) {
    problems.push(`${blocks.length} transactions, expected ${exp.transactions}`);
  }
  for (const check of exp.checks ?? []) problems.push(...runCheck(blocks, check));
  for (const [amount, count] of Object.entries(exp.transactionsHavingAmount ?? {})) {
    const want = new Money(amount);
    const n = blocks.filter((b) => b.rows.some((r) => r.amount?.eq(want))).length;
    if (n !== count) problems.push(`${n} transactions have amount ${amount}, expected ${count}`);
  }
  return problems;
}

function checkAmounts(amounts: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [text, want] of Object.entries(amounts)) {
    let got: string;
    try {
      got = parseIifAmount(text)?.toFixed() ?? 'null';
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      got = 'error';
    }
    const ok = want === 'error' ? got === 'error' : got !== 'error' && got !== 'null' && new Money(got).eq(new Money(want));
    if (!ok) problems.push(`amount ${JSON.stringify(text)}: got ${got}, expected ${want}`);
  }
  return problems;
}

/** Writes one line per file and a summary line; returns the exit code (1 on any unmet expectation). */
export async function conformance(dir: string, out: NodeJS.WritableStream): Promise<number> {
  const expectations = JSON.parse(await readFile(join(dir, 'expectations.json'), 'utf8')) as Expectations;
  const names = (await readdir(dir)).filter((n) => n.toLowerCase().endsWith('.iif')).sort();
  let failed = 0;
  let checked = 0;
  const report = (name: string, problems: string[], note = ''): void => {
    checked++;
    if (problems.length) failed++;
    out.write(`${problems.length ? 'FAIL' : 'ok  '} ${name}${note}\n`);
    for (const p of problems) out.write(`     ${p}\n`);
  };
  for (const name of Object.keys(expectations.files)) {
    if (!names.includes(name)) report(name, ['listed in expectations.json but missing from the directory']);
  }
  for (const name of names) {
    const exp = expectations.files[name] ?? { parses: true };
    let blocks: IifBlock[];
    try {
      blocks = await readBlocks(join(dir, name), name);
    } catch (err) {
      report(name, [`does not parse: ${err instanceof Error ? err.message : String(err)}`]);
      continue;
    }
    const unbalanced = blocks.filter((b) => b.imbalance !== null).length;
    report(name, checkFile(blocks, exp), `  (${blocks.length} transactions${unbalanced ? `, ${unbalanced} unbalanced: strict parsing rejects this file` : ''})`);
  }
  if (expectations.amounts) report('amounts table', checkAmounts(expectations.amounts));
  out.write(`conformance: ${checked - failed}/${checked} passed${failed ? `, ${failed} failed` : ''}\n`);
  return failed ? 1 : 0;
}
