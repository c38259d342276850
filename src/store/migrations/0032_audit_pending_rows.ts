import { type Kysely, sql } from 'kysely';

// A mutating request's audit row is written before the change (status NULL: "pending") and
// completed once with its answer's status and resource id (and, for an anonymous request such
// as a login, who it turned out to be). The log stays append-only: the guard lets an UPDATE
// only complete a pending row that way, changing nothing else.
// Once released, never edit this file: add a new migration instead.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE OR REPLACE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF TG_OP = 'DELETE' AND current_setting('pgferry.audit_prune', true) = 'on' THEN
        RETURN OLD;
      END IF;
      -- Completing a pending row may add what only the answer knows: its status, the new
      -- resource's id, and who an anonymous request turned out to be (a login).
      IF TG_OP = 'UPDATE' AND OLD.status IS NULL AND NEW.status IS NOT NULL
         AND (OLD.resource_id IS NULL OR NEW.resource_id IS NOT DISTINCT FROM OLD.resource_id)
         AND (OLD.actor_type = 'anonymous' OR (to_jsonb(NEW) - 'status' - 'resource_id') = (to_jsonb(OLD) - 'status' - 'resource_id'))
         AND (to_jsonb(NEW) - 'status' - 'resource_id' - 'actor_type' - 'actor_id' - 'actor_name' - 'actor_token_id')
           = (to_jsonb(OLD) - 'status' - 'resource_id' - 'actor_type' - 'actor_id' - 'actor_name' - 'actor_token_id') THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $fn$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE OR REPLACE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF TG_OP = 'DELETE' AND current_setting('pgferry.audit_prune', true) = 'on' THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $fn$;
  `.execute(db);
}
