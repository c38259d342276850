import { type Kysely, type Selectable, sql } from 'kysely';

import { escapeLike } from './like-pattern.js';
import type { AuditLogTable, StoreDatabase } from './store-types.js';

export type AuditRow = Selectable<AuditLogTable>;

export interface NewAuditEntry {
  actorType: AuditRow['actor_type'];
  actorId: string | null;
  actorName: string | null;
  actorTokenId: string | null;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  requestBody: unknown;
  status: number | null;
}

export interface AuditFilter {
  actor?: string | undefined;
  actorId?: string | undefined;
  actorType?: AuditRow['actor_type'] | undefined;
  action?: string | undefined;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Keyset pagination: rows with an id below this one (newest first). */
  beforeId?: string | undefined;
  limit: number;
}

/** The append-only audit log; only `prune` deletes, and only inside its own transaction. */
export class AuditRepository {
  constructor(private readonly db: Kysely<StoreDatabase>) {}

  async append(entry: NewAuditEntry): Promise<void> {
    await this.insert(entry);
  }

  /** Writes the row of a request about to change something, as pending (no status yet); returns its id. */
  async begin(entry: Omit<NewAuditEntry, 'status'>): Promise<string> {
    return this.insert({ ...entry, status: null });
  }

  /**
   * Completes a pending row with the answer (the only update the append-only guard allows):
   * status, resource id, and the actor when the row was written as anonymous (a login).
   */
  async complete(id: string, outcome: Pick<NewAuditEntry, 'status' | 'resourceId' | 'actorType' | 'actorId' | 'actorName' | 'actorTokenId'>): Promise<void> {
    await this.db
      .updateTable('audit_log')
      .set({
        status: outcome.status,
        ...(outcome.resourceId !== null ? { resource_id: outcome.resourceId } : {}),
        actor_type: sql`CASE WHEN actor_type = 'anonymous' THEN ${outcome.actorType} ELSE actor_type END`,
        actor_id: sql`CASE WHEN actor_type = 'anonymous' THEN ${outcome.actorId}::uuid ELSE actor_id END`,
        actor_name: sql`CASE WHEN actor_type = 'anonymous' THEN ${outcome.actorName} ELSE actor_name END`,
        actor_token_id: sql`CASE WHEN actor_type = 'anonymous' THEN ${outcome.actorTokenId}::uuid ELSE actor_token_id END`,
      })
      .where('id', '=', id)
      .where('status', 'is', null)
      .execute();
  }

  private async insert(entry: NewAuditEntry): Promise<string> {
    const row = await this.db
      .insertInto('audit_log')
      .values({
        actor_type: entry.actorType,
        actor_id: entry.actorId,
        actor_name: entry.actorName,
        actor_token_id: entry.actorTokenId,
        action: entry.action,
        resource_type: entry.resourceType,
        resource_id: entry.resourceId,
        ip: entry.ip,
        user_agent: entry.userAgent,
        request_id: entry.requestId,
        request_body: entry.requestBody === undefined ? null : JSON.stringify(entry.requestBody),
        status: entry.status,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return String(row.id);
  }

  /** Newest first; `limit + 1` rows are read to know whether another page exists. */
  async list(filter: AuditFilter): Promise<{ items: AuditRow[]; nextCursor: string | null }> {
    let query = this.db.selectFrom('audit_log').selectAll();
    if (filter.actor !== undefined) query = query.where('actor_name', '=', filter.actor);
    if (filter.actorId !== undefined) query = query.where('actor_id', '=', filter.actorId);
    if (filter.actorType !== undefined) query = query.where('actor_type', '=', filter.actorType);
    if (filter.action !== undefined) {
      // `connection.*` lists every action on a resource type.
      query = filter.action.endsWith('.*')
        ? query.where('action', 'like', `${escapeLike(filter.action.slice(0, -2))}.%`)
        : query.where('action', '=', filter.action);
    }
    if (filter.resourceType !== undefined) query = query.where('resource_type', '=', filter.resourceType);
    if (filter.resourceId !== undefined) query = query.where('resource_id', '=', filter.resourceId);
    if (filter.from !== undefined) query = query.where('at', '>=', filter.from);
    if (filter.to !== undefined) query = query.where('at', '<', filter.to);
    if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
    const rows = await query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
    const items = rows.slice(0, filter.limit);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > filter.limit && last ? String(last.id) : null };
  }

  /** Deletes rows older than the retention; the append-only trigger allows it only under this setting. */
  async prune(olderThanDays: number): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      await sql`SET LOCAL pgferry.audit_prune = 'on'`.execute(tx);
      const result = await tx
        .deleteFrom('audit_log')
        .where('at', '<', sql<Date>`now() - make_interval(days => ${olderThanDays})`)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }
}
