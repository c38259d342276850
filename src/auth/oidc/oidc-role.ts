import type { OidcRole, OidcRoleMap } from '../../config/oidc-config.js';
import { PgferryError } from '../../errors/pgferry-error.js';

const rank: Record<OidcRole, number> = { viewer: 1, operator: 2, admin: 3 };

/** The highest role any of the claim's values (a string or a list) maps to; `*` maps everyone. */
export function roleFromClaims(claims: Record<string, unknown>, claimName: string, map: OidcRoleMap): OidcRole {
  const raw = claims[claimName];
  const values = new Set((Array.isArray(raw) ? raw : [raw]).filter((value): value is string => typeof value === 'string'));
  let best: OidcRole | undefined;
  for (const entry of map) {
    if (entry.value !== '*' && !values.has(entry.value)) continue;
    if (best === undefined || rank[entry.role] > rank[best]) best = entry.role;
  }
  if (best === undefined) {
    throw new PgferryError('PGF_OIDC_NO_ROLE', `no entry of PGFERRY_OIDC_ROLE_MAP matches this user's "${claimName}" claim; map one of their groups to a role (or add *=viewer)`);
  }
  return best;
}
