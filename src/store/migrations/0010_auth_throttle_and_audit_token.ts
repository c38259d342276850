import { type Kysely, sql } from 'kysely';

// Login throttling shared by every API process (counters live in PostgreSQL, not in memory),
// and the API token behind an audited request, so a leaked token's actions can be listed.
// Once released, never edit this file: add a new migration instead.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE login_throttle (
      key                text PRIMARY KEY CHECK (length(key) <= 400),
      failures           integer NOT NULL CHECK (failures >= 0),
      window_started_at  timestamptz NOT NULL
    );
    CREATE INDEX login_throttle_window_idx ON login_throttle (window_started_at);

    ALTER TABLE audit_log ADD COLUMN actor_token_id uuid;
    CREATE INDEX audit_log_actor_token_idx ON audit_log (actor_token_id, at DESC) WHERE actor_token_id IS NOT NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX audit_log_actor_token_idx;
    ALTER TABLE audit_log DROP COLUMN actor_token_id;
    DROP TABLE login_throttle;
  `.execute(db);
}
