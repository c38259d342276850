import type { Kysely } from 'kysely';

import type { OutboundCheck } from '../net/outbound-guard.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { StoreDatabase } from '../store/store-types.js';

/** What routes need from the store; tests pass a real store on a throw-away database. */
export interface AppStore {
  db: Kysely<StoreDatabase>;
}

/**
 * Who may call a route, declared once in its `config.access` (enforced by the auth layer):
 * `public` needs no credentials; the roles are ordered viewer < operator < admin.
 */
export type RouteAccess = 'public' | 'viewer' | 'operator' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
    /** Resource type recorded in the audit log for mutating requests, e.g. `connection`. */
    auditResource?: string;
  }
}

export interface AppServices {
  store: AppStore;
  secrets: SecretBox;
  /** PGFERRY_OUTBOUND_ALLOW: called before connecting to a user's database, storage or channel. */
  outbound: OutboundCheck;
}
