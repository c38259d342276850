import { useQuery } from '@tanstack/react-query';

import type { ApiAnswer } from './api-schema.js';
import { api } from './http.js';

export type AuthProviders = ApiAnswer<'/api/v1/auth/providers', 'get'>;

/** How one may sign in here (public): SSO and its label, and whether password login is on. */
export function useAuthProviders() {
  return useQuery({
    queryKey: ['auth', 'providers'] as const,
    queryFn: ({ signal }) => api<AuthProviders>('/api/v1/auth/providers', { signal }),
    staleTime: 5 * 60_000,
  });
}
