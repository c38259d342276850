import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import type { ApiAnswer, ApiBody } from './api-schema.js';
import { api } from './http.js';

type TotpStatus = ApiAnswer<'/api/v1/auth/totp', 'get'>;
export type TotpEnrolment = ApiAnswer<'/api/v1/auth/totp/enrol', 'post'>;
type RecoveryCodes = ApiAnswer<'/api/v1/auth/totp/confirm', 'post'>;

const totpKey = ['auth', 'totp'] as const;

/** The caller's two-factor state, and whether PGFERRY_REQUIRE_2FA_FOR_ADMINS asks it of them. */
export function useTotpStatus(enabled = true) {
  return useQuery({ queryKey: totpKey, queryFn: ({ signal }) => api<TotpStatus>('/api/v1/auth/totp', { signal }), enabled });
}

function useTotpChange<Input, Answer>(path: string, body: (input: Input) => unknown) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: Input) => api<Answer>(path, { method: 'POST', body: body(input) }),
    onSuccess: () => client.invalidateQueries({ queryKey: totpKey }),
  });
}

export const useStartTotp = () => useTotpChange<void, TotpEnrolment>('/api/v1/auth/totp/enrol', () => ({}));
export const useConfirmTotp = () => useTotpChange<string, RecoveryCodes>('/api/v1/auth/totp/confirm', (code) => ({ code }));
export const useDisableTotp = () => useTotpChange<ApiBody<'/api/v1/auth/totp/disable', 'post'>, void>('/api/v1/auth/totp/disable', (input) => input);
export const useRegenerateRecoveryCodes = () => useTotpChange<string, RecoveryCodes>('/api/v1/auth/totp/recovery-codes', (code) => ({ code }));
