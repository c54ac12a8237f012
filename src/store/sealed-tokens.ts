// Start-up check of the tokens at rest: every stored token must open under the configured keys (else the
// process stops with a clear error), and tokens in plain text or under a previous key are sealed under the
// current one at once, so after one start a rotated-out key is no longer needed.
import type { Queryable } from '../db/sql.js';
import { needsReseal, openToken, sealToken } from './token-cipher.js';

type Column = 'access_token' | 'refresh_token';

/** The encryption context of a token column: a sealed value only opens in its own row and column. */
export const oauthContext = (companyId: string, column: Column) => `oauth_tokens/${companyId}/${column}`;
export const xeroContext = (k: { companyId: string; sink: string }, column: Column) => `xero_tokens/${k.companyId}/${k.sink}/${column}`;

interface Table {
  name: string;
  /** The row's key columns, in the order the context builder takes them. */
  keys: string[];
  context(row: Record<string, string>, column: Column): string;
}

const TABLES: Table[] = [
  { name: 'oauth_tokens', keys: ['company_id'], context: (r, c) => oauthContext(r.company_id!, c) },
  { name: 'xero_tokens', keys: ['company_id', 'sink'], context: (r, c) => xeroContext({ companyId: r.company_id!, sink: r.sink! }, c) },
];

/** Opens every stored token (throws TokenKeyError on the first that does not open); returns how many were re-sealed. */
export async function checkAndResealTokens(q: Queryable, opts: { reseal?: boolean } = {}): Promise<number> {
  let resealed = 0;
  for (const t of TABLES) {
    const rows = (await q.query(`SELECT ${t.keys.join(', ')}, access_token, refresh_token FROM ${t.name}`)) as Array<Record<string, string>>;
    for (const row of rows) {
      for (const column of ['access_token', 'refresh_token'] as const) {
        const stored = row[column] ?? null;
        const plain = openToken(stored, t.context(row, column));
        // A read-only command only proves the key opens every token; it never writes.
        if (plain === null || !needsReseal(stored) || opts.reseal === false) continue;
        // Compare-and-set: a concurrent refresh by another process wins and is already sealed under the current key.
        const where = t.keys.map((k, i) => `${k} = $${i + 3}`).join(' AND ');
        await q.query(`UPDATE ${t.name} SET ${column} = $1 WHERE ${column} = $2 AND ${where}`, [sealToken(plain, t.context(row, column)), stored, ...t.keys.map((k) => row[k])]);
        resealed++;
      }
    }
  }
  return resealed;
}
