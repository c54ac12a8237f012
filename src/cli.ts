// The erp-sync command line. Exit codes: 0 ok, 1 work failed, 2 usage or configuration error.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from './config-error.js';
import { commandContext, loadFromOptions, type GlobalOptions } from './commands/context.js';
import { importOptional } from './optional.js';
import { SANDBOX_CSV_PROFILE, SANDBOX_PROFILE_NAME } from './config/sandbox-profile.js';
import { log } from './log.js';
import { tuneHeap } from './heap.js';
import { printableLines } from './printable.js';

// Each command's modules are imported when it runs: `parse` does not carry the daemon, console and sinks (its memory
// is bounded by the hostile-file tests), and every CLI start is cheaper.

type Opts = GlobalOptions & Record<string, unknown>;

/** The version in package.json, found from this file in a checkout (src/) and in a build (dist/src/). */
function packageVersion(): string {
  for (const up of ['..', '../..']) {
    try {
      const pkg = JSON.parse(readFileSync(fileURLToPath(new URL(`${up}/package.json`, import.meta.url)), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'erp-sync' && pkg.version) return pkg.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('erp-sync')
    .description('Moves SAP Concur payment batches into PostgreSQL and an SFTP drop, exactly once.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('-c, --config <file>', 'configuration file (YAML); default $ERP_SYNC_CONFIG, else the environment alone')
    .option('--http-port <n>', 'http.port, over HTTP_PORT and the file')
    .option('--log-level <level>', 'log.level (error, warn, info, debug), over LOG_LEVEL and the file')
    .exitOverride()
    .showHelpAfterError();

  /** Wraps an action: the last argument commander passes is the command, whose options include the globals. */
  const run =
    (action: (args: string[], opts: Opts) => Promise<number>) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      setExit(await action(cmd.args, cmd.optsWithGlobals()));
    };

  program
    .command('start')
    .description('run the daemon: scheduled cycles, HTTP health and metrics, until SIGTERM/SIGINT')
    .action(run(async (_a, flags) => (await import('./commands/start.js')).runStart(commandContext(flags, 'stdout'))));

  program
    .command('run-once')
    .description('one full cycle for all companies; waits until each batch is done, quarantined or waiting (exit 1 if anything failed)')
    .action(run(async (_a, flags) => (await import('./commands/run-once.js')).runRunOnce(commandContext(flags, 'stdout'))));

  program
    .command('status')
    .description('where every batch stands: state, attempts, rows, totals, reconciliation, deliveries, last error')
    .option('--json', 'a JSON array (fields documented in the README)')
    .action(run(async (_a, flags) => (await import('./commands/status.js')).runStatus(commandContext(flags), { json: Boolean(flags.json) })));

  program
    .command('parse <file>')
    .description('parse a batch file (CSV, QuickBooks ZIP, IIF, SAE) and print a summary or its transactions')
    .option('--profile <name>', 'CSV profile to read a CSV file (and a ZIP\'s CSV entries) with')
    .option('--company <id>', 'with --config: whose csvProfileRules choose the profiles (default: the first company)')
    .option('--json', 'one JSON object per transaction per line')
    .action(
      run(async ([file], flags) => {
        const explicit = flags.config ?? process.env.ERP_SYNC_CONFIG;
        const config = explicit ? loadFromOptions(flags).config : null;
        const companies = config?.companies ?? [];
        const profiles = Object.assign({ [SANDBOX_PROFILE_NAME]: SANDBOX_CSV_PROFILE }, ...companies.map((c) => c.csvProfiles));
        const settings = flags.company ? companies.find((c) => c.id === flags.company) : companies[0];
        if (flags.company && !settings) throw new Error(`no company ${String(flags.company)} in the configuration`);
        const { runParse } = await import('./commands/parse.js');
        return runParse({ file: file!, profile: flags.profile as string | undefined, profiles, settings, ...(config ? { zipLimits: config.zipLimits, parseLimits: config.parseLimits } : {}), json: Boolean(flags.json), out: process.stdout, err: process.stderr });
      }),
    );

  program
    .command('report [name]')
    .description('print a reporting view (batch summary, spend, exceptions); without a name, list them')
    .addOption(new Option('--json', 'JSON').conflicts('csv'))
    .addOption(new Option('--csv', 'CSV').conflicts('json'))
    .action(
      run(async ([name], flags) => {
        const ctx = commandContext(flags);
        const [{ openRuntime }, { runReport }] = await Promise.all([import('./runtime.js'), import('./commands/report.js')]);
        const rt = await openRuntime(ctx.config, ctx.logger, { readOnly: true });
        try {
          return await runReport(rt.ds, { name, format: flags.json ? 'json' : flags.csv ? 'csv' : 'table', out: process.stdout });
        } finally {
          await rt.close();
        }
      }),
    );

  program
    .command('replay <batch>')
    .description('deliver a batch again (all sinks, or one); <batch> is company/batchId or an unambiguous batch id')
    .option('--sink <name>', 'only this sink')
    .action(run(async ([ref], flags) => (await import('./commands/batch-actions.js')).runReplay(commandContext(flags), ref!, (flags.sink as string | undefined) ?? null)));

  program
    .command('retry <batch>')
    .description('take a quarantined batch up again (after the cause was fixed) from the step it failed at')
    .action(run(async ([ref], flags) => (await import('./commands/batch-actions.js')).runRetry(commandContext(flags), ref!)));

  program
    .command('export <batch>')
    .description("write a loaded batch's normalized journal file (as an SFTP sink delivers it) to a file or standard output")
    .option('--format <name>', 'a format of the company\'s SFTP sinks, or generic / jsonl (default: the first configured)')
    .option('--out <file>', 'write here (default: standard output)')
    .action(run(async ([ref], flags) => (await import('./commands/export.js')).runExport(commandContext(flags), ref!, { format: flags.format as string | undefined, out: flags.out as string | undefined })));

  program
    .command('reauth <company>')
    .description("store a company's new Concur refresh token after a person re-authorised it (clears needs_reauth)")
    .option('--refresh-token-file <file>', 'read the token from this file (default: standard input)')
    .action(run(async ([company], flags) => (await import('./commands/reauth.js')).runReauth(commandContext(flags), company!, { tokenFile: flags.refreshTokenFile as string | undefined })));

  program
    .command('reverse <batch>')
    .description('undo a posting in a payment system when an accountant asks (Xero: delete the batch payment), audited')
    .requiredOption('--sink <name>', 'the sink whose posting to reverse (a xero sink)')
    .action(run(async ([ref], flags) => (await import('./commands/reverse.js')).runXeroReverse(commandContext(flags), ref!, flags.sink as string)));

  const saferpay = program.command('saferpay').description('Saferpay terminal batch closes');
  saferpay
    .command('close <terminal>')
    .description("close a terminal's batch now: once per business day unless --force")
    .option('--force', 'close again today (audited with user@host)')
    .action(
      run(async ([terminal], flags) => {
        const ctx = commandContext(flags);
        const [{ openRuntime }, { openHolder }, { runSaferpayClose }] = await Promise.all([import('./runtime.js'), import('./store/claims.js'), import('./commands/saferpay.js')]);
        const rt = await openRuntime(ctx.config, ctx.logger);
        const holder = await openHolder(rt.databaseUrl, `${hostname()}:${process.pid}:cli:${randomBytes(3).toString('hex')}`, ctx.logger).catch(async (e: unknown) => {
          await rt.close();
          throw e;
        });
        try {
          return await runSaferpayClose({ ds: rt.ds, holder, saferpay: ctx.config.saferpay, logger: ctx.logger }, terminal!, { force: Boolean(flags.force) });
        } finally {
          await holder.close();
          await rt.close();
        }
      }),
    );

  program
    .command('config')
    .description('work with the configuration')
    .command('check')
    .description('validate the configuration (schema, ${…} references, cron, time zones, key and known_hosts files) without the database or network; print it with secrets masked')
    .action(run(async (_a, flags) => (await import('./commands/config-check.js')).runConfigCheck(loadFromOptions(flags), process.stdout, process.stderr)));

  program
    .command('migrate')
    .description('apply pending database migrations (under an advisory lock) and exit')
    .action(run(async (_a, flags) => (await import('./commands/migrate.js')).runMigrate(commandContext(flags))));

  program
    .command('healthcheck')
    .description("ask the running daemon's /healthz on the configured port (exit 0 healthy, 1 not); the image's HEALTHCHECK")
    .action(run(async (_a, flags) => (await import('./commands/healthcheck.js')).runHealthcheck(commandContext(flags).config, process.stdout)));

  program
    .command('sandbox')
    .description('run the Concur sandbox on its own (prints the credentials of its companies)')
    .option('--port <n>', 'port to listen on', '8099')
    .option('--companies <n>', 'number of companies', '1')
    .option('--latency-ms <n>', 'added to every answer', '0')
    .option('--fault-rate <r>', 'share of requests answered with an injected fault (0..1)', '0')
    .action(
      run(async (_a, flags) => {
        const { runSandbox } = await importOptional(() => import('./commands/sandbox.js'), 'the Concur sandbox', 'run it from a checkout of erp-sync');
        return runSandbox({ port: Number(flags.port), companies: Number(flags.companies), latencyMs: Number(flags.latencyMs), faultRate: Number(flags.faultRate) });
      }),
    );

  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof ConfigError) {
      process.stderr.write(printableLines(`erp-sync: ${e.message}\n`));
      return 2;
    }
    log.error('command failed', { error: e });
    return 1;
  }
}

// Run only when executed directly (tests import main()).
const invokedAs = process.argv[1] ?? '';
if (/(^|[\\/])(cli\.(ts|js)|erp-sync(\.js)?)$/.test(invokedAs)) {
  tuneHeap();
  // A reader that stopped reading (`erp-sync parse --json F | head -1`) ends the command quietly, not with EPIPE.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? 0);
  });
  process.exitCode = await main(process.argv.slice(2));
}
