import { useMutation, useQuery } from '@tanstack/react-query';

import { type ApiAnswer, type ApiBody, everyOf } from './api-schema.js';
import { resourceHooks, resourceKeys } from './crud.js';
import { api } from './http.js';

/** A saved connection as the API answers it, and what saving one takes (generated from the OpenAPI document). */
export type Connection = ApiAnswer<'/api/v1/connections/{id}', 'get'>;
export type ConnectionInput = ApiBody<'/api/v1/connections', 'post'>;
export type SslMode = Connection['sslmode'];
/** What "Test" answers; the failure case carries a classified error code and message. */
export type ConnectionTestResult = ApiAnswer<'/api/v1/connections/{id}/test', 'post'>;
/** Unsaved form values to test: the connection fields, without needing a name. */
export type ConnectionTestInput = ApiBody<'/api/v1/connections/test', 'post'>;
type SchemaList = ApiAnswer<'/api/v1/connections/{id}/schemas', 'get'>;
type TableList = ApiAnswer<'/api/v1/connections/{id}/tables', 'get'>;
export type SchemaInfo = SchemaList['items'][number];
export type TableInfo = TableList['items'][number];
export type TableDetail = ApiAnswer<'/api/v1/connections/{id}/tables/{schema}/{table}', 'get'>;

/** The modes from least to most secure, as libpq orders them. */
export const sslModes = everyOf<SslMode>()(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']);

/** Connections list with page/page_size (strict query: no cursor). */
export const connectionPaging = 'page' as const;

const base = '/api/v1/connections';
export const connectionKeys = resourceKeys('connections');
export const { useList: useConnections, useOne: useConnection, useSave: useSaveConnection, useRemove: useRemoveConnection } =
  resourceHooks<Connection, ConnectionInput>(base, connectionKeys, { update: 'PUT' });

/** Test a saved connection (id) or unsaved form values (input). */
export function useTestConnection() {
  return useMutation({
    mutationFn: ({ id, input }: { id?: string; input?: ConnectionTestInput }) =>
      id
        ? api<ConnectionTestResult>(`${base}/${encodeURIComponent(id)}/test`, { method: 'POST', body: {} })
        : api<ConnectionTestResult>(`${base}/test`, { method: 'POST', body: input }),
  });
}

export function useSchemas(id: string | undefined) {
  return useQuery({
    queryKey: connectionKeys.sub(id ?? '', 'schemas'),
    queryFn: async ({ signal }) => (await api<SchemaList>(`${base}/${id}/schemas`, { signal })).items,
    enabled: Boolean(id),
    staleTime: 30_000,
  });
}

export function useTables(id: string | undefined, schema: string | undefined) {
  return useQuery({
    queryKey: connectionKeys.sub(id ?? '', 'tables', schema ?? null),
    queryFn: async ({ signal }) => (await api<TableList>(`${base}/${id}/tables`, { query: { schema: schema ?? '' }, signal })).items,
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
