import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';

import { type ApiAnswer, type ApiQuery, everyOf } from './api-schema.js';
import { resourceHooks, resourceKeys, useItemAction } from './crud.js';
import { api } from './http.js';

/** A run in full, as `/runs/:id` answers it, and a row of the run list (no tables, params or stack); generated from the OpenAPI document. */
export type Run = ApiAnswer<'/api/v1/runs/{id}', 'get'>;
export type RunListItem = ApiAnswer<'/api/v1/runs', 'get'>['items'][number];
export type RunLog = ApiAnswer<'/api/v1/runs/{id}/logs', 'get'>['items'][number];
/** What a retry or resume answers: the new run. */
type RunQueued = ApiAnswer<'/api/v1/runs/{id}/retry', 'post', 201>;
type RunQuery = ApiQuery<'/api/v1/runs', 'get'>;

/**
 * The per-table figures of a run as the UI reads them. The API schema leaves these entries open
 * (`unknown`): the executors write them, and their names vary (`rows` or `rows_copied`, …).
 */
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

/** Runs list with limit/cursor (limit ≤ 200). */
export const runPaging = 'cursor' as const;

/** `incomplete`: every table copied, but schema objects not reproduced (`missing_objects`); never a success. */
export type RunStatus = Run['status'];
export const runStatuses = everyOf<RunStatus>()(['queued', 'running', 'succeeded', 'incomplete', 'failed', 'cancelled']);
/** The kinds and triggers the run list filters by (a run's own `kind` and `trigger` are plain strings in the schema). */
export const runKinds = everyOf<NonNullable<RunQuery['kind']>>()(['sync', 'backup', 'restore', 'verify', 'drill']);
export const runTriggers = everyOf<NonNullable<RunQuery['trigger']>>()(['schedule', 'manual', 'api', 'retry', 'resume', 'cli']);

const base = '/api/v1/runs';
export const runKeys = resourceKeys('runs');
const crud = resourceHooks<Run, never, RunListItem>(base, runKeys);
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
    queryFn: async ({ signal }) => (await api<ApiAnswer<'/api/v1/runs/{id}/logs', 'get'>>(`${base}/${id}/logs`, { query: { limit: 5000 }, signal })).items,
    enabled: Boolean(id),
    // SSE appends lines while active; poll slowly in case the stream is unavailable.
    refetchInterval: active ? 10_000 : false,
  });
}

export const useCancelRun = () => useItemAction<ApiAnswer<'/api/v1/runs/{id}/cancel', 'post', 202>>(base, 'cancel', [[...runKeys.all]]);
export const useResumeRun = () => useItemAction<RunQueued>(base, 'resume', [[...runKeys.all]]);
export const useRetryRun = () => useItemAction<RunQueued>(base, 'retry', [[...runKeys.all]]);

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
        previous.some((item) => item.id === line.id) ? previous : [...previous, line],
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
