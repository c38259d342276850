import { type Kysely, sql } from 'kysely';

// Scheduled physical drills and retention of a protected connection (issue 17): an optional
// cron (in its time zone) fires a drill run of kind `drill` on the newest base backup; after a
// drill that passed, the GFS policy (keep_*) prunes base backups and the WAL before the oldest
// kept one. drill_next_fire_at is advanced by the scheduler as backup jobs' next_fire_at is.
// Once released, never edit this file: add a new migration instead.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE connection_protection
      ADD COLUMN drill_cron          text CHECK (length(drill_cron) <= 200),
      ADD COLUMN drill_timezone      text NOT NULL DEFAULT 'UTC' CHECK (length(drill_timezone) <= 100),
      ADD COLUMN drill_next_fire_at  timestamptz,
      ADD COLUMN keep_last           integer CHECK (keep_last > 0),
      ADD COLUMN keep_daily          integer CHECK (keep_daily > 0),
      ADD COLUMN keep_weekly         integer CHECK (keep_weekly > 0),
      ADD COLUMN keep_monthly        integer CHECK (keep_monthly > 0);
    CREATE INDEX connection_protection_drill_due_idx ON connection_protection (drill_next_fire_at) WHERE enabled AND drill_cron IS NOT NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX connection_protection_drill_due_idx;
    ALTER TABLE connection_protection
      DROP COLUMN drill_cron, DROP COLUMN drill_timezone, DROP COLUMN drill_next_fire_at,
      DROP COLUMN keep_last, DROP COLUMN keep_daily, DROP COLUMN keep_weekly, DROP COLUMN keep_monthly;
  `.execute(db);
}
