import type { MigrationInterface, QueryRunner } from 'typeorm';

// A CSV row's raw fields are stored positionally (`source_fields`: the record's fields joined by U+001F, a character
// no real export holds; a record that does keeps jsonb by name) and its file's header once (`csv_headers`), not as
// jsonb under the header's names on every row: PostgreSQL no longer parses a jsonb object a row (BENCHMARKS.md).
// transaction_raw(transactions) gives readers the same named object as before for every kind of row; the two-argument
// form stays for SAE lines and rows stored by name. Existing CSV rows keep their jsonb (both forms read alike).
export class CompactCsvRaw1764700004000 implements MigrationInterface {
  name = 'CompactCsvRaw1764700004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE transactions ADD COLUMN source_fields text;
      -- A CSV file's header row as its rows' raw keys: each name trimmed, a blank one as its 1-based position. A file
      -- read without a header row has no row here.
      CREATE TABLE csv_headers (
        batch_row_id bigint NOT NULL REFERENCES batches (id),
        source_file  text NOT NULL,
        names        text[] NOT NULL,
        PRIMARY KEY (batch_row_id, source_file)
      );
      -- The raw fields by name, as stored before: each field under its header's key, or its 1-based position beyond
      -- the header; a repeated name keeps its last field. PL/pgSQL with jsonb_object for a record as long as its header:
      -- a SQL function aggregating every row's fields took ~4x as long as reading the jsonb did (BENCHMARKS.md).
      CREATE FUNCTION transaction_raw(t transactions) RETURNS jsonb LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
      DECLARE
        names text[];
        fields text[];
      BEGIN
        IF t.source_fields IS NULL THEN
          RETURN transaction_raw(t.raw, t.source_line);
        END IF;
        SELECT h.names INTO names FROM csv_headers h WHERE h.batch_row_id = t.batch_row_id AND h.source_file = t.source_file;
        fields := string_to_array(t.source_fields, E'\x1f');
        IF cardinality(names) = cardinality(fields) THEN
          RETURN jsonb_object(names, fields);
        END IF;
        RETURN (SELECT jsonb_object_agg(COALESCE(names[f.position], f.position::text), f.value ORDER BY f.position)
                FROM unnest(fields) WITH ORDINALITY AS f(value, position));
      END
      $$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE transactions t SET raw = transaction_raw(t), source_fields = NULL WHERE source_fields IS NOT NULL;
      DROP FUNCTION transaction_raw(transactions);
      DROP TABLE csv_headers;
      ALTER TABLE transactions DROP COLUMN source_fields;
    `);
  }
}
