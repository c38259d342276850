import { type Kysely, sql } from 'kysely';

import { PgferryError } from '../errors/pgferry-error.js';
import type { Role, StoreDatabase } from './store-types.js';

export interface ApiTokenView {
  id: string;
  user_id: string;
  username: string;
  name: string;
  role: Role;
  token_prefix: string;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  created_at: Date;
}

export interface TokenPrincipalRow {
  id: string;
  name: string;
  role: Role;
  user_id: string;
  username: string;
  user_role: Role;
  last_used_at: Date | null;
}

const viewColumns = [
  'api_tokens.id',
  'api_tokens.user_id',
  'users.username',
  'api_tokens.name',
  'api_tokens.role',
  'api_tokens.token_prefix',
  'api_tokens.last_used_at',
  'api_tokens.expires_at',
  'api_tokens.revoked_at',
  'api_tokens.created_at',
] as const;

/** Bearer tokens for the CLI and automation; only their SHA-256 is stored. */
export class ApiTokenRepository {
  constructor(private readonly db: Kysely<StoreDatabase>) {}

  async create(input: { userId: string; name: string; role: Role; prefix: string; hash: string; expiresAt: Date | null }): Promise<ApiTokenView> {
    try {
      const row = await this.db
        .insertInto('api_tokens')
        .values({
          user_id: input.userId,
          name: input.name,
          role: input.role,
          token_prefix: input.prefix,
          token_hash: input.hash,
          expires_at: input.expiresAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const view = await this.findById(row.id);
      if (!view) throw new Error('token vanished after insert');
      return view;
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw new PgferryError('PGF_CONFLICT', `this user already has a token named "${input.name}"; revoke it or pick another name`);
      }
      throw error;
    }
  }

  async findById(id: string): Promise<ApiTokenView | undefined> {
    return this.db.selectFrom('api_tokens').innerJoin('users', 'users.id', 'api_tokens.user_id').select(viewColumns).where('api_tokens.id', '=', id).executeTakeFirst();
  }

  async list(filter: { userId?: string | undefined; includeRevoked: boolean; page: number; pageSize: number }): Promise<{ items: ApiTokenView[]; total: number }> {
    let query = this.db.selectFrom('api_tokens').innerJoin('users', 'users.id', 'api_tokens.user_id');
    if (filter.userId) query = query.where('api_tokens.user_id', '=', filter.userId);
    if (!filter.includeRevoked) query = query.where('api_tokens.revoked_at', 'is', null);
    const counted = await query.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow();
    const items = await query
      .select(viewColumns)
      .orderBy('api_tokens.created_at', 'desc')
      .orderBy('api_tokens.id')
      .limit(filter.pageSize)
      .offset((filter.page - 1) * filter.pageSize)
      .execute();
    return { items, total: Number(counted.total) };
  }

  /** A usable token with its user: not revoked, not expired, user enabled. */
  async findActiveByHash(hash: string): Promise<TokenPrincipalRow | undefined> {
    return this.db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .select([
        'api_tokens.id',
        'api_tokens.name',
        'api_tokens.role',
        'api_tokens.last_used_at',
        'users.id as user_id',
        'users.username',
        'users.role as user_role',
      ])
      .where('api_tokens.token_hash', '=', hash)
      .where('api_tokens.revoked_at', 'is', null)
      .where((eb) => eb.or([eb('api_tokens.expires_at', 'is', null), eb('api_tokens.expires_at', '>', sql<Date>`now()`)]))
      .where('users.disabled_at', 'is', null)
      .executeTakeFirst();
  }

  /** At most one write a minute per token: busy automation must not turn reads into writes. */
  async touch(id: string): Promise<void> {
    await this.db
      .updateTable('api_tokens')
      .set({ last_used_at: sql<Date>`now()` })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`)]))
      .execute();
  }

  /** Idempotent: revoking a revoked token keeps its first revocation time. */
  async revoke(id: string): Promise<ApiTokenView | undefined> {
    const result = await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: sql<Date>`coalesce(revoked_at, now())` })
      .where('id', '=', id)
      .returning('id')
      .executeTakeFirst();
    return result ? this.findById(result.id) : undefined;
  }

  async findByUserAndName(userId: string, name: string): Promise<ApiTokenView | undefined> {
    return this.db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .select(viewColumns)
      .where('api_tokens.user_id', '=', userId)
      .where('api_tokens.name', '=', name)
      .executeTakeFirst();
  }
}
