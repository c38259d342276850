import { type Kysely, sql } from 'kysely';

// Continuous-sync jobs (issue 18): a saved sync job of kind `follow` keeps its definition in
// sync_jobs (tables, rules, filters, schema policy) and its follower's state in follow_jobs:
// paused flag, the lease that lets exactly one worker follow it, the last progress snapshot,
// alert thresholds and the last cut-over report. Two notification events tell when the slot
// retains too much WAL or the lag passes its threshold.
// Once released, never edit this file: add a new migration instead.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE sync_jobs
      ADD COLUMN kind text NOT NULL DEFAULT 'sync' CHECK (kind IN ('sync', 'follow')),
      -- A follower runs all the time: a schedule has nothing to fire.
      ADD CONSTRAINT sync_jobs_follow_unscheduled CHECK (kind = 'sync' OR cron IS NULL);

    CREATE TABLE follow_jobs (
      sync_job_id           uuid PRIMARY KEY REFERENCES sync_jobs (id) ON DELETE CASCADE,
      paused                boolean NOT NULL DEFAULT false,
      paused_reason         text CHECK (length(paused_reason) <= 2000),
      retained_bytes_alert  bigint CHECK (retained_bytes_alert > 0),
      lag_seconds_alert     integer CHECK (lag_seconds_alert > 0),
      lease_worker_id       text CHECK (length(lease_worker_id) <= 200),
      lease_expires_at      timestamptz,
      progress              jsonb CHECK (progress IS NULL OR jsonb_typeof(progress) = 'object'),
      progress_at           timestamptz,
      last_error_code       text,
      last_error_message    text CHECK (length(last_error_message) <= 4000),
      last_error_at         timestamptz,
      retained_alerted_at   timestamptz,
      lag_alerted_at        timestamptz,
      last_cutover          jsonb CHECK (last_cutover IS NULL OR jsonb_typeof(last_cutover) = 'object'),
      created_at            timestamptz NOT NULL DEFAULT now(),
      updated_at            timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX follow_jobs_claimable_idx ON follow_jobs (lease_expires_at) WHERE NOT paused;

    ALTER TABLE notification_channels DROP CONSTRAINT notification_channels_events_check;
    ALTER TABLE notification_channels ADD CONSTRAINT notification_channels_events_check
      CHECK (events <@ ARRAY['failed', 'succeeded', 'recovered', 'backup_overdue', 'replication_retained', 'replication_lag']::text[]);
    ALTER TABLE notification_deliveries DROP CONSTRAINT notification_deliveries_event_check;
    ALTER TABLE notification_deliveries ADD CONSTRAINT notification_deliveries_event_check
      CHECK (event IN ('failed', 'succeeded', 'recovered', 'backup_overdue', 'test', 'replication_retained', 'replication_lag'));
  `.execute(db);
}

// Going back refuses while continuous-sync jobs exist: their replication slots on the sources
// would be orphaned (they retain WAL until someone drops them). Drop the jobs first.
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DO $fn$
    BEGIN
      IF EXISTS (SELECT 1 FROM sync_jobs WHERE kind = 'follow') THEN
        RAISE EXCEPTION 'continuous-sync jobs exist; drop them (pgferry replication drop JOB) before downgrading below 0036';
      END IF;
    END
    $fn$;
    DELETE FROM notification_deliveries WHERE event IN ('replication_retained', 'replication_lag');
    UPDATE notification_channels
      SET events = array_remove(array_remove(events, 'replication_retained'), 'replication_lag')
      WHERE events && ARRAY['replication_retained', 'replication_lag']::text[];
    ALTER TABLE notification_deliveries DROP CONSTRAINT notification_deliveries_event_check;
    ALTER TABLE notification_deliveries ADD CONSTRAINT notification_deliveries_event_check
      CHECK (event IN ('failed', 'succeeded', 'recovered', 'backup_overdue', 'test'));
    ALTER TABLE notification_channels DROP CONSTRAINT notification_channels_events_check;
    ALTER TABLE notification_channels ADD CONSTRAINT notification_channels_events_check
      CHECK (events <@ ARRAY['failed', 'succeeded', 'recovered', 'backup_overdue']::text[]);
    DROP TABLE follow_jobs;
    ALTER TABLE sync_jobs DROP CONSTRAINT sync_jobs_follow_unscheduled, DROP COLUMN kind;
  `.execute(db);
}
