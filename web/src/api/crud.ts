import { type QueryKey, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { type Page, type Query, api } from './http.js';

/** Query keys for one REST resource; every domain file builds its factory from this. */
export function resourceKeys<const Root extends string>(root: Root) {
  return {
    all: [root] as const,
    lists: () => [root, 'list'] as const,
    list: (query: Query = {}) => [root, 'list', query] as const,
    detail: (id: string) => [root, 'detail', id] as const,
    sub: (id: string, what: string, extra: unknown = null) => [root, 'detail', id, what, extra] as const,
  };
}

/** List/get/create/update/delete hooks for a resource at `base` (e.g. /api/v1/connections). */
/** `ListItem`: what the list answers when it carries more than one item does (a job's last run). */
export function resourceHooks<T extends { id: string }, Input, ListItem extends { id: string } = T>(
  base: string,
  keys: ReturnType<typeof resourceKeys>,
  options: { update?: 'PUT' | 'PATCH' } = {},
) {
  const updateMethod = options.update ?? 'PATCH';
  function useList(query: Query = {}, options: { enabled?: boolean; refetchInterval?: number } = {}) {
    return useQuery({
      queryKey: keys.list(query),
      queryFn: ({ signal }) => api<Page<ListItem>>(base, { query, signal }),
      ...options,
    });
  }
  function useOne(id: string | undefined) {
    return useQuery({
      queryKey: keys.detail(id ?? ''),
      queryFn: ({ signal }) => api<T>(`${base}/${encodeURIComponent(id ?? '')}`, { signal }),
      enabled: Boolean(id),
    });
  }
  function useSave() {
    const client = useQueryClient();
    return useMutation({
      mutationFn: ({ id, input }: { id?: string; input: Input }) =>
        id
          ? api<T>(`${base}/${encodeURIComponent(id)}`, { method: updateMethod, body: input })
          : api<T>(base, { method: 'POST', body: input }),
      onSuccess: () => client.invalidateQueries({ queryKey: keys.all as QueryKey }),
    });
  }
  function useRemove() {
    const client = useQueryClient();
    return useMutation({
      mutationFn: (id: string) => api<void>(`${base}/${encodeURIComponent(id)}`, { method: 'DELETE' }),
      onSuccess: () => client.invalidateQueries({ queryKey: keys.all as QueryKey }),
    });
  }
  return { useList, useOne, useSave, useRemove };
}

/** A POST action on one item (`/base/:id/verb`), invalidating the resource afterwards. */
export function useItemAction<Result = unknown, Body = unknown>(base: string, verb: string, invalidate: readonly unknown[][]) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body?: Body }) =>
      api<Result>(`${base}/${encodeURIComponent(id)}/${verb}`, { method: 'POST', body: body ?? {} }),
    onSuccess: async () => {
      for (const key of invalidate) await client.invalidateQueries({ queryKey: key });
    },
  });
}
