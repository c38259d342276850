import type { RouteAccess } from './route-access.js';
import type { Role } from '../store/store-types.js';

export const roles = ['viewer', 'operator', 'admin'] as const satisfies readonly Role[];

const rank: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

/** Whether `role` may call a route declared with `access`; `public` routes need no role. */
export function roleSatisfies(role: Role, access: RouteAccess): boolean {
  return access === 'public' || rank[role] >= rank[access];
}

/** The lower of two roles: a token never grants more than its user currently has. */
export function lowerRole(a: Role, b: Role): Role {
  return rank[a] <= rank[b] ? a : b;
}

/** Routes that forgot to declare `config.access` are admin-only: fail closed, never open. */
export function effectiveAccess(declared: RouteAccess | undefined): RouteAccess {
  return declared ?? 'admin';
}
