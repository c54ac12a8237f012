import { describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { newTokenState } from '../../src/concur/auth.js';
import { useMigratedDatabase } from '../support/db.js';
import { client, oauthConfig, useHarness } from './harness.js';

const db = useMigratedDatabase();
const h = useHarness(db, { companies: 2 });

/** A database nobody may touch: a client that reads or rotates tokens through it fails. */
const untouchable = new Proxy({} as DataSource, {
  get: (_t, name) => {
    throw new Error(`the database was used (${String(name)})`);
  },
});

describe('a token state shared by the clients of one company (a client built per use)', () => {
  it('the next client uses the token in hand without asking the database or Concur', async () => {
    const { id } = h.sandbox.companies[0]!;
    const state = newTokenState();
    await client(h, db.ds(), id, oauthConfig(h, 0), { tokenState: state }).listBatches();
    expect((await client(h, untouchable, id, oauthConfig(h, 0), { tokenState: state }).listBatches()).length).toBeGreaterThan(0);
    expect(h.sandbox.counters.tokenGrants(id)).toBe(1);
  });

  it('concurrent clients share one refresh; a client of its own state goes to the database', async () => {
    const { id } = h.sandbox.companies[1]!;
    const state = newTokenState();
    await Promise.all([0, 1, 2].map(() => client(h, db.ds(), id, oauthConfig(h, 1), { tokenState: state }).listBatches()));
    expect(h.sandbox.counters.tokenGrants(id)).toBe(1);
    await expect(client(h, untouchable, id, oauthConfig(h, 1)).listBatches()).rejects.toThrow(/database was used/);
  });
});
