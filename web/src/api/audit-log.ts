import { resourceHooks, resourceKeys } from './crud.js';

export interface AuditEntry {
  id: string | number;
  at: string;
  actor_type: string;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  /** The resource's current name, resolved by the server; null when deleted or nameless. */
  resource_name: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  request_body: unknown;
  status: number | null;
}

export const auditKeys = resourceKeys('audit-log');
export const { useList: useAuditLog } = resourceHooks<AuditEntry & { id: string }, never>('/api/v1/audit-log', auditKeys);
