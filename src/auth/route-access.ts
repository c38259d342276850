/**
 * Who may call a route, declared once in its `config.access` (enforced by the auth layer):
 * `public` needs no credentials; the roles are ordered viewer < operator < admin.
 */
export type RouteAccess = 'public' | 'viewer' | 'operator' | 'admin';
