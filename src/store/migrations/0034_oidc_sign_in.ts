import { type Kysely, sql } from 'kysely';

// OIDC sign-in: a user is linked to a provider's (issuer, subject), never to its mutable
// username or email; a login in flight keeps its state, nonce and PKCE verifier here (keyed by
// the state's hash) so any API process can finish it, and deleting the row makes it single use.
// A user created by OIDC has no password: its password_hash is a marker no password matches.
// Once released, never edit this file: add a new migration instead.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE oidc_identities (
      issuer      text NOT NULL CHECK (length(issuer) <= 500),
      subject     text NOT NULL CHECK (length(subject) <= 255),
      user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      created_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (issuer, subject)
    );
    CREATE INDEX oidc_identities_user_id_idx ON oidc_identities (user_id);

    CREATE TABLE oidc_login_states (
      state_hash     text PRIMARY KEY,
      nonce          text NOT NULL,
      code_verifier  text NOT NULL,
      expires_at     timestamptz NOT NULL
    );
    CREATE INDEX oidc_login_states_expires_at_idx ON oidc_login_states (expires_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE oidc_login_states; DROP TABLE oidc_identities;`.execute(db);
}
