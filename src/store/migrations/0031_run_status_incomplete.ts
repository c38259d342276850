import { type Kysely, sql } from 'kysely';

// Runs can end `incomplete` (every table copied, but schema objects of the selection could
// not be reproduced on the destination) and record those objects with their reasons.
// Once released, never edit this file: add a new migration instead.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE runs DROP CONSTRAINT runs_status_check;
    ALTER TABLE runs
      ADD CONSTRAINT runs_status_check CHECK (status IN ('queued', 'running', 'succeeded', 'incomplete', 'failed', 'cancelled')),
      ADD COLUMN missing_objects jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(missing_objects) = 'array');
  `.execute(db);
}

// Going back, an incomplete run becomes failed: its error code (PGF_RUN_INCOMPLETE) and message,
// which name the objects, stay; the structured list goes with its column.
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    UPDATE runs SET status = 'failed' WHERE status = 'incomplete';
    ALTER TABLE runs DROP COLUMN missing_objects, DROP CONSTRAINT runs_status_check;
    ALTER TABLE runs
      ADD CONSTRAINT runs_status_check CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled'));
  `.execute(db);
}
