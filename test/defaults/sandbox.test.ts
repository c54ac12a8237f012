// The built-in sandbox behind `npm start`: a restarted demo must show new batches, not the ones already done.
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { startBuiltInSandbox } from '../../src/defaults/sandbox.js';
import { quietLogger } from '../support/db.js';

describe('the built-in Concur sandbox', () => {
  it('issues new batch ids at every start', async () => {
    const config = ConfigSchema.parse({ companies: [{ id: 'demo' }] });
    const rt = { config, ds: { query: async () => [] } } as unknown as Runtime;
    const ids = async () => {
      const s = await startBuiltInSandbox(rt, quietLogger, { demo: false });
      try {
        return s.sandbox.controls.batches('demo').map((b) => b.id);
      } finally {
        await s.close();
      }
    };
    const first = await ids();
    const second = await ids();
    expect(first).toHaveLength(5);
    expect(second).toHaveLength(5);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
  });

  it('in demo mode without alert targets, adds a batch that will not reconcile and a receiver for its alert', async () => {
    const demo = async (raw: object) => {
      const rt = { config: ConfigSchema.parse({ companies: [{ id: 'demo' }], ...raw }), ds: { query: async () => [] } } as unknown as Runtime;
      const s = await startBuiltInSandbox(rt, quietLogger, { demo: true });
      try {
        return { target: s.alertTarget, batches: s.sandbox.controls.batches('demo') };
      } finally {
        await s.close();
      }
    };
    const bare = await demo({});
    expect(bare.target).toMatchObject({ type: 'webhook', name: 'sandbox-receiver', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/alerts$/) });
    expect(bare.batches).toHaveLength(6);
    const off = bare.batches.find((b) => b.name.includes('list total off'))!;
    expect(off.total).not.toBe('0.00');
    const configured = await demo({ alerts: { targets: [{ type: 'slack', url: 'https://hooks.slack.com/services/T/B/x' }] } });
    expect(configured.target).toBeNull();
    expect(configured.batches).toHaveLength(5);
  });
});
