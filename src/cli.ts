// The erp-sync command line. Exit codes: 0 ok, 1 work failed, 2 usage or configuration error.
import { Command, CommanderError } from 'commander';
import { ConfigError } from './config/errors.js';
import { commandContext } from './commands/context.js';
import { runMigrate } from './commands/migrate.js';
import { runStart } from './commands/start.js';
import { log } from './log.js';

type Action = (opts: { config?: string }) => Promise<number>;

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('erp-sync')
    .description('Moves SAP Concur payment batches into PostgreSQL and an SFTP drop, exactly once.')
    .option('-c, --config <file>', 'configuration file (YAML); default $ERP_SYNC_CONFIG, else the environment alone')
    .exitOverride()
    .showHelpAfterError();

  const run = (action: Action) => async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    setExit(await action(cmd.optsWithGlobals()));
  };

  program
    .command('start')
    .description('run the daemon: scheduled cycles, HTTP health and metrics, until SIGTERM/SIGINT')
    .action(run((o) => runStart(commandContext(o))));

  program
    .command('migrate')
    .description('apply pending database migrations (under an advisory lock) and exit')
    .action(run((o) => runMigrate(commandContext(o))));

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
      process.stderr.write(`erp-sync: ${e.message}\n`);
      return 2;
    }
    log.error('command failed', { error: e });
    return 1;
  }
}

// Run only when executed directly (tests import main()).
const invokedAs = process.argv[1] ?? '';
if (/(^|[\\/])(cli\.(ts|js)|erp-sync(\.js)?)$/.test(invokedAs)) {
  process.exitCode = await main(process.argv.slice(2));
}
