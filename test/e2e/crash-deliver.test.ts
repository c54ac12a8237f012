// Crash safety, part 3: killed around the delivery; killed, then restarted as a daemon.
import { expect, it } from 'vitest';
import { runCli, until } from './world.js';
import { expectSettled } from './settled.js';
import { describeCrashes } from './crash.js';

describeCrashes(['sftp:mid-upload', 'step:deliver:before-commit', 'step:deliver:after-commit'], (ctx) => {
  it('killed, then restarted as a daemon (start): every batch done once at once, not after the dead lease', async () => {
    const world = await ctx.world();
    const crashed = await runCli(world.configPath, ['run-once'], { ERP_SYNC_FAULT: 'load:mid-copy' }).done;
    expect(crashed.signal, crashed.output.slice(-3000)).toBe('SIGKILL');
    const daemon = runCli(world.configPath, ['start']);
    try {
      // Well under the 120 s lease: the dead process's claims ended with its connection.
      const open = `SELECT count(*)::int AS n FROM batches WHERE payment_demands > 0 AND state <> 'done'`;
      await until(async () => ((await world.query<{ n: number }>(open))[0]!.n === 0 ? true : undefined), 'every batch done', 45_000);
    } finally {
      daemon.kill('SIGTERM');
      await daemon.done;
    }
    const rows = await expectSettled(world);
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(ctx.reference()));
  });
});
