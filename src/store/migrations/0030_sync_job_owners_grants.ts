import { type Kysely, sql } from 'kysely';

// Saved sync jobs can copy the source's owners and grants, like `pgferry sync --owners --grants`.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE sync_jobs
      ADD COLUMN copy_owners boolean NOT NULL DEFAULT false,
      ADD COLUMN copy_grants boolean NOT NULL DEFAULT false;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE sync_jobs DROP COLUMN copy_grants, DROP COLUMN copy_owners`.execute(db);
}
