import type { MigrationInterface, QueryRunner } from 'typeorm';

// The foreign keys from transactions to batches and files checked once per statement instead of once per row. A
// foreign key runs an RI trigger query for every inserted row at the end of the COPY, after the last row has arrived:
// two such checks cost the backend more CPU than the COPY of the rows without them (BENCHMARKS.md, issue 18). A load
// COPYs every row of one batch, so an AFTER STATEMENT trigger reads the statement's new rows (its transition table)
// and checks each distinct batch and file once, locking them FOR KEY SHARE as the foreign key's check does. The
// referenced side keeps NO ACTION: deleting a batch or file, or changing its id, is refused while a transaction
// refers to it, and TRUNCATE of either table while transactions holds rows. erp-sync never deletes either (the
// file-store sweep only clears storage_path). The referenced-side check reads transactions with the deleting
// statement's snapshot, which is exact under READ COMMITTED (it sees every insert committed before the delete's
// row lock was granted, and an insert still running finds the row gone when it locks it); above that isolation the
// foreign key used a snapshot of its own that PL/pgSQL cannot, so such deletes are refused there. The errors keep
// the foreign keys' SQLSTATE (23503) and constraint names.
const REFS: ReadonlyArray<{ column: string; table: string }> = [
  { column: 'batch_row_id', table: 'batches' },
  { column: 'file_id', table: 'files' },
];

export class TransactionRefsPerStatement1764700005000 implements MigrationInterface {
  name = 'TransactionRefsPerStatement1764700005000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE transactions DROP CONSTRAINT transactions_batch_row_id_fkey, DROP CONSTRAINT transactions_file_id_fkey;

      CREATE FUNCTION transactions_refs_exist() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        ref bigint;
      BEGIN
        ${REFS.map(
          ({ column, table }) => `
        FOR ref IN SELECT DISTINCT ${column} FROM new_rows WHERE ${column} IS NOT NULL LOOP
          PERFORM FROM ${table} WHERE id = ref FOR KEY SHARE;
          IF NOT FOUND THEN
            RAISE foreign_key_violation USING
              MESSAGE = 'insert or update on table "transactions" violates foreign key constraint "transactions_${column}_fkey"',
              DETAIL = format('Key (${column})=(%s) is not present in table "${table}".', ref),
              TABLE = 'transactions', CONSTRAINT = 'transactions_${column}_fkey';
          END IF;
        END LOOP;`,
        ).join('')}
        RETURN NULL;
      END $$;
      -- A trigger with a transition table takes one event.
      CREATE TRIGGER transactions_refs_insert AFTER INSERT ON transactions
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION transactions_refs_exist();
      CREATE TRIGGER transactions_refs_update AFTER UPDATE ON transactions
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION transactions_refs_exist();

      -- TG_ARGV[0]: the transactions column that refers to the table the trigger is on.
      CREATE FUNCTION transactions_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        referring boolean;
      BEGIN
        IF current_setting('transaction_isolation') <> 'read committed' THEN
          RAISE EXCEPTION 'rows of % are deleted or renumbered under READ COMMITTED only: transactions refer to them (checked once per statement)', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation';
        END IF;
        EXECUTE format('SELECT EXISTS (SELECT FROM transactions WHERE %I = $1)', TG_ARGV[0]) INTO referring USING OLD.id;
        IF referring THEN
          RAISE foreign_key_violation USING
            MESSAGE = format('update or delete on table "%s" violates foreign key constraint "transactions_%s_fkey" on table "transactions"', TG_TABLE_NAME, TG_ARGV[0]),
            DETAIL = format('Key (id)=(%s) is still referenced from table "transactions".', OLD.id),
            TABLE = TG_TABLE_NAME, CONSTRAINT = format('transactions_%s_fkey', TG_ARGV[0]);
        END IF;
        RETURN NULL;
      END $$;
      CREATE FUNCTION transactions_referenced_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT FROM transactions) THEN
          RAISE feature_not_supported USING MESSAGE = format('cannot truncate %s: transactions refer to it', TG_TABLE_NAME);
        END IF;
        RETURN NULL;
      END $$;
      ${REFS.map(
        ({ column, table }) => `
      CREATE TRIGGER transactions_refs_delete AFTER DELETE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION transactions_referenced('${column}');
      CREATE TRIGGER transactions_refs_renumber AFTER UPDATE OF id ON ${table}
        FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION transactions_referenced('${column}');
      CREATE TRIGGER transactions_refs_truncate BEFORE TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION transactions_referenced_truncate();`,
      ).join('')}
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ${REFS.map(
        ({ table }) => `
      DROP TRIGGER transactions_refs_truncate ON ${table};
      DROP TRIGGER transactions_refs_renumber ON ${table};
      DROP TRIGGER transactions_refs_delete ON ${table};`,
      ).join('')}
      DROP TRIGGER transactions_refs_update ON transactions;
      DROP TRIGGER transactions_refs_insert ON transactions;
      DROP FUNCTION transactions_referenced_truncate();
      DROP FUNCTION transactions_referenced();
      DROP FUNCTION transactions_refs_exist();
      ALTER TABLE transactions
        ADD CONSTRAINT transactions_batch_row_id_fkey FOREIGN KEY (batch_row_id) REFERENCES batches (id),
        ADD CONSTRAINT transactions_file_id_fkey FOREIGN KEY (file_id) REFERENCES files (id);
    `);
  }
}
