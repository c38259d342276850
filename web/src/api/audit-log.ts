import type { ApiAnswer } from './api-schema.js';
import { resourceHooks, resourceKeys } from './crud.js';

/** A line of the audit log (generated from the OpenAPI document); `resource_name` is null when deleted or nameless. */
export type AuditEntry = ApiAnswer<'/api/v1/audit-log', 'get'>['items'][number];

export const auditKeys = resourceKeys('audit-log');
export const { useList: useAuditLog } = resourceHooks<AuditEntry, never>('/api/v1/audit-log', auditKeys);
