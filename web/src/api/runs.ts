import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';

import { resourceHooks, resourceKeys, useItemAction } from './crud.js';
import { type Page, type Query, api } from './http.js';

/** Runs list with limit/cursor (limit ≤ 200). */
export const runPaging = 'cursor' as const;

/** `incomplete`: every table copied, but schema objects not reproduced (`missing_objects`); never a success. */
export const runStatuses = ['queued', 'running', 'succeeded', 'incomplete', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof runStatuses)[number];
export const runKinds = ['sync', 'backup', 'restore', 'verify', 'drill'] as const;
export const runTriggers = ['schedule', 'manual', 'api', 'retry', 'resume', 'cli'] as const;

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
  /** Schema objects the run did not reproduce on the destination (run detail only). */
  missing_objects?: { object: string; reason: string }[];
  worker_id: string | null;
  created_by?: string | null;
  duration_ms?: number | null;
  job_id?: string | null;
  /** What the run was asked to do (run detail only); a restore's holds target_database. */
  params?: Record<string, unknown>;
}

export interface RunLog {
  id: number | string;
  at: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  table: string | null;
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
  const client = useQueryClient();
  const [wasActive, setWasActive] = useState(active);
  // A run seen finishing (by SSE or by the poll) gets its complete log once more.
  useEffect(() => {
    if (wasActive && !active && id) void client.invalidateQueries({ queryKey: runKeys.sub(id, 'logs') });
    setWasActive(active);
  }, [active, wasActive, id, client]);
  return useQuery({
    queryKey: runKeys.sub(id ?? '', 'logs'),
    queryFn: async ({ signal }) => {
      const body = await api<Page<RunLog> | RunLog[]>(`${base}/${id}/logs`, { query: { limit: 5000 } as Query, signal });
      return Array.isArray(body) ? body : body.items;
    },
    enabled: Boolean(id),
    // SSE appends lines while active; poll slowly in case the stream is unavailable.
    refetchInterval: active ? 10_000 : false,
  });
}

export const useCancelRun = () => useItemAction(base, 'cancel', [[...runKeys.all]]);
export const useResumeRun = () => useItemAction<{ id?: string; run_id?: string }>(base, 'resume', [[...runKeys.all]]);
export const useRetryRun = () => useItemAction<{ id?: string; run_id?: string }>(base, 'retry', [[...runKeys.all]]);

/**
 * Live updates from `/runs/:id/events` (SSE): `run` carries the whole run (status and
 * per-table figures) and replaces the cached detail, `log` appends a line, `end` closes.
 * Returns whether the stream is connected; the detail query polls as a fallback.
 */
export function useRunEvents(id: string | undefined, active: boolean): boolean {
  const client = useQueryClient();
  const [connected, setConnected] = useState(false);
  // Once streaming, keep the stream until its `end` event: the final `run` event arrives
  // before the last log lines, and closing on it would lose them.
  const [streaming, setStreaming] = useState(false);
  useEffect(() => {
    if (active) setStreaming(true);
  }, [active]);
  useEffect(() => {
    setStreaming(false);
  }, [id]);
  useEffect(() => {
    if (!id || !streaming || typeof EventSource === 'undefined') return undefined;
    const source = new EventSource(`${base}/${encodeURIComponent(id)}/events`, { withCredentials: true });
    const parse = (event: Event): unknown => {
      try {
        return JSON.parse((event as MessageEvent<string>).data);
      } catch {
        return null;
      }
    };
    source.onopen = () => setConnected(true);
    source.onerror = () => setConnected(false);
    source.addEventListener('run', (event) => {
      const run = parse(event) as Run | null;
      if (run && run.id === id) client.setQueryData(runKeys.detail(id), run);
    });
    source.addEventListener('log', (event) => {
      const line = parse(event) as RunLog | null;
      if (!line) return;
      client.setQueryData<RunLog[]>(runKeys.sub(id, 'logs'), (previous = []) =>
        previous.some((item) => String(item.id) === String(line.id)) ? previous : [...previous, line],
      );
    });
    source.addEventListener('end', () => {
      source.close();
      setConnected(false);
      setStreaming(false);
      void client.invalidateQueries({ queryKey: runKeys.detail(id) });
      void client.invalidateQueries({ queryKey: runKeys.sub(id, 'logs') });
    });
    return () => {
      source.close();
      setConnected(false);
    };
  }, [id, streaming, client]);
  return connected;
}
