import { type Kysely, sql } from 'kysely';

// Physical base backups (issue 17) become records like native ones: backup jobs may make them
// (format 'physical') and `backups list` shows them with an id to verify or restore by.
// Once released, never edit this file: add a new migration instead.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE backup_jobs DROP CONSTRAINT backup_jobs_format_check;
    ALTER TABLE backup_jobs ADD CONSTRAINT backup_jobs_format_check CHECK (format IN ('native', 'pg_dump', 'physical'));
    ALTER TABLE backups DROP CONSTRAINT backups_format_check;
    ALTER TABLE backups ADD CONSTRAINT backups_format_check CHECK (format IN ('native', 'pg_dump', 'globals', 'physical'));
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<{ n: number }>`
    SELECT (SELECT count(*) FROM backup_jobs WHERE format = 'physical') + (SELECT count(*) FROM backups WHERE format = 'physical') AS n`.execute(db);
  if (Number(rows[0]?.n ?? 0) > 0) {
    throw new Error('physical backup jobs or recorded physical backups exist; delete those jobs and forget those backups (their files stay in storage) before downgrading below 0039');
  }
  await sql`
    ALTER TABLE backup_jobs DROP CONSTRAINT backup_jobs_format_check;
    ALTER TABLE backup_jobs ADD CONSTRAINT backup_jobs_format_check CHECK (format IN ('native', 'pg_dump'));
    ALTER TABLE backups DROP CONSTRAINT backups_format_check;
    ALTER TABLE backups ADD CONSTRAINT backups_format_check CHECK (format IN ('native', 'pg_dump', 'globals'));
  `.execute(db);
}
