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
});
