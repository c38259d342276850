import { type Kysely, sql } from 'kysely';

import type { StoreDatabase } from './store-types.js';
import { type PublicUser, UserRepository } from './user-repository.js';

/** OIDC sign-ins in flight and the (issuer, subject) → user links. */
export class OidcRepository {
  constructor(private readonly db: Kysely<StoreDatabase>) {}

  async saveLoginState(input: { stateHash: string; nonce: string; codeVerifier: string; ttlMs: number }): Promise<void> {
    await this.db.deleteFrom('oidc_login_states').where('expires_at', '<', sql<Date>`now()`).execute();
    await this.db
      .insertInto('oidc_login_states')
      .values({ state_hash: input.stateHash, nonce: input.nonce, code_verifier: input.codeVerifier, expires_at: new Date(Date.now() + input.ttlMs) })
      .execute();
  }

  /** Deletes and returns the state: a second callback with the same state finds nothing. */
  async takeLoginState(stateHash: string): Promise<{ nonce: string; codeVerifier: string } | undefined> {
    const row = await this.db
      .deleteFrom('oidc_login_states')
      .where('state_hash', '=', stateHash)
      .returning(['nonce', 'code_verifier', 'expires_at'])
      .executeTakeFirst();
    if (!row || row.expires_at.getTime() < Date.now()) return undefined;
    return { nonce: row.nonce, codeVerifier: row.code_verifier };
  }

  async findUser(issuer: string, subject: string): Promise<PublicUser | undefined> {
    const link = await this.db.selectFrom('oidc_identities').select('user_id').where('issuer', '=', issuer).where('subject', '=', subject).executeTakeFirst();
    return link ? new UserRepository(this.db).findById(link.user_id) : undefined;
  }

  async link(issuer: string, subject: string, userId: string): Promise<void> {
    await this.db.insertInto('oidc_identities').values({ issuer, subject, user_id: userId }).onConflict((conflict) => conflict.doNothing()).execute();
  }
}
