import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import type { ApiAnswer, ApiBody } from './api-schema.js';
import { ApiError, api } from './http.js';

/** A connection's continuous protection and its restorable window (generated from the OpenAPI document). */
export type Protection = ApiAnswer<'/api/v1/connections/{id}/protection', 'get'>;
export type ProtectionInput = ApiBody<'/api/v1/connections/{id}/protection', 'put'>;
export type ProtectionTimeline = ApiAnswer<'/api/v1/connections/{id}/protection/timeline', 'get'>;

const path = (id: string) => `/api/v1/connections/${encodeURIComponent(id)}/protection`;
const keys = { all: ['protection'] as const, one: (id: string) => ['protection', id] as const, timeline: (id: string) => ['protection', id, 'timeline'] as const };

/** The protection of one connection; null when it was never turned on (404). Refreshed every 5 s: lag moves. */
export function useProtection(id: string | undefined) {
  return useQuery({
    queryKey: keys.one(id ?? ''),
    queryFn: async ({ signal }) => {
      try {
        return await api<Protection>(path(id ?? ''), { signal });
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
    enabled: Boolean(id),
    refetchInterval: 5000,
  });
}

export function useProtections() {
  return useQuery({
    queryKey: keys.all,
    queryFn: ({ signal }) => api<{ items: Protection[] }>('/api/v1/protection', { signal }),
    refetchInterval: 15_000,
  });
}

export function useProtectionTimeline(id: string | undefined, enabled: boolean) {
  return useQuery({
    queryKey: keys.timeline(id ?? ''),
    queryFn: ({ signal }) => api<ProtectionTimeline>(`${path(id ?? '')}/timeline`, { signal }),
    enabled: Boolean(id) && enabled,
    refetchInterval: 60_000,
  });
}

export function useSetProtection() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, input }: { id: string; input: ProtectionInput | null }) =>
      input === null ? api<Protection>(path(id), { method: 'DELETE' }) : api<Protection>(path(id), { method: 'PUT', body: input }),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.all }),
  });
}

export type ProtectionRestoreInput = ApiBody<'/api/v1/connections/{id}/protection/restore', 'post'>;

/** Queues a physical restore to a directory on a worker's host (a restore run). */
export function useQueueProtectionRestore() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, input }: { id: string; input: ProtectionRestoreInput }) => api<{ id: string; run_id: string; status: string }>(`${path(id)}/restore`, { method: 'POST', body: input }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['runs'] }),
  });
}
