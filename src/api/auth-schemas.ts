import { z } from 'zod';

import { roles } from '../auth/roles.js';
import type { ApiTokenView } from '../store/api-token-repository.js';
import type { AuditRow } from '../store/audit-repository.js';
import type { PublicUser } from '../store/user-repository.js';

const iso = (value: Date | null) => (value === null ? null : value.toISOString());

export const roleSchema = z.enum(roles);
export const usernameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.@-]{1,100}$/, { error: 'use 1-100 letters, digits, "_", ".", "@" or "-"' });
export const idParamsSchema = z.object({ id: z.uuid({ error: 'expected a UUID' }) });

export const userSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    display_name: z.string().nullable(),
    role: roleSchema,
    disabled: z.boolean(),
    disabled_at: z.string().nullable(),
    last_login_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .describe('User');

export function toUserBody(user: PublicUser): z.infer<typeof userSchema> {
  return {
    id: user.id,
    username: user.username,
    display_name: user.display_name,
    role: user.role,
    disabled: user.disabled_at !== null,
    disabled_at: iso(user.disabled_at),
    last_login_at: iso(user.last_login_at),
    created_at: user.created_at.toISOString(),
    updated_at: user.updated_at.toISOString(),
  };
}

export const tokenSchema = z
  .object({
    id: z.string(),
    user_id: z.string(),
    username: z.string(),
    name: z.string(),
    role: roleSchema,
    token_prefix: z.string().describe('First characters of the token, to tell tokens apart'),
    last_used_at: z.string().nullable(),
    expires_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
    created_at: z.string(),
  })
  .describe('ApiToken');

export function toTokenBody(token: ApiTokenView): z.infer<typeof tokenSchema> {
  return {
    id: token.id,
    user_id: token.user_id,
    username: token.username,
    name: token.name,
    role: token.role,
    token_prefix: token.token_prefix,
    last_used_at: iso(token.last_used_at),
    expires_at: iso(token.expires_at),
    revoked_at: iso(token.revoked_at),
    created_at: token.created_at.toISOString(),
  };
}

export const auditEntrySchema = z
  .object({
    id: z.string(),
    at: z.string(),
    actor_type: z.enum(['user', 'token', 'system', 'anonymous']),
    actor_id: z.string().nullable(),
    actor_name: z.string().nullable(),
    actor_token_id: z.string().nullable(),
    action: z.string(),
    resource_type: z.string().nullable(),
    resource_id: z.string().nullable(),
    resource_name: z.string().nullable().describe("The resource's current name (null when it has none or was deleted); resource_id stays the reference"),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    request_id: z.string().nullable(),
    request_body: z.unknown().describe('The request body with secret fields replaced by "[redacted]"'),
    status: z.number().int().nullable(),
  })
  .describe('AuditEntry');

export function toAuditBody(row: AuditRow, resourceName: string | null = null): z.infer<typeof auditEntrySchema> {
  return {
    id: String(row.id),
    at: row.at.toISOString(),
    actor_type: row.actor_type,
    actor_id: row.actor_id,
    actor_name: row.actor_name,
    actor_token_id: row.actor_token_id,
    action: row.action,
    resource_type: row.resource_type,
    resource_id: row.resource_id,
    resource_name: resourceName,
    ip: row.ip,
    user_agent: row.user_agent,
    request_id: row.request_id,
    request_body: row.request_body ?? null,
    status: row.status,
  };
}

export const pageQuery = {
  page: z.coerce.number().int().min(1).max(100000).default(1),
  page_size: z.coerce.number().int().min(1).max(500).default(50),
};
