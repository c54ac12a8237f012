// What "the run ended well" means, checked against the database, the drop and the sandbox's own counters.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { dropContents, type World } from './world.js';

interface DeliveredFile {
  kind: string;
  remotePath: string;
  sha256: string;
  outcome: string;
}

/** Asserts the end state; returns rows per batch name, to compare runs with each other. */
export async function expectSettled(world: World): Promise<Map<string, number>> {
  const batches = await world.query<{ id: string; company_id: string; concur_batch_id: string; name: string; state: string; payment_demands: number; file_url: string | null }>(
    `SELECT id::text, company_id, concur_batch_id, name, state, payment_demands, file_url FROM batches ORDER BY company_id, name`,
  );
  expect(batches.length).toBeGreaterThan(0);
  const rows = new Map<string, number>();
  const expectedFinal = new Map<string, string>();
  for (const b of batches) {
    const label = `${b.company_id}/${b.name}`;
    const closes = world.sandbox.counters.closeV12(b.concur_batch_id);
    if (b.payment_demands === 0) {
      expect(b.state, label).toBe('discovered');
      expect(closes, `${label}: v1.2 closes`).toBe(0);
      continue;
    }
    expect(b.state, label).toBe('done');
    expect(closes, `${label}: v1.2 closes`).toBe(1);
    const [{ n } = { n: 0 }] = await world.query<{ n: number }>(`SELECT count(*)::int AS n FROM transactions WHERE batch_row_id = $1`, [b.id]);
    rows.set(label, n);
    expect(n, `${label}: rows`).toBeGreaterThan(0);
    // The file kept is the file the sandbox served at the URL the batch was fetched from.
    const [original] = await world.query<{ sha256: string }>(`SELECT sha256 FROM files WHERE batch_row_id = $1 AND parent_file_id IS NULL ORDER BY id DESC LIMIT 1`, [b.id]);
    expect(original?.sha256, `${label}: stored file`).toBe(world.sandbox.served(b.file_url!)?.sha256);
    const [delivery] = await world.query<{ state: string; result: DeliveredFile[] }>(`SELECT state, result FROM deliveries WHERE batch_row_id = $1`, [b.id]);
    expect(delivery?.state, `${label}: delivery`).toBe('delivered');
    for (const f of delivery!.result) expectedFinal.set(f.remotePath.replace(/^\/+/, ''), f.sha256);
  }
  // Each delivered file once, with the right bytes; nothing else, and no temporary file left behind.
  expect(Object.fromEntries(dropContents(world.dropRoot))).toEqual(Object.fromEntries(expectedFinal));
  // Every manifest describes its batch as loaded: its rows and a reconciled total.
  for (const path of expectedFinal.keys()) {
    if (!path.endsWith('manifest.json')) continue;
    const manifest = JSON.parse(readFileSync(join(world.dropRoot, path), 'utf8')) as { company: string; batchName: string; rows: number; reconciliation: { status: string } };
    expect(manifest.reconciliation.status, path).toBe('reconciled');
    expect(manifest.rows, path).toBe(rows.get(`${manifest.company}/${manifest.batchName}`));
  }
  return rows;
}
