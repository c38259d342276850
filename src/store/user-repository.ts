import { type Kysely, type Selectable, sql } from 'kysely';

import { PgferryError } from '../errors/pgferry-error.js';
import { containsPattern } from './like-pattern.js';
import type { Role, StoreDatabase, UsersTable } from './store-types.js';

export type UserRow = Selectable<UsersTable>;
/** A user as shown to callers: never the password hash. */
export type PublicUser = Omit<UserRow, 'password_hash'>;

export interface UserListFilter {
  q?: string | undefined;
  role?: Role | undefined;
  disabled?: boolean | undefined;
  sort?: 'username' | 'created_at' | 'last_login_at' | undefined;
  order?: 'asc' | 'desc' | undefined;
  page: number;
  pageSize: number;
}

const publicColumns = ['id', 'username', 'display_name', 'role', 'disabled_at', 'last_login_at', 'created_at', 'updated_at'] as const;

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === '23505';
}

/** Users of pgferry itself (not database roles). Passwords arrive already hashed. */
export class UserRepository {
  constructor(private readonly db: Kysely<StoreDatabase>) {}

  async create(input: { username: string; passwordHash: string; role: Role; displayName?: string | null }): Promise<PublicUser> {
    try {
      return await this.db
        .insertInto('users')
        .values({
          username: input.username,
          password_hash: input.passwordHash,
          role: input.role,
          display_name: input.displayName ?? null,
        })
        .returning(publicColumns)
        .executeTakeFirstOrThrow();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new PgferryError('PGF_CONFLICT', `a user named "${input.username}" already exists (names are case-insensitive); pick another name`);
      }
      throw error;
    }
  }

  async findById(id: string): Promise<PublicUser | undefined> {
    return this.db.selectFrom('users').select(publicColumns).where('id', '=', id).executeTakeFirst();
  }

  async findByUsernameWithHash(username: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where(sql<string>`lower(username)`, '=', username.toLowerCase()).executeTakeFirst();
  }

  async findByUsername(username: string): Promise<PublicUser | undefined> {
    return this.db.selectFrom('users').select(publicColumns).where(sql<string>`lower(username)`, '=', username.toLowerCase()).executeTakeFirst();
  }

  async list(filter: UserListFilter): Promise<{ items: PublicUser[]; total: number }> {
    let query = this.db.selectFrom('users');
    if (filter.q) {
      const pattern = containsPattern(filter.q);
      query = query.where((eb) => eb.or([eb('username', 'ilike', pattern), eb('display_name', 'ilike', pattern)]));
    }
    if (filter.role) query = query.where('role', '=', filter.role);
    if (filter.disabled !== undefined) query = query.where('disabled_at', filter.disabled ? 'is not' : 'is', null);
    const counted = await query.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow();
    const sort = filter.sort ?? 'username';
    const items = await query
      .select(publicColumns)
      .orderBy(sort, filter.order ?? 'asc')
      .orderBy('id')
      .limit(filter.pageSize)
      .offset((filter.page - 1) * filter.pageSize)
      .execute();
    return { items, total: Number(counted.total) };
  }

  async count(): Promise<number> {
    const row = await this.db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async update(
    id: string,
    changes: { role?: Role; displayName?: string | null; passwordHash?: string; disabled?: boolean },
  ): Promise<PublicUser | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const current = await tx.selectFrom('users').select(['id', 'role', 'disabled_at']).where('id', '=', id).forUpdate().executeTakeFirst();
      if (!current) return undefined;
      const losesAdmin =
        current.role === 'admin' && current.disabled_at === null && ((changes.role !== undefined && changes.role !== 'admin') || changes.disabled === true);
      if (losesAdmin) await assertAnotherActiveAdmin(tx, id);
      const updated = await tx
        .updateTable('users')
        .set({
          ...(changes.role !== undefined ? { role: changes.role } : {}),
          ...(changes.displayName !== undefined ? { display_name: changes.displayName } : {}),
          ...(changes.passwordHash !== undefined ? { password_hash: changes.passwordHash } : {}),
          ...(changes.disabled === true ? { disabled_at: sql<Date>`coalesce(disabled_at, now())` } : {}),
          ...(changes.disabled === false ? { disabled_at: null } : {}),
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', id)
        .returning(publicColumns)
        .executeTakeFirst();
      // A disabled user or a new password ends every open session at once.
      if (changes.disabled === true || changes.passwordHash !== undefined) {
        await tx.deleteFrom('sessions').where('user_id', '=', id).execute();
      }
      return updated;
    });
  }

  async delete(id: string): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const current = await tx.selectFrom('users').select(['role', 'disabled_at']).where('id', '=', id).forUpdate().executeTakeFirst();
      if (!current) return false;
      if (current.role === 'admin' && current.disabled_at === null) await assertAnotherActiveAdmin(tx, id);
      await tx.deleteFrom('users').where('id', '=', id).execute();
      return true;
    });
  }

  async recordLogin(id: string): Promise<void> {
    await this.db.updateTable('users').set({ last_login_at: sql<Date>`now()` }).where('id', '=', id).execute();
  }
}

/** Keeps at least one enabled admin, so nobody locks the whole installation out. */
async function assertAnotherActiveAdmin(tx: Kysely<StoreDatabase>, exceptId: string): Promise<void> {
  // Lock every active admin row so two concurrent demotions cannot both pass the check.
  const others = await tx
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'admin')
    .where('disabled_at', 'is', null)
    .where('id', '!=', exceptId)
    .forUpdate()
    .execute();
  if (others.length === 0) {
    throw new PgferryError('PGF_CONFLICT', 'this is the last enabled admin; make another user admin first, so someone can still manage pgferry');
  }
}
