import { type Kysely, sql } from 'kysely';

// The whole domain of PRODUCT.md §2. Released: later changes go in new migrations.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE settings (
      key         text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_.]{0,99}$'),
      value       jsonb NOT NULL,
      updated_at  timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE users (
      id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      username       text NOT NULL CHECK (username ~ '^[A-Za-z0-9_.@-]{1,100}$'),
      display_name   text CHECK (length(display_name) <= 200),
      password_hash  text NOT NULL,
      role           text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
      disabled_at    timestamptz,
      last_login_at  timestamptz,
      created_at     timestamptz NOT NULL DEFAULT now(),
      updated_at     timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX users_username_key ON users (lower(username));

    CREATE TABLE sessions (
      id_hash        text PRIMARY KEY,
      user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      csrf_token_hash text NOT NULL,
      ip             text,
      user_agent     text,
      created_at     timestamptz NOT NULL DEFAULT now(),
      last_seen_at   timestamptz NOT NULL DEFAULT now(),
      expires_at     timestamptz NOT NULL
    );
    CREATE INDEX sessions_user_id_idx ON sessions (user_id);
    CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

    CREATE TABLE api_tokens (
      id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      role          text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
      token_prefix  text NOT NULL,
      token_hash    text NOT NULL UNIQUE,
      last_used_at  timestamptz,
      expires_at    timestamptz,
      revoked_at    timestamptz,
      created_at    timestamptz NOT NULL DEFAULT now(),
      UNIQUE (user_id, name)
    );

    CREATE TABLE connections (
      id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      description        text CHECK (length(description) <= 2000),
      host               text NOT NULL CHECK (length(host) BETWEEN 1 AND 255),
      port               integer NOT NULL DEFAULT 5432 CHECK (port BETWEEN 1 AND 65535),
      database           text NOT NULL CHECK (length(database) BETWEEN 1 AND 63),
      username           text NOT NULL CHECK (length(username) BETWEEN 1 AND 63),
      password_encrypted text,
      sslmode            text NOT NULL DEFAULT 'prefer'
                         CHECK (sslmode IN ('disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full')),
      application_name   text CHECK (length(application_name) <= 63),
      connect_timeout_s  integer CHECK (connect_timeout_s BETWEEN 1 AND 600),
      options            text CHECK (length(options) <= 2000),
      protected          boolean NOT NULL DEFAULT false,
      tags               text[] NOT NULL DEFAULT '{}',
      created_at         timestamptz NOT NULL DEFAULT now(),
      updated_at         timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX connections_name_key ON connections (lower(name));

    CREATE TABLE storages (
      id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      description       text CHECK (length(description) <= 2000),
      kind              text NOT NULL CHECK (kind IN ('local', 's3')),
      config            jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(config) = 'object'),
      secret_encrypted  text,
      created_at        timestamptz NOT NULL DEFAULT now(),
      updated_at        timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX storages_name_key ON storages (lower(name));

    CREATE TABLE notification_channels (
      id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      kind              text NOT NULL
                        CHECK (kind IN ('webhook', 'slack', 'dingtalk', 'wecom', 'feishu', 'teams', 'telegram', 'email')),
      config            jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(config) = 'object'),
      secret_encrypted  text,
      events            text[] NOT NULL DEFAULT '{failed}'
                        CHECK (events <@ ARRAY['failed', 'succeeded', 'recovered', 'backup_overdue']::text[]),
      enabled           boolean NOT NULL DEFAULT true,
      created_at        timestamptz NOT NULL DEFAULT now(),
      updated_at        timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX notification_channels_name_key ON notification_channels (lower(name));

    CREATE TABLE sync_jobs (
      id                         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name                       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      description                text CHECK (length(description) <= 2000),
      source_connection_id       uuid NOT NULL REFERENCES connections (id) ON DELETE RESTRICT,
      destination_connection_id  uuid NOT NULL REFERENCES connections (id) ON DELETE RESTRICT,
      selection                  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(selection) = 'object'),
      table_options              jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(table_options) = 'object'),
      default_mode               text NOT NULL DEFAULT 'full'
                                 CHECK (default_mode IN ('full', 'append', 'upsert', 'incremental', 'mirror')),
      schema_policy              text NOT NULL DEFAULT 'create-missing'
                                 CHECK (schema_policy IN ('create-missing', 'add-columns', 'strict', 'none')),
      parallelism                integer NOT NULL DEFAULT 2 CHECK (parallelism BETWEEN 1 AND 64),
      split_rows                 bigint CHECK (split_rows > 0),
      verify                     boolean NOT NULL DEFAULT false,
      cron                       text CHECK (length(cron) <= 200),
      timezone                   text NOT NULL DEFAULT 'UTC',
      enabled                    boolean NOT NULL DEFAULT true,
      next_fire_at               timestamptz,
      retry_max                  integer NOT NULL DEFAULT 0 CHECK (retry_max BETWEEN 0 AND 100),
      retry_backoff_s            integer NOT NULL DEFAULT 60 CHECK (retry_backoff_s BETWEEN 1 AND 86400),
      timeout_s                  integer CHECK (timeout_s BETWEEN 1 AND 604800),
      created_at                 timestamptz NOT NULL DEFAULT now(),
      updated_at                 timestamptz NOT NULL DEFAULT now(),
      CHECK (source_connection_id <> destination_connection_id)
    );
    CREATE UNIQUE INDEX sync_jobs_name_key ON sync_jobs (lower(name));
    CREATE INDEX sync_jobs_source_connection_id_idx ON sync_jobs (source_connection_id);
    CREATE INDEX sync_jobs_destination_connection_id_idx ON sync_jobs (destination_connection_id);
    CREATE INDEX sync_jobs_due_idx ON sync_jobs (next_fire_at) WHERE enabled AND cron IS NOT NULL;

    CREATE TABLE backup_jobs (
      id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      description        text CHECK (length(description) <= 2000),
      connection_id      uuid NOT NULL REFERENCES connections (id) ON DELETE RESTRICT,
      all_databases      boolean NOT NULL DEFAULT false,
      include_globals    boolean NOT NULL DEFAULT false,
      format             text NOT NULL DEFAULT 'native' CHECK (format IN ('native', 'pg_dump')),
      selection          jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(selection) = 'object'),
      compression        text NOT NULL DEFAULT 'gzip' CHECK (compression IN ('gzip', 'zstd', 'none')),
      encrypt            boolean NOT NULL DEFAULT false,
      parallelism        integer NOT NULL DEFAULT 2 CHECK (parallelism BETWEEN 1 AND 64),
      retention          jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(retention) = 'object'),
      verification       jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(verification) = 'object'),
      cron               text CHECK (length(cron) <= 200),
      timezone           text NOT NULL DEFAULT 'UTC',
      enabled            boolean NOT NULL DEFAULT true,
      next_fire_at       timestamptz,
      retry_max          integer NOT NULL DEFAULT 0 CHECK (retry_max BETWEEN 0 AND 100),
      retry_backoff_s    integer NOT NULL DEFAULT 60 CHECK (retry_backoff_s BETWEEN 1 AND 86400),
      timeout_s          integer CHECK (timeout_s BETWEEN 1 AND 604800),
      created_at         timestamptz NOT NULL DEFAULT now(),
      updated_at         timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX backup_jobs_name_key ON backup_jobs (lower(name));
    CREATE INDEX backup_jobs_connection_id_idx ON backup_jobs (connection_id);
    CREATE INDEX backup_jobs_due_idx ON backup_jobs (next_fire_at) WHERE enabled AND cron IS NOT NULL;

    CREATE TABLE backup_job_storages (
      backup_job_id  uuid NOT NULL REFERENCES backup_jobs (id) ON DELETE CASCADE,
      storage_id     uuid NOT NULL REFERENCES storages (id) ON DELETE RESTRICT,
      position       integer NOT NULL DEFAULT 0,
      PRIMARY KEY (backup_job_id, storage_id)
    );
    CREATE INDEX backup_job_storages_storage_id_idx ON backup_job_storages (storage_id);

    CREATE TABLE sync_job_channels (
      sync_job_id  uuid NOT NULL REFERENCES sync_jobs (id) ON DELETE CASCADE,
      channel_id   uuid NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
      PRIMARY KEY (sync_job_id, channel_id)
    );
    CREATE INDEX sync_job_channels_channel_id_idx ON sync_job_channels (channel_id);

    CREATE TABLE backup_job_channels (
      backup_job_id  uuid NOT NULL REFERENCES backup_jobs (id) ON DELETE CASCADE,
      channel_id     uuid NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
      PRIMARY KEY (backup_job_id, channel_id)
    );
    CREATE INDEX backup_job_channels_channel_id_idx ON backup_job_channels (channel_id);

    CREATE TABLE sync_state (
      sync_job_id    uuid NOT NULL REFERENCES sync_jobs (id) ON DELETE CASCADE,
      table_name     text NOT NULL,
      cursor_column  text NOT NULL,
      high_water     text,
      updated_at     timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (sync_job_id, table_name)
    );

    CREATE TABLE runs (
      id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      kind                 text NOT NULL CHECK (kind IN ('sync', 'backup', 'restore', 'verify', 'drill')),
      sync_job_id          uuid REFERENCES sync_jobs (id) ON DELETE SET NULL,
      backup_job_id        uuid REFERENCES backup_jobs (id) ON DELETE SET NULL,
      job_name             text,
      trigger              text NOT NULL CHECK (trigger IN ('schedule', 'manual', 'api', 'retry', 'resume', 'cli')),
      status               text NOT NULL DEFAULT 'queued'
                           CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
      scheduled_for        timestamptz,
      queued_at            timestamptz NOT NULL DEFAULT now(),
      started_at           timestamptz,
      finished_at          timestamptz,
      heartbeat_at         timestamptz,
      worker_id            text,
      attempt              integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
      retry_of             uuid REFERENCES runs (id) ON DELETE SET NULL,
      resume_of            uuid REFERENCES runs (id) ON DELETE SET NULL,
      params               jsonb NOT NULL DEFAULT '{}',
      tables               jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(tables) = 'array'),
      total_rows           bigint NOT NULL DEFAULT 0,
      total_bytes          bigint NOT NULL DEFAULT 0,
      error_code           text,
      error_message        text,
      error_stack          text,
      cancel_requested_at  timestamptz,
      created_by           text,
      CHECK (NOT (sync_job_id IS NOT NULL AND backup_job_id IS NOT NULL)),
      CHECK (status IN ('queued', 'running') OR finished_at IS NOT NULL),
      CHECK (status <> 'running' OR started_at IS NOT NULL)
    );
    CREATE INDEX runs_queued_at_idx ON runs (queued_at DESC, id DESC);
    CREATE INDEX runs_sync_job_idx ON runs (sync_job_id, queued_at DESC) WHERE sync_job_id IS NOT NULL;
    CREATE INDEX runs_backup_job_idx ON runs (backup_job_id, queued_at DESC) WHERE backup_job_id IS NOT NULL;
    CREATE INDEX runs_status_idx ON runs (status, queued_at DESC);
    CREATE INDEX runs_heartbeat_idx ON runs (heartbeat_at) WHERE status = 'running';
    -- A job never has two active runs; a scheduled tick starts at most one run.
    CREATE UNIQUE INDEX runs_one_active_sync_job ON runs (sync_job_id) WHERE status IN ('queued', 'running');
    CREATE UNIQUE INDEX runs_one_active_backup_job ON runs (backup_job_id) WHERE status IN ('queued', 'running');
    CREATE UNIQUE INDEX runs_sync_tick_key ON runs (sync_job_id, scheduled_for) WHERE trigger = 'schedule';
    CREATE UNIQUE INDEX runs_backup_tick_key ON runs (backup_job_id, scheduled_for) WHERE trigger = 'schedule';

    CREATE TABLE run_logs (
      id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      run_id      uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      at          timestamptz NOT NULL DEFAULT now(),
      level       text NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
      message     text NOT NULL,
      table_name  text,
      data        jsonb
    );
    CREATE INDEX run_logs_run_id_idx ON run_logs (run_id, id);
    CREATE INDEX run_logs_at_idx ON run_logs (at);

    CREATE TABLE backups (
      id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      run_id                 uuid REFERENCES runs (id) ON DELETE SET NULL,
      backup_job_id          uuid REFERENCES backup_jobs (id) ON DELETE SET NULL,
      connection_id          uuid REFERENCES connections (id) ON DELETE SET NULL,
      storage_id             uuid NOT NULL REFERENCES storages (id) ON DELETE RESTRICT,
      database_name          text NOT NULL,
      location               text NOT NULL,
      format                 text NOT NULL CHECK (format IN ('native', 'pg_dump', 'globals')),
      compression            text NOT NULL CHECK (compression IN ('gzip', 'zstd', 'none')),
      encrypted              boolean NOT NULL DEFAULT false,
      encryption_key_id      text,
      size_bytes             bigint NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
      files                  jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(files) = 'array'),
      tables                 jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(tables) = 'array'),
      source_server_version  text,
      state                  text NOT NULL DEFAULT 'complete'
                             CHECK (state IN ('complete', 'verified', 'drill_passed', 'drill_failed', 'corrupt', 'expired')),
      verified_at            timestamptz,
      drill_at               timestamptz,
      drill_result           jsonb,
      expired_at             timestamptz,
      created_at             timestamptz NOT NULL DEFAULT now(),
      UNIQUE (storage_id, location)
    );
    CREATE INDEX backups_backup_job_idx ON backups (backup_job_id, created_at DESC);
    CREATE INDEX backups_connection_idx ON backups (connection_id, created_at DESC);
    CREATE INDEX backups_created_at_idx ON backups (created_at DESC);

    CREATE TABLE notification_deliveries (
      id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      channel_id       uuid NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
      run_id           uuid REFERENCES runs (id) ON DELETE SET NULL,
      event            text NOT NULL CHECK (event IN ('failed', 'succeeded', 'recovered', 'backup_overdue', 'test')),
      status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
      attempts         integer NOT NULL DEFAULT 0,
      response_status  integer,
      last_error       text,
      created_at       timestamptz NOT NULL DEFAULT now(),
      delivered_at     timestamptz
    );
    CREATE INDEX notification_deliveries_channel_idx ON notification_deliveries (channel_id, created_at DESC);
    CREATE INDEX notification_deliveries_pending_idx ON notification_deliveries (created_at) WHERE status = 'pending';

    CREATE TABLE audit_log (
      id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at             timestamptz NOT NULL DEFAULT now(),
      actor_type     text NOT NULL CHECK (actor_type IN ('user', 'token', 'system', 'anonymous')),
      actor_id       uuid,
      actor_name     text,
      action         text NOT NULL,
      resource_type  text,
      resource_id    text,
      ip             text,
      user_agent     text,
      request_id     text,
      request_body   jsonb,
      status         integer
    );
    CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
    CREATE INDEX audit_log_actor_idx ON audit_log (actor_name, at DESC);
    CREATE INDEX audit_log_resource_idx ON audit_log (resource_type, resource_id, at DESC);
    CREATE INDEX audit_log_action_idx ON audit_log (action, at DESC);

    -- Audit rows are append-only; only the retention job, which sets pgferry.audit_prune
    -- for its own transaction, may delete old ones.
    CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF TG_OP = 'DELETE' AND current_setting('pgferry.audit_prune', true) = 'on' THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $fn$;
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_guard();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE audit_log;
    DROP FUNCTION audit_log_guard();
    DROP TABLE notification_deliveries;
    DROP TABLE backups;
    DROP TABLE run_logs;
    DROP TABLE runs;
    DROP TABLE sync_state;
    DROP TABLE backup_job_channels;
    DROP TABLE sync_job_channels;
    DROP TABLE backup_job_storages;
    DROP TABLE backup_jobs;
    DROP TABLE sync_jobs;
    DROP TABLE notification_channels;
    DROP TABLE storages;
    DROP TABLE connections;
    DROP TABLE api_tokens;
    DROP TABLE sessions;
    DROP TABLE users;
    DROP TABLE settings;
  `.execute(db);
}
