import { useQuery } from '@tanstack/react-query';

import { api } from './http.js';
import type { paths } from './openapi.gen.js';

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

/** `path` is one the generated types know, so a typo or a renamed route fails the build. */
export function useHasApi(path: keyof paths): boolean {
  return useApiPaths().data?.has(path) ?? false;
}
