import { type Kysely, sql } from 'kysely';

import type { StoreDatabase } from './store-types.js';

export interface TotpRow {
  secret_encrypted: string;
  confirmed_at: Date | null;
  last_used_step: string | null;
}

/** A user's TOTP secret (sealed by the caller), enrolment state and recovery codes (hashed by the caller). */
export class TotpRepository {
  constructor(private readonly db: Kysely<StoreDatabase>) {}

  async find(userId: string): Promise<TotpRow | undefined> {
    return this.db.selectFrom('user_totp').select(['secret_encrypted', 'confirmed_at', 'last_used_step']).where('id', '=', userId).executeTakeFirst();
  }

  /** Stores a new pending secret; false when the user already has a confirmed one (left untouched). */
  async savePending(userId: string, sealedSecret: string): Promise<boolean> {
    const result = await this.db
      .insertInto('user_totp')
      .values({ id: userId, secret_encrypted: sealedSecret })
      .onConflict((conflict) =>
        conflict
          .column('id')
          .doUpdateSet({ secret_encrypted: sealedSecret, last_used_step: null, created_at: sql<Date>`now()` })
          .where('user_totp.confirmed_at', 'is', null),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /**
   * Records `step` as used, only if it is later than the last used one (a code is accepted at
   * most once, even by two requests racing); `confirm` also ends a pending enrolment.
   */
  async useStep(userId: string, step: number, options: { confirm: boolean }): Promise<boolean> {
    let query = this.db
      .updateTable('user_totp')
      .set(options.confirm ? { last_used_step: step, confirmed_at: sql<Date>`now()` } : { last_used_step: step })
      .where('id', '=', userId)
      .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', String(step))]));
    query = query.where('confirmed_at', options.confirm ? 'is' : 'is not', null);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Removes the secret and every recovery code; false when there was no secret. */
  async remove(userId: string): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('user_recovery_codes').where('user_id', '=', userId).execute();
      const result = await tx.deleteFrom('user_totp').where('id', '=', userId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  /** Replaces all of a user's recovery codes (used or not) with new ones. */
  async replaceRecoveryCodes(userId: string, codeHashes: string[]): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('user_recovery_codes').where('user_id', '=', userId).execute();
      await tx
        .insertInto('user_recovery_codes')
        .values(codeHashes.map((codeHash) => ({ user_id: userId, code_hash: codeHash })))
        .execute();
    });
  }

  /** Marks an unused code as used; false when it is unknown, someone else's or already used. */
  async useRecoveryCode(userId: string, codeHash: string): Promise<boolean> {
    const result = await this.db
      .updateTable('user_recovery_codes')
      .set({ used_at: sql<Date>`now()` })
      .where('user_id', '=', userId)
      .where('code_hash', '=', codeHash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async countUnusedRecoveryCodes(userId: string): Promise<number> {
    const row = await this.db
      .selectFrom('user_recovery_codes')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}
