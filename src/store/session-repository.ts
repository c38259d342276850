import { type Kysely, sql } from 'kysely';

import type { Role, StoreDatabase } from './store-types.js';

export interface SessionPrincipalRow {
  id_hash: string;
  csrf_token_hash: string;
  expires_at: Date;
  last_seen_at: Date;
  user_id: string;
  username: string;
  role: Role;
  /** The user has a confirmed TOTP second factor. */
  totp_enabled: boolean;
}

/** Server-side login sessions; the cookie holds the id, the table only its SHA-256. */
export class SessionRepository {
  constructor(private readonly db: Kysely<StoreDatabase>) {}

  async create(input: { idHash: string; userId: string; csrfTokenHash: string; ip: string | null; userAgent: string | null; ttlMs: number }): Promise<Date> {
    const row = await this.db
      .insertInto('sessions')
      .values({
        id_hash: input.idHash,
        user_id: input.userId,
        csrf_token_hash: input.csrfTokenHash,
        ip: input.ip,
        user_agent: input.userAgent,
        expires_at: sql<Date>`now() + ${`${input.ttlMs} milliseconds`}::interval`,
      })
      .returning('expires_at')
      .executeTakeFirstOrThrow();
    return row.expires_at;
  }

  /** The live session with its user; expired sessions and disabled users give nothing. */
  async findActive(idHash: string): Promise<SessionPrincipalRow | undefined> {
    return this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .leftJoin('user_totp', 'user_totp.id', 'sessions.user_id')
      .select([
        sql<boolean>`user_totp.confirmed_at IS NOT NULL`.as('totp_enabled'),
        'sessions.id_hash',
        'sessions.csrf_token_hash',
        'sessions.expires_at',
        'sessions.last_seen_at',
        'users.id as user_id',
        'users.username',
        'users.role',
      ])
      .where('sessions.id_hash', '=', idHash)
      .where('sessions.expires_at', '>', sql<Date>`now()`)
      .where('users.disabled_at', 'is', null)
      .executeTakeFirst();
  }

  /** Written at most once a minute per session, so reads do not turn into writes. */
  async touch(idHash: string): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ last_seen_at: sql<Date>`now()` })
      .where('id_hash', '=', idHash)
      .where('last_seen_at', '<', sql<Date>`now() - interval '1 minute'`)
      .execute();
  }

  async delete(idHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
  }

  async deleteForUser(userId: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('user_id', '=', userId).execute();
  }

  async deleteExpired(): Promise<number> {
    const result = await this.db.deleteFrom('sessions').where('expires_at', '<=', sql<Date>`now()`).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
