import type pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import { displayName, qualified } from '../sql/quote-ident.js';
import type { SyncMode } from '../types.js';
import type { TablePlan } from './sync-plan-types.js';

/** Destination table privileges each mode needs (ON CONFLICT … WHERE reads the old row). */
const needs: Record<SyncMode, string[]> = {
  full: ['INSERT', 'TRUNCATE'],
  append: ['INSERT', 'SELECT'],
  upsert: ['INSERT', 'UPDATE', 'SELECT'],
  incremental: ['INSERT', 'UPDATE', 'SELECT'],
  mirror: ['INSERT', 'UPDATE', 'DELETE', 'SELECT'],
};

async function missingTablePrivileges(client: pg.Client, checks: { table: string; privilege: string }[]): Promise<Set<string>> {
  if (checks.length === 0) return new Set();
  const result = await client.query<{ i: number }>(
    'SELECT i FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS c(t, p, i) WHERE NOT has_table_privilege(t, p)',
    [checks.map((c) => c.table), checks.map((c) => c.privilege)],
  );
  return new Set(result.rows.map((row) => `${checks[Number(row.i) - 1]!.table}/${checks[Number(row.i) - 1]!.privilege}`));
}

/**
 * Before anything is written: the source role must read every table; the destination role
 * must create what pre-data creates and hold each mode's privileges on existing tables.
 * A table-level gap refuses that table (PGF_PRIVILEGE_MISSING); a gap for creating schemas
 * or tables stops the run.
 */
export async function checkPrivileges(input: {
  source: pg.Client;
  destination: pg.Client;
  plans: TablePlan[];
  schemasToCreate: string[];
  schemasReceivingTables: string[];
}): Promise<void> {
  const ready = input.plans.filter((p) => p.status === 'ready');
  const sourceMissing = await missingTablePrivileges(input.source, ready.map((p) => ({ table: qualified(p.name), privilege: 'SELECT' })));
  const destChecks = ready.filter((p) => !p.createTable).flatMap((p) => needs[p.mode].map((privilege) => ({ table: qualified(p.name), privilege })));
  const destMissing = await missingTablePrivileges(input.destination, destChecks);
  for (const plan of ready) {
    const table = qualified(plan.name);
    if (sourceMissing.has(`${table}/SELECT`)) {
      Object.assign(plan, {
        status: 'refused',
        reason: { code: 'PGF_PRIVILEGE_MISSING', message: `the source role cannot read ${displayName(plan.name)}: grant SELECT on it (a read-only role is enough)` },
      });
      continue;
    }
    const lacking = plan.createTable ? [] : needs[plan.mode].filter((privilege) => destMissing.has(`${table}/${privilege}`));
    if (lacking.length > 0) {
      Object.assign(plan, {
        status: 'refused',
        reason: {
          code: 'PGF_PRIVILEGE_MISSING',
          message: `the destination role lacks ${lacking.join(', ')} on ${displayName(plan.name)}, which mode "${plan.mode}" needs; grant it or make the role the table's owner`,
        },
      });
    }
  }
  const problems: string[] = [];
  if (input.schemasToCreate.length > 0) {
    const db = await input.destination.query<{ ok: boolean }>(`SELECT has_database_privilege(current_database(), 'CREATE') AS ok`);
    if (!db.rows[0]?.ok) problems.push(`create schemas ${input.schemasToCreate.join(', ')} (needs CREATE on the database)`);
  }
  const existing = input.schemasReceivingTables.filter((s) => !input.schemasToCreate.includes(s));
  if (existing.length > 0) {
    const result = await input.destination.query<{ s: string }>(
      `SELECT s FROM unnest($1::text[]) AS s WHERE NOT has_schema_privilege(s, 'CREATE')`,
      [existing],
    );
    for (const row of result.rows) problems.push(`create tables in schema ${row.s} (needs CREATE on the schema)`);
  }
  if (problems.length > 0) {
    throw new PgferryError(
      'PGF_PRIVILEGE_MISSING',
      `the destination role cannot ${problems.join('; ')}; nothing was written — grant the privilege, create the objects beforehand, or use --schema-policy none`,
      { details: { problems } },
    );
  }
}
