import { type Kysely, sql } from 'kysely';

// Physical backup jobs may take PostgreSQL 17+ incremental base backups: each run builds on
// the job's previous backup in that storage, and every Nth run is a full backup (null = every
// run is full, as before).
// Once released, never edit this file: add a new migration instead.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE backup_jobs ADD COLUMN incremental_full_every integer
      CONSTRAINT backup_jobs_incremental_full_every_check CHECK (incremental_full_every IS NULL OR (incremental_full_every >= 2 AND format = 'physical'));
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Jobs that had the setting take full backups again; their incremental backups stay restorable.
  await sql`ALTER TABLE backup_jobs DROP COLUMN incremental_full_every`.execute(db);
}
