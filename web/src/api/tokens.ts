import { useMutation, useQueryClient } from '@tanstack/react-query';

import type { ApiAnswer, ApiBody } from './api-schema.js';
import { resourceHooks, resourceKeys } from './crud.js';
import { api } from './http.js';

/** An API token as listed, what creating one takes, and the answer that carries its secret (generated from the OpenAPI document). */
export type ApiToken = ApiAnswer<'/api/v1/tokens', 'get'>['items'][number];
export type TokenInput = ApiBody<'/api/v1/tokens', 'post'>;
export type CreatedToken = ApiAnswer<'/api/v1/tokens', 'post', 201>;

const base = '/api/v1/tokens';
export const tokenKeys = resourceKeys('tokens');
export const { useList: useTokens } = resourceHooks<ApiToken, TokenInput>(base, tokenKeys);

/** Creating a token answers its secret once; the UI shows it and never again. */
export function useCreateToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: TokenInput) => api<CreatedToken>(base, { method: 'POST', body: input }),
    onSuccess: () => client.invalidateQueries({ queryKey: tokenKeys.all }),
  });
}

/** Revoking answers the revoked token. */
export function useRevokeToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api<ApiAnswer<'/api/v1/tokens/{id}', 'delete'>>(`${base}/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => client.invalidateQueries({ queryKey: tokenKeys.all }),
  });
}
