import type { Kysely } from 'kysely';

import type { HighWaterStore } from '../engine/types.js';
import type { StoreDatabase } from './store-types.js';

/**
 * Incremental high-water marks in `pgferry.sync_state`, one row per sync job and table.
 * The scope passed by the engine is the sync job's id.
 */
export class SyncStateRepository implements HighWaterStore {
  constructor(private readonly db: Kysely<StoreDatabase>) {}

  async get(scope: string, table: string): Promise<{ cursor: string; value: string | null } | undefined> {
    const row = await this.db
      .selectFrom('sync_state')
      .select(['cursor_column', 'high_water'])
      .where('sync_job_id', '=', scope)
      .where('table_name', '=', table)
      .executeTakeFirst();
    return row ? { cursor: row.cursor_column, value: row.high_water } : undefined;
  }

  async set(scope: string, table: string, cursor: string, value: string | null): Promise<void> {
    await this.db
      .insertInto('sync_state')
      .values({ sync_job_id: scope, table_name: table, cursor_column: cursor, high_water: value })
      .onConflict((oc) => oc.columns(['sync_job_id', 'table_name']).doUpdateSet({ cursor_column: cursor, high_water: value, updated_at: new Date() }))
      .execute();
  }

  /** Forgets the marks of a job (next incremental run reads every row). */
  async reset(scope: string): Promise<number> {
    const result = await this.db.deleteFrom('sync_state').where('sync_job_id', '=', scope).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async list(scope: string): Promise<{ table: string; cursor: string; value: string | null; updatedAt: Date }[]> {
    const rows = await this.db.selectFrom('sync_state').selectAll().where('sync_job_id', '=', scope).orderBy('table_name').execute();
    return rows.map((row) => ({ table: row.table_name, cursor: row.cursor_column, value: row.high_water, updatedAt: new Date(row.updated_at as unknown as string) }));
  }
}
