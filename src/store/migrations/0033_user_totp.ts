import { type Kysely, sql } from 'kysely';

// TOTP second factor for local accounts: the secret (SecretBox-sealed), whether enrolment was
// confirmed, and the last time step used (a code is never accepted twice); recovery codes
// stored as SHA-256 hashes, each usable once; and the short-lived challenges that sit between
// a correct password and the second factor (stored hashed, deleted when used).
// Once released, never edit this file: add a new migration instead.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE user_totp (
      id                uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
      secret_encrypted  text NOT NULL,
      confirmed_at      timestamptz,
      last_used_step    bigint,
      created_at        timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE user_recovery_codes (
      id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      code_hash   text NOT NULL UNIQUE,
      used_at     timestamptz,
      created_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX user_recovery_codes_user_idx ON user_recovery_codes (user_id);

    CREATE TABLE login_challenges (
      id_hash     text PRIMARY KEY,
      user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      expires_at  timestamptz NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX login_challenges_expires_idx ON login_challenges (expires_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE login_challenges;
    DROP TABLE user_recovery_codes;
    DROP TABLE user_totp;
  `.execute(db);
}
