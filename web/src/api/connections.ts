import { useMutation, useQuery } from '@tanstack/react-query';

import { resourceHooks, resourceKeys } from './crud.js';
import { api } from './http.js';

export const sslModes = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;

export interface Connection {
  id: string;
  name: string;
  description: string | null;
  host: string;
  port: number;
  database: string;
  user: string;
  has_password: boolean;
  sslmode: (typeof sslModes)[number];
  application_name: string | null;
  connect_timeout: number | null;
  options: string | null;
  protected: boolean;
  tags: string[];
  created_at: string;
  updated_at: string;
}

export interface ConnectionInput {
  name: string;
  description?: string | null;
  url?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  sslmode?: string;
  application_name?: string | null;
  connect_timeout?: number | null;
  options?: string | null;
  protected?: boolean;
  tags?: string[];
}

/** What "Test" answers; the failure case carries a classified error code and message. */
export interface RoleCheck {
  ok: boolean;
  missing: string[];
}

export interface ConnectionTestResult {
  ok: boolean;
  target?: string;
  connect_ms?: number | null;
  current_user?: string | null;
  source?: RoleCheck | null;
  destination?: RoleCheck | null;
  server_version?: string | null;
  latency_ms?: number | null;
  database_size_bytes?: number | null;
  error?: { code: string; message: string } | null;
  [key: string]: unknown;
}

export interface SchemaInfo {
  name: string;
  table_count?: number;
  [key: string]: unknown;
}

export interface TableInfo {
  schema: string;
  name: string;
  estimated_rows?: number | null;
  total_bytes?: number | null;
  kind?: 'table' | 'partitioned';
  primary_key?: string[] | null;
  has_primary_key?: boolean;
  has_unique_key?: boolean;
  partition_count?: number;
}

export interface ColumnInfo {
  name: string;
  data_type: string;
  nullable: boolean;
  default: string | null;
  identity?: string | null;
  generated?: string | null;
}

export interface ForeignKeyInfo {
  name: string;
  columns: string[];
  referenced_schema: string;
  referenced_table: string;
  referenced_columns: string[];
}

export interface TableDetail {
  table: TableInfo;
  columns: ColumnInfo[];
  keys: { name: string; kind: 'primary' | 'unique'; columns: string[] }[];
  foreign_keys: ForeignKeyInfo[];
  referenced_by: ForeignKeyInfo[];
}

/** Connections list with page/page_size (strict query: no cursor). */
export const connectionPaging = 'page' as const;

const base = '/api/v1/connections';
export const connectionKeys = resourceKeys('connections');
export const { useList: useConnections, useOne: useConnection, useSave: useSaveConnection, useRemove: useRemoveConnection } =
  resourceHooks<Connection, ConnectionInput>(base, connectionKeys, { update: 'PUT' });

/** Test a saved connection (id) or unsaved form values (input). */
export function useTestConnection() {
  return useMutation({
    mutationFn: ({ id, input }: { id?: string; input?: ConnectionInput }) =>
      id
        ? api<ConnectionTestResult>(`${base}/${encodeURIComponent(id)}/test`, { method: 'POST', body: {} })
        : api<ConnectionTestResult>(`${base}/test`, { method: 'POST', body: input }),
  });
}

function items<T>(body: T[] | { items: T[] }): T[] {
  return Array.isArray(body) ? body : body.items;
}

export function useSchemas(id: string | undefined) {
  return useQuery({
    queryKey: connectionKeys.sub(id ?? '', 'schemas'),
    queryFn: async ({ signal }) => items(await api<SchemaInfo[] | { items: SchemaInfo[] }>(`${base}/${id}/schemas`, { signal })),
    enabled: Boolean(id),
    staleTime: 30_000,
  });
}

export function useTables(id: string | undefined, schema: string | undefined) {
  return useQuery({
    queryKey: connectionKeys.sub(id ?? '', 'tables', schema ?? null),
    queryFn: async ({ signal }) =>
      items(
        await api<TableInfo[] | { items: TableInfo[] }>(`${base}/${id}/tables`, { query: { schema: schema ?? '' }, signal }),
      ),
    enabled: Boolean(id && schema),
    staleTime: 30_000,
  });
}

export function useTableDetail(id: string | undefined, schema: string | undefined, table: string | undefined) {
  return useQuery({
    queryKey: connectionKeys.sub(id ?? '', 'table', [schema, table]),
    queryFn: ({ signal }) =>
      api<TableDetail>(`${base}/${id}/tables/${encodeURIComponent(schema ?? '')}/${encodeURIComponent(table ?? '')}`, { signal }),
    enabled: Boolean(id && schema && table),
    staleTime: 30_000,
  });
}
