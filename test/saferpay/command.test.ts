import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { renderSaferpayStatus, runSaferpayClose } from '../../src/commands/saferpay.js';
import type { SaferpayConfig } from '../../src/saferpay/config.js';
import { runSaferpayDue } from '../../src/saferpay/job.js';
import { saferpayStatus } from '../../src/saferpay/store.js';
import { useMigratedDatabase } from '../support/db.js';
import { AFTER_CLOSE_TIME, capturedLogger, oneTerminal, useSaferpaySandbox } from './harness.js';

const db = useMigratedDatabase();
const sandbox = useSaferpaySandbox();

function cli(saferpay: SaferpayConfig, now = AFTER_CLOSE_TIME) {
  const out = new PassThrough();
  const err = new PassThrough();
  const text = (s: PassThrough) => (s.read() as Buffer | null)?.toString() ?? '';
  const log = capturedLogger();
  const run = async (terminal: string, force = false) =>
    runSaferpayClose({ ds: db.ds(), holder: await db.holder('cli'), saferpay, logger: log.logger, now: () => now, sleep: async () => undefined, actor: 'alice@ops', out, err }, terminal, { force });
  return { run, out: () => text(out), err: () => text(err), log };
}

describe('erp-sync saferpay close <terminal>', () => {
  it('closes by hand once a day; --force closes again and is audited with who forced it', async () => {
    const config = oneTerminal(sandbox(), { name: 'kiosk' });
    const id = config.terminals[0]!.terminalId;
    const c = cli(config, new Date('2025-06-10T13:00:00Z'));
    expect(await c.run('kiosk')).toBe(0);
    expect(c.out()).toMatch(/^kiosk 2025-06-10: closed \(RequestId [\w-]+, 1 attempt\)/);
    expect(await c.run(id)).toBe(0);
    expect(c.err()).toMatch(/already closed for 2025-06-10.*--force/);
    expect(sandbox().counters.closes(id)).toBe(1);

    expect(await c.run('kiosk', true)).toBe(0);
    expect(sandbox().counters.closes(id)).toBe(2);
    expect(c.log.text()).toMatch(/"forcedBy":"alice@ops".*"message":"saferpay close forced by hand"/);
    const [status] = (await saferpayStatus(db.ds())).filter((s) => s.terminalId === id);
    expect(status).toMatchObject({ seq: 1, forcedBy: 'alice@ops', outcome: 'closed' });
    expect(renderSaferpayStatus([status!])).toMatch(/kiosk \(\d{8}\)\s+2025-06-10 #1 forced by alice@ops\s+closed\s+1/);
  });

  it('counts as the day’s close: the scheduled run at 21:30 does not close again', async () => {
    const config = oneTerminal(sandbox());
    const id = config.terminals[0]!.terminalId;
    expect(await cli(config, new Date('2025-06-10T13:00:00Z')).run(id)).toBe(0);
    const log = capturedLogger();
    await runSaferpayDue({ ds: db.ds(), config, now: () => AFTER_CLOSE_TIME, logger: log.logger, holder: await db.holder('daemon'), sleep: async () => undefined });
    const days = await db.ds().query(`SELECT to_char(business_day, 'YYYY-MM-DD') AS d FROM saferpay_closes WHERE terminal_id = $1 ORDER BY 1`, [id]);
    expect(days.map((r: { d: string }) => r.d)).toEqual(['2025-06-10']);
    expect(sandbox().counters.closes(id)).toBe(1);
  });

  it('exit 2 for an unknown terminal or a configuration error, 1 for a failed close (and no retry without --force)', async () => {
    const config = oneTerminal(sandbox());
    const c = cli(config);
    expect(await c.run('nope')).toBe(2);
    expect(c.err()).toMatch(/no Saferpay terminal "nope"/);

    const bad = oneTerminal(sandbox(), { password: 'wrong-two-456' });
    const badCli = cli(bad);
    expect(await badCli.run(bad.terminals[0]!.terminalId)).toBe(2);
    expect(badCli.out()).toMatch(/config-error .*401/);
    const id = config.terminals[0]!.terminalId;
    sandbox().controls.failNext({ status: 402, errorName: 'TERMINAL_LOCKED', behavior: 'DO_NOT_RETRY' });
    expect(await c.run(id)).toBe(1);
    expect(await c.run(id)).toBe(1);
    expect(c.err()).toMatch(/ended failed.*--force/);
    expect(sandbox().counters.closes(id)).toBe(0);
  });
});
