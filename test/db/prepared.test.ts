import { describe, expect, it } from 'vitest';
import { prepared } from '../../src/db/prepared.js';
import { openDatabase } from '../../src/db/database.js';
import { useMigratedDatabase } from '../support/db.js';

const db = useMigratedDatabase();

/** The named statements the transaction's own connection holds, and what `sql` answered on it, run twice. */
async function twiceOnOneConnection(sql: string) {
  return db.ds().transaction(async (m) => {
    const answers = [await m.query(sql, [41]), await m.query(sql, [42])];
    const held: Array<{ statement: string }> = await m.query(`SELECT statement FROM pg_prepared_statements`);
    return { answers, held: held.map((h) => h.statement) };
  });
}

describe('prepared statements', () => {
  it('runs a marked text as a named statement on each connection, with the answers of a plain one', async () => {
    const sql = prepared(`SELECT $1::int + 1 AS n /* marked */`);
    const { answers, held } = await twiceOnOneConnection(sql);
    expect(answers).toEqual([[{ n: 42 }], [{ n: 43 }]]);
    expect(held).toContain(sql);
  });

  it('leaves an unmarked text unnamed', async () => {
    const { answers, held } = await twiceOnOneConnection(`SELECT $1::int + 1 AS n /* not marked */`);
    expect(answers).toEqual([[{ n: 42 }], [{ n: 43 }]]);
    expect(held.some((s) => s.includes('not marked'))).toBe(false);
  });

  it('names nothing with database.preparedStatements false (a pooler that cannot keep named statements)', async () => {
    const sql = prepared(`SELECT $1::int + 1 AS n /* marked, pooler */`);
    const plain = await openDatabase({ url: db.url(), poolSize: 1, preparedStatements: false });
    try {
      const held = await plain.transaction(async (m) => {
        expect(await m.query(sql, [41])).toEqual([{ n: 42 }]);
        return (await m.query(`SELECT statement FROM pg_prepared_statements`)) as Array<{ statement: string }>;
      });
      expect(held).toEqual([]);
    } finally {
      await plain.destroy();
    }
  });
});
