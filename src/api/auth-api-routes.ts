import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

import type { Config } from '../config/config-schema.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { AppStore } from './app-context.js';
import { auditRoutes } from './audit-routes.js';
import { authRoutes } from './auth-routes.js';
import { oidcRoutes } from './oidc-routes.js';
import { tokenRoutes } from './token-routes.js';
import { totpRoutes } from './totp-routes.js';
import { userRoutes } from './user-routes.js';

/** Login (password, second factor and SSO), users, tokens and the audit log, registered with the other feature routes. */
export function authApiRoutes(deps: { config: Config; store: AppStore; secrets: SecretBox }): FastifyPluginAsyncZod {
  return async (app) => {
    await app.register(authRoutes(deps));
    await app.register(totpRoutes(deps));
    await app.register(oidcRoutes(deps));
    await app.register(userRoutes(deps));
    await app.register(tokenRoutes(deps));
    await app.register(auditRoutes(deps));
  };
}
