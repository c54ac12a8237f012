import type { MigrationInterface, QueryRunner } from 'typeorm';
import { SAE_RAW_KEYS } from '../parsers/sae.js';

// An SAE row's raw fields are stored as its source line (`source_line`), not as jsonb under 400 column names:
// a tenth of the bytes, and COPY no longer parses and compresses jsonb (BENCHMARKS.md). Readers get the same
// named object as before from transaction_raw(raw, source_line), built from the layout in `sae_layout`;
// reporting.sae_lines exposes the named SAE columns to SQL reports. Existing SAE rows are converted.
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

export class CompactRaw1764700001000 implements MigrationInterface {
  name = 'CompactRaw1764700001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE transactions ADD COLUMN source_line text;
      CREATE TABLE sae_layout (position integer PRIMARY KEY, name text NOT NULL UNIQUE);
      INSERT INTO sae_layout (position, name) VALUES ${SAE_RAW_KEYS.map((k, i) => `(${i + 1}, ${literal(k)})`).join(', ')};
      -- The raw fields by name, as stored before: an SAE line's non-empty fields under their layout names.
      CREATE FUNCTION transaction_raw(raw jsonb, source_line text) RETURNS jsonb LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN source_line IS NULL THEN raw ELSE (
          SELECT COALESCE(jsonb_object_agg(l.name, f.value), '{}'::jsonb)
          FROM unnest(string_to_array(source_line, '|')) WITH ORDINALITY AS f(value, position)
          JOIN sae_layout l USING (position) WHERE f.value <> '') END
      $$;
      -- SAE rows of earlier loads: every key is a layout name (values cannot hold the delimiter: they were split on it).
      UPDATE transactions t
      SET source_line = (SELECT string_agg(COALESCE(t.raw ->> l.name, ''), '|' ORDER BY l.position) FROM sae_layout l), raw = '{}'
      WHERE t.raw ->> 'Constant' = 'DETAIL'
        AND NOT EXISTS (SELECT 1 FROM jsonb_each_text(t.raw) e WHERE e.value LIKE '%|%' OR NOT EXISTS (SELECT 1 FROM sae_layout l WHERE l.name = e.key));
      CREATE VIEW reporting.sae_lines AS
      SELECT t.id AS transaction_id, t.company_id, t.batch_id, t.source_file, t.line_number,
             ${SAE_RAW_KEYS.map((k, i) => `NULLIF(s.f[${i + 1}], '') AS ${ident(k)}`).join(',\n             ')}
      FROM transactions t CROSS JOIN LATERAL (SELECT string_to_array(t.source_line, '|') AS f) s
      WHERE t.source_line IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP VIEW reporting.sae_lines;
      UPDATE transactions SET raw = transaction_raw(raw, source_line) WHERE source_line IS NOT NULL;
      DROP FUNCTION transaction_raw(jsonb, text);
      DROP TABLE sae_layout;
      ALTER TABLE transactions DROP COLUMN source_line;
    `);
  }
}
