import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';

import { resourceHooks, resourceKeys, useItemAction } from './crud.js';
import { type Page, type Query, api } from './http.js';

export const runStatuses = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof runStatuses)[number];
export const runKinds = ['sync', 'backup', 'restore', 'verify', 'drill'] as const;

export interface RunTable {
  name?: string;
  table?: string;
  schema?: string;
  status?: string;
  rows?: number;
  bytes?: number;
  estimated_rows?: number | null;
  total_rows?: number | null;
  rows_per_s?: number | null;
  error?: string | null;
  [key: string]: unknown;
}

export interface Run {
  id: string;
  kind: (typeof runKinds)[number];
  sync_job_id: string | null;
  backup_job_id: string | null;
  job_name: string | null;
  trigger: string;
  status: RunStatus;
  queued_at: string;
  started_at: string | null;
  finished_at: string | null;
  attempt: number;
  tables: RunTable[];
  total_rows: number;
  total_bytes: number;
  error_code: string | null;
  error_message: string | null;
  error_stack: string | null;
  worker_id: string | null;
  created_by?: string | null;
}

export interface RunLog {
  id: number | string;
  at: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  table_name: string | null;
}

const base = '/api/v1/runs';
export const runKeys = resourceKeys('runs');
const crud = resourceHooks<Run, never>(base, runKeys);
export const useRuns = crud.useList;

export function useRun(id: string | undefined) {
  return useQuery({
    queryKey: runKeys.detail(id ?? ''),
    queryFn: ({ signal }) => api<Run>(`${base}/${id}`, { signal }),
    enabled: Boolean(id),
    // SSE drives live updates; the poll is the fallback when the stream is unavailable.
    refetchInterval: (query) => (query.state.data && isActive(query.state.data.status) ? 5000 : false),
  });
}

export function isActive(status: RunStatus): boolean {
  return status === 'queued' || status === 'running';
}

export function useRunLogs(id: string | undefined, active: boolean) {
  return useQuery({
    queryKey: runKeys.sub(id ?? '', 'logs'),
    queryFn: async ({ signal }) => {
      const body = await api<Page<RunLog> | RunLog[]>(`${base}/${id}/logs`, { query: { limit: 500 } as Query, signal });
      return Array.isArray(body) ? body : body.items;
    },
    enabled: Boolean(id),
    refetchInterval: active ? 3000 : false,
  });
}

export const useCancelRun = () => useItemAction(base, 'cancel', [[...runKeys.all]]);
export const useResumeRun = () => useItemAction<{ id?: string; run_id?: string }>(base, 'resume', [[...runKeys.all]]);
export const useRetryRun = () => useItemAction<{ id?: string; run_id?: string }>(base, 'retry', [[...runKeys.all]]);

export interface LiveState {
  connected: boolean;
  tables: Record<string, RunTable>;
  lastEventAt: number | null;
}

function tableName(data: Record<string, unknown>): string | null {
  const table = data.table ?? data.name ?? data.table_name;
  if (typeof table === 'string') {
    const schema = typeof data.schema === 'string' ? data.schema : null;
    return schema && !table.includes('.') ? `${schema}.${table}` : table;
  }
  return null;
}

/** Live per-table progress from `/runs/:id/events` (SSE); refreshes the run and its log on changes. */
export function useRunEvents(id: string | undefined, active: boolean): LiveState {
  const client = useQueryClient();
  const [state, setState] = useState<LiveState>({ connected: false, tables: {}, lastEventAt: null });
  useEffect(() => {
    if (!id || !active || typeof EventSource === 'undefined') return undefined;
    const source = new EventSource(`${base}/${encodeURIComponent(id)}/events`, { withCredentials: true });
    const handle = (type: string, raw: string) => {
      let data: Record<string, unknown> = {};
      try {
        data = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return;
      }
      const kind = typeof data.type === 'string' ? data.type : type;
      const name = tableName(data);
      setState((previous) => {
        const tables = { ...previous.tables };
        if (name) tables[name] = { ...tables[name], ...data, name };
        if (Array.isArray(data.tables)) {
          for (const item of data.tables as RunTable[]) {
            const key = tableName(item as Record<string, unknown>);
            if (key) tables[key] = { ...tables[key], ...item, name: key };
          }
        }
        return { connected: true, tables, lastEventAt: Date.now() };
      });
      if (/done|status|finished|log|start/.test(kind)) {
        void client.invalidateQueries({ queryKey: runKeys.detail(id) });
        void client.invalidateQueries({ queryKey: runKeys.sub(id, 'logs') });
      }
    };
    source.onopen = () => setState((previous) => ({ ...previous, connected: true }));
    source.onerror = () => setState((previous) => ({ ...previous, connected: false }));
    source.onmessage = (event: MessageEvent<string>) => handle('message', event.data);
    const named = ['table:start', 'table:progress', 'table:done', 'run:start', 'run:done', 'run:status', 'progress', 'status', 'log'];
    for (const name of named) source.addEventListener(name, (event) => handle(name, (event as MessageEvent<string>).data));
    return () => source.close();
  }, [id, active, client]);
  return state;
}
