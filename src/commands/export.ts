// `erp-sync export <batch> [--format F] [--out FILE]`: the normalized journal file a sink would deliver, written
// locally so a person can check the mapping. Same settings, same bytes as the SFTP delivery.
import { writeFileSync } from 'node:fs';
import { deliverSet } from '../../sinks/sftp/plan.js';
import { BUILT_IN_JOURNAL, formatName, type FormatConfig, type JournalSettings } from '../../sinks/journal/config.js';
import { renderFormat } from '../../sinks/journal/render.js';
import { SinkError } from '../../sinks/sink.js';
import type { CompanyConfig } from '../config/schema.js';
import { openRuntime } from '../runtime.js';
import { loadJournal } from '../store/journal.js';
import { resolveOne } from './batch-actions.js';
import type { CommandContext } from './context.js';

interface Choice {
  format: FormatConfig;
  settings: JournalSettings;
}

/** The formats a company's SFTP sinks deliver (the local drop's defaults when it has no sinks), then the built-ins. */
function choices(company: CompanyConfig | undefined): Choice[] {
  const sinks = company?.sinks.length ? company.sinks.flatMap((s) => (s.type === 'sftp' ? [s] : [])) : [];
  const configured = sinks.filter((s) => deliverSet(s.deliver).has('normalized')).flatMap((s) => s.formats.map((format) => ({ format, settings: s })));
  return [...configured, ...BUILT_IN_JOURNAL.formats.map((format) => ({ format, settings: BUILT_IN_JOURNAL }))];
}

export interface ExportOptions {
  format?: string;
  out?: string;
}

/** Exit codes: 0 written, 1 the batch cannot be exported, 2 unknown batch or format. */
export async function runExport(ctx: CommandContext, ref: string, opts: ExportOptions): Promise<number> {
  const rt = await openRuntime(ctx.config, ctx.logger);
  try {
    const batch = await resolveOne(rt.ds, ref, process.stderr);
    if (!batch) return 2;
    const available = choices(ctx.config.companies.find((c) => c.id === batch.companyId));
    const wanted = opts.format ?? formatName(available[0]!.format);
    const choice = available.find((c) => formatName(c.format) === wanted);
    if (!choice) {
      const names = [...new Set(available.map((c) => formatName(c.format)))].join(', ');
      process.stderr.write(`erp-sync: no format "${wanted}" for company ${batch.companyId} (available: ${names}; datev needs its settings in an sftp sink's formats)\n`);
      return 2;
    }
    if (!['loaded', 'done'].includes(batch.state)) {
      process.stderr.write(`erp-sync: batch ${ref} is ${batch.state}; only a loaded or done batch has its transactions stored\n`);
      return 1;
    }
    const file = renderFormat(await loadJournal(rt.ds, batch.id), choice.format, choice.settings);
    if (opts.out) {
      writeFileSync(opts.out, file.bytes);
      process.stderr.write(`erp-sync: ${file.format} journal of ${batch.companyId}/${batch.concurBatchId} written to ${opts.out} (${file.bytes.length} bytes; delivered as ${file.name})\n`);
    } else process.stdout.write(file.bytes);
    return 0;
  } catch (e) {
    if (!(e instanceof SinkError)) throw e;
    process.stderr.write(`erp-sync: ${e.message}\n`);
    return 1;
  } finally {
    await rt.close();
  }
}
