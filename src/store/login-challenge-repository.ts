import { type Kysely, sql } from 'kysely';

import type { StoreDatabase } from './store-types.js';

/** Pending sign-ins between a correct password and the second factor; ids arrive hashed. */
export class LoginChallengeRepository {
  constructor(private readonly db: Kysely<StoreDatabase>) {}

  async create(idHash: string, userId: string, ttlSeconds: number): Promise<Date> {
    const row = await this.db
      .insertInto('login_challenges')
      .values({ id_hash: idHash, user_id: userId, expires_at: sql<Date>`now() + make_interval(secs => ${ttlSeconds})` })
      .returning('expires_at')
      .executeTakeFirstOrThrow();
    return row.expires_at;
  }

  /** The live challenge's user (not disabled), or undefined. */
  async findActive(idHash: string): Promise<{ user_id: string; username: string } | undefined> {
    return this.db
      .selectFrom('login_challenges')
      .innerJoin('users', 'users.id', 'login_challenges.user_id')
      .select(['users.id as user_id', 'users.username'])
      .where('login_challenges.id_hash', '=', idHash)
      .where('login_challenges.expires_at', '>', sql<Date>`now()`)
      .where('users.disabled_at', 'is', null)
      .executeTakeFirst();
  }

  /** Single use: true only for the one caller that deleted it. */
  async consume(idHash: string): Promise<boolean> {
    const result = await this.db.deleteFrom('login_challenges').where('id_hash', '=', idHash).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async deleteExpired(): Promise<void> {
    await this.db.deleteFrom('login_challenges').where('expires_at', '<=', sql<Date>`now()`).execute();
  }
}
