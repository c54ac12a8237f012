import type { MigrationInterface, QueryRunner } from 'typeorm';

// The first schema: what the pipeline needs to know where every batch stands.
export class InitialSchema1763769600000 implements MigrationInterface {
  name = 'InitialSchema1763769600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE companies (
        id              text PRIMARY KEY,
        name            text NOT NULL,
        auth_state      text NOT NULL DEFAULT 'ok' CHECK (auth_state IN ('ok', 'needs_reauth')),
        auth_error      text,
        last_cycle_at   timestamptz,
        last_success_at timestamptz,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE oauth_tokens (
        company_id        text PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
        access_token      text,
        access_expires_at timestamptz,
        refresh_token     text,
        geolocation       text,
        updated_at        timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE batches (
        id                  bigserial PRIMARY KEY,
        company_id          text NOT NULL REFERENCES companies (id),
        source              text NOT NULL DEFAULT 'concur',
        external_id         text NOT NULL,
        name                text,
        batch_url           text,
        type                text,
        payment_method      text,
        currency            text,
        batch_total         numeric,
        payment_demands     integer,
        state               text NOT NULL,
        state_data          jsonb NOT NULL DEFAULT '{}',
        file_url            text,
        attempts            integer NOT NULL DEFAULT 0,
        next_attempt_at     timestamptz,
        last_error          text,
        quarantine_reason   text,
        reconciliation      jsonb,
        close_requested_at  timestamptz,
        closed_at           timestamptz,
        fetched_at          timestamptz,
        loaded_at           timestamptz,
        delivered_at        timestamptz,
        done_at             timestamptz,
        claimed_by          text,
        claim_expires_at    timestamptz,
        created_at          timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now(),
        UNIQUE (company_id, source, external_id)
      );
      CREATE INDEX batches_due ON batches (next_attempt_at) WHERE state NOT IN ('done', 'quarantined');

      -- Append-only audit trail: one row per transition or notable event.
      CREATE TABLE batch_events (
        id          bigserial PRIMARY KEY,
        batch_id    bigint REFERENCES batches (id),
        company_id  text NOT NULL,
        at          timestamptz NOT NULL DEFAULT now(),
        kind        text NOT NULL,
        from_state  text,
        to_state    text,
        detail      jsonb NOT NULL DEFAULT '{}'
      );
      CREATE INDEX batch_events_batch ON batch_events (batch_id, id);
      CREATE FUNCTION batch_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'batch_events is append-only';
      END $$;
      CREATE TRIGGER batch_events_no_change BEFORE UPDATE OR DELETE ON batch_events
        FOR EACH ROW EXECUTE FUNCTION batch_events_append_only();

      CREATE TABLE files (
        id              bigserial PRIMARY KEY,
        batch_id        bigint NOT NULL REFERENCES batches (id),
        parent_file_id  bigint REFERENCES files (id),
        name            text NOT NULL,
        kind            text NOT NULL,
        content_type    text,
        sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        size_bytes      bigint NOT NULL CHECK (size_bytes >= 0),
        storage_path    text,
        created_at      timestamptz NOT NULL DEFAULT now(),
        UNIQUE (batch_id, sha256, name)
      );

      CREATE TABLE transactions (
        id               bigserial PRIMARY KEY,
        company_id       text NOT NULL,
        batch_id         bigint NOT NULL REFERENCES batches (id),
        file_id          bigint REFERENCES files (id),
        natural_key      text NOT NULL,
        line_number      integer NOT NULL,
        employee_id      text,
        employee_name    text,
        report_id        text,
        report_key       text,
        report_name      text,
        entry_id         text,
        journal_key      text,
        transaction_date date,
        expense_type     text,
        description      text,
        vendor           text,
        account_code     text,
        debit_credit     text CHECK (debit_credit IN ('DR', 'CR')),
        amount           numeric NOT NULL,
        currency         text,
        payment_type     text,
        raw              jsonb NOT NULL DEFAULT '{}',
        loaded_at        timestamptz NOT NULL DEFAULT now(),
        UNIQUE (company_id, batch_id, natural_key)
      );

      CREATE TABLE deliveries (
        id               bigserial PRIMARY KEY,
        batch_id         bigint NOT NULL REFERENCES batches (id),
        sink             text NOT NULL,
        state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
        attempts         integer NOT NULL DEFAULT 0,
        next_attempt_at  timestamptz,
        last_error       text,
        result           jsonb,
        delivered_at     timestamptz,
        updated_at       timestamptz NOT NULL DEFAULT now(),
        UNIQUE (batch_id, sink)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE deliveries; DROP TABLE transactions; DROP TABLE files;
      DROP TABLE batch_events; DROP FUNCTION batch_events_append_only();
      DROP TABLE batches; DROP TABLE oauth_tokens; DROP TABLE companies;
    `);
  }
}
