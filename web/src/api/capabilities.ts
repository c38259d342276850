import { useQuery } from '@tanstack/react-query';

import { api } from './http.js';

export const capabilityKeys = { paths: ['capabilities', 'paths'] as const };

/**
 * The routes this server has, read from its public OpenAPI document, so the UI can hide an
 * action whose API is not served (rather than offer a button that always fails).
 */
export function useApiPaths() {
  return useQuery({
    queryKey: capabilityKeys.paths,
    queryFn: async ({ signal }) => new Set(Object.keys((await api<{ paths?: Record<string, unknown> }>('/api/v1/openapi.json', { signal })).paths ?? {})),
    staleTime: Infinity,
  });
}

export function useHasApi(path: string): boolean {
  return useApiPaths().data?.has(path) ?? false;
}
