import { type Kysely, sql } from 'kysely';

// Scheduling and notification bookkeeping (issue 6): skipped ticks are counted on the job,
// and notification deliveries carry their payload so a retry can resend it from any worker.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE sync_jobs
      ADD COLUMN skipped_ticks integer NOT NULL DEFAULT 0,
      ADD COLUMN last_skipped_tick_at timestamptz;
    ALTER TABLE backup_jobs
      ADD COLUMN skipped_ticks integer NOT NULL DEFAULT 0,
      ADD COLUMN last_skipped_tick_at timestamptz;
    ALTER TABLE notification_deliveries
      ADD COLUMN payload jsonb,
      ADD COLUMN next_attempt_at timestamptz;
    CREATE INDEX notification_deliveries_due_idx ON notification_deliveries (next_attempt_at) WHERE status = 'pending';
    -- Workers look for queued runs whose start time has come (retries wait for their backoff).
    CREATE INDEX runs_queued_due_idx ON runs (queued_at) WHERE status = 'queued';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX runs_queued_due_idx;
    DROP INDEX notification_deliveries_due_idx;
    ALTER TABLE notification_deliveries DROP COLUMN next_attempt_at, DROP COLUMN payload;
    ALTER TABLE backup_jobs DROP COLUMN last_skipped_tick_at, DROP COLUMN skipped_ticks;
    ALTER TABLE sync_jobs DROP COLUMN last_skipped_tick_at, DROP COLUMN skipped_ticks;
  `.execute(db);
}
