import { useMutation, useQueryClient } from '@tanstack/react-query';

import type { Role } from './auth.js';
import { resourceHooks, resourceKeys } from './crud.js';
import { api } from './http.js';

export interface ApiToken {
  id: string;
  user_id?: string;
  username?: string;
  name: string;
  role: Role;
  token_prefix: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

export interface TokenInput {
  name: string;
  role: Role;
  user_id?: string;
  expires_in_days?: number;
}

const base = '/api/v1/tokens';
export const tokenKeys = resourceKeys('tokens');
export const { useList: useTokens } = resourceHooks<ApiToken, TokenInput>(base, tokenKeys);

/** Creating a token answers its secret once; the UI shows it and never again. */
export function useCreateToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: TokenInput) => api<ApiToken & { token: string }>(base, { method: 'POST', body: input }),
    onSuccess: () => client.invalidateQueries({ queryKey: tokenKeys.all }),
  });
}

export function useRevokeToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api<void>(`${base}/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => client.invalidateQueries({ queryKey: tokenKeys.all }),
  });
}
