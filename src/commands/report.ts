// `erp-sync report [NAME] [--json | --csv]`: prints one of the reporting views, or the list of them.
import { stringify } from 'csv-stringify/sync';
import type { DataSource } from 'typeorm';
import { neutraliseCell } from '../csv-injection.js';
import { printable, printableLines } from '../printable.js';
import { findReport, readReport, REPORTS, type ReportResult, type ReportValue } from '../store/reports.js';

export type ReportFormat = 'table' | 'json' | 'csv';

export interface ReportOptions {
  name?: string;
  format: ReportFormat;
  out: NodeJS.WritableStream;
}

function cell(v: ReportValue): string {
  if (v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** A table cell: one line, control characters escaped (names come from batch files). */
const tableCell = (v: ReportValue) => printable(cell(v));

/** Aligned columns under a header; numbers to the right. */
export function renderTable(r: ReportResult): string {
  const grid = [r.columns.map((c) => c.name), ...r.rows.map((row) => r.columns.map((c) => tableCell(row[c.name] ?? null)))];
  const widths = r.columns.map((_, i) => Math.max(...grid.map((line) => line[i]!.length)));
  const line = (cells: string[], header: boolean) =>
    cells
      .map((text, i) => (r.columns[i]!.numeric && !header ? text.padStart(widths[i]!) : text.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const [head, ...body] = grid;
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(head!, true), rule, ...body.map((cells) => line(cells, false)), `(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})`].join('\n') + '\n';
}

export function renderCsv(r: ReportResult): string {
  return stringify(
    r.rows.map((row) => r.columns.map((c) => neutraliseCell(cell(row[c.name] ?? null)))),
    { header: true, columns: r.columns.map((c) => c.name) },
  );
}

function renderList(format: ReportFormat): string {
  const list = REPORTS.map(({ name, view, description }) => ({ name, view, description }));
  if (format === 'json') return JSON.stringify(list, null, 2) + '\n';
  if (format === 'csv') return stringify(list, { header: true, columns: ['name', 'view', 'description'] });
  const width = Math.max(...list.map((r) => r.name.length));
  return list.map((r) => `${r.name.padEnd(width)}  ${r.description}`).join('\n') + '\n';
}

/** Prints a report; no name lists them. Returns the exit code (2: unknown report). */
export async function runReport(ds: DataSource, opts: ReportOptions): Promise<number> {
  if (opts.name === undefined) {
    opts.out.write(renderList(opts.format));
    return 0;
  }
  const report = findReport(opts.name);
  if (!report) {
    opts.out.write(`unknown report ${JSON.stringify(opts.name)}; the reports are:\n${renderList('table')}`);
    return 2;
  }
  const result = await readReport(ds, report);
  const render = { table: renderTable, csv: renderCsv, json: (r: ReportResult) => printableLines(JSON.stringify(r.rows, null, 2) + '\n') }[opts.format];
  opts.out.write(render(result));
  return 0;
}
