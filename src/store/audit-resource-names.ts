import { sql } from 'kysely';

import type { StoreDb } from './repository-helpers.js';
import { isUuid } from './uuid.js';

/** Where each audited resource type keeps its display name. Types not listed (session) have none. */
const nameSources: Record<string, { table: string; column: string }> = {
  api_token: { table: 'api_tokens', column: 'name' },
  backup: { table: 'backups', column: 'database_name' },
  backup_job: { table: 'backup_jobs', column: 'name' },
  connection: { table: 'connections', column: 'name' },
  follow_job: { table: 'sync_jobs', column: 'name' },
  notification_channel: { table: 'notification_channels', column: 'name' },
  run: { table: 'runs', column: 'job_name' },
  storage: { table: 'storages', column: 'name' },
  sync_job: { table: 'sync_jobs', column: 'name' },
  user: { table: 'users', column: 'username' },
};

export const resourceKey = (type: string, id: string): string => `${type}:${id}`;

/**
 * Current names of the resources a page of audit entries points at, keyed by `type:id`, one
 * query per type. Deleted resources are absent (the entry keeps its id).
 */
export async function auditResourceNames(db: StoreDb, entries: { resource_type: string | null; resource_id: string | null }[]): Promise<Map<string, string>> {
  const idsByType = new Map<string, Set<string>>();
  for (const entry of entries) {
    if (!entry.resource_type || !entry.resource_id || !isUuid(entry.resource_id) || !nameSources[entry.resource_type]) continue;
    const ids = idsByType.get(entry.resource_type) ?? new Set<string>();
    ids.add(entry.resource_id);
    idsByType.set(entry.resource_type, ids);
  }
  const names = new Map<string, string>();
  for (const [type, ids] of idsByType) {
    const source = nameSources[type]!;
    // Table and column come from the fixed map above, never from input.
    const result = await sql<{ id: string; name: string | null }>`
      SELECT id::text AS id, ${sql.ref(source.column)} AS name FROM ${sql.table(source.table)} WHERE id = ANY(${[...ids]}::uuid[])
    `.execute(db);
    for (const row of result.rows) if (row.name) names.set(resourceKey(type, row.id), row.name);
  }
  return names;
}
