import type { RouteAccess } from '../auth/route-access.js';

import type { OutboundCheck } from '../net/outbound-guard.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { AppStore } from '../store/app-store.js';

export type { AppStore } from '../store/app-store.js';
export type { RouteAccess } from '../auth/route-access.js';

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
