import { z } from 'zod';

export type OidcRole = 'admin' | 'operator' | 'viewer';
/** Claim value → role, in the order written; `*` matches any signed-in user. */
export type OidcRoleMap = ReadonlyArray<{ value: string; role: OidcRole }>;

const roles = new Set<string>(['admin', 'operator', 'viewer']);

export function parseRoleMap(text: string): OidcRoleMap {
  const entries = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  return entries.map((entry) => {
    const at = entry.lastIndexOf('=');
    const value = entry.slice(0, at).trim();
    const role = entry.slice(at + 1).trim();
    if (at <= 0 || value === '' || !roles.has(role)) throw new Error(`"${entry}" is not claim-value=admin|operator|viewer`);
    return { value, role: role as OidcRole };
  });
}

const emptyIsUnset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const httpUrl = (what: string) =>
  z
    .string()
    .trim()
    .refine((value) => /^https?:\/\//.test(value) && URL.canParse(value), { error: `expected the ${what} as an http(s) URL` })
    // Plain http only to the same machine (a provider in a test or a local Keycloak).
    .refine((value) => !value.startsWith('http:') || ['localhost', '127.0.0.1', '[::1]'].includes(new URL(value).hostname), {
      error: `the ${what} must use https (plain http only on localhost)`,
    });

/** OIDC sign-in variables (docs/auth.md), spread into the config schema. */
export const oidcConfigFields = {
  /** The provider's issuer URL; setting it turns SSO on (default: unset). */
  PGFERRY_OIDC_ISSUER: z.preprocess(emptyIsUnset, httpUrl('issuer').optional()),
  PGFERRY_OIDC_CLIENT_ID: z.preprocess(emptyIsUnset, z.string().trim().max(500).optional()),
  /** Confidential clients only; a public client uses PKCE alone (default: unset). */
  PGFERRY_OIDC_CLIENT_SECRET: z.preprocess(emptyIsUnset, z.string().max(2000).optional()),
  /** Where the provider sends the browser back: https://<pgferry>/api/v1/auth/oidc/callback. */
  PGFERRY_OIDC_REDIRECT_URL: z.preprocess(emptyIsUnset, httpUrl('redirect URL').optional()),
  PGFERRY_OIDC_SCOPES: z.string().trim().default('openid profile email'),
  /** The claim whose value(s) PGFERRY_OIDC_ROLE_MAP maps, e.g. groups (default: groups). */
  PGFERRY_OIDC_ROLE_CLAIM: z.string().trim().min(1).max(200).default('groups'),
  /** e.g. `pg-admins=admin,pg-ops=operator,*=viewer`; the highest matching role wins (default: unset, which refuses everyone). */
  PGFERRY_OIDC_ROLE_MAP: z
    .string()
    .default('')
    .transform((value, context) => {
      try {
        return parseRoleMap(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: `${(error as Error).message}; e.g. pg-admins=admin,pg-ops=operator,*=viewer` });
        return z.NEVER;
      }
    }),
  /** true: the first sign-in creates the user; false: only users an admin created (same username or email) may sign in (default: false). */
  PGFERRY_OIDC_AUTO_CREATE: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
  /** The sign-in button's text (default: SSO). */
  PGFERRY_OIDC_LABEL: z.string().trim().min(1).max(60).default('SSO'),
  /** off: password login only for PGFERRY_BREAK_GLASS_USER (default: on). */
  PGFERRY_LOCAL_LOGIN: z.enum(['on', 'off']).default('on'),
  /** The one user who may still log in with a password when PGFERRY_LOCAL_LOGIN=off (default: admin, the first admin). */
  PGFERRY_BREAK_GLASS_USER: z.string().trim().min(1).max(100).default('admin'),
};

type OidcFields = z.output<z.ZodObject<typeof oidcConfigFields>>;

/** Cross-variable rules: each problem names the variable to set. */
export function checkOidcConfig(config: OidcFields, context: z.RefinementCtx): void {
  const missing = (variable: string, message: string) => context.addIssue({ code: 'custom', path: [variable], message });
  if (config.PGFERRY_OIDC_ISSUER !== undefined) {
    if (config.PGFERRY_OIDC_CLIENT_ID === undefined) missing('PGFERRY_OIDC_CLIENT_ID', 'required when PGFERRY_OIDC_ISSUER is set (the client id registered at the provider)');
    if (config.PGFERRY_OIDC_REDIRECT_URL === undefined) {
      missing('PGFERRY_OIDC_REDIRECT_URL', 'required when PGFERRY_OIDC_ISSUER is set, e.g. https://pgferry.example.com/api/v1/auth/oidc/callback');
    }
    if (!config.PGFERRY_OIDC_SCOPES.split(/\s+/).includes('openid')) missing('PGFERRY_OIDC_SCOPES', 'must include openid');
  }
  if (config.PGFERRY_LOCAL_LOGIN === 'off' && config.PGFERRY_OIDC_ISSUER === undefined) {
    missing('PGFERRY_LOCAL_LOGIN', 'off needs SSO (set PGFERRY_OIDC_ISSUER), or nobody but the break-glass user could sign in');
  }
}
