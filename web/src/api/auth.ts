import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { type ApiAnswer, type ApiBody, everyOf } from './api-schema.js';
import { ApiError, api, setCsrfToken } from './http.js';

type MeAnswer = ApiAnswer<'/api/v1/auth/me', 'get'>;
type LoginAnswer = ApiAnswer<'/api/v1/auth/login', 'post'> | ApiAnswer<'/api/v1/auth/login', 'post', 202>;
type SessionAnswer = ApiAnswer<'/api/v1/auth/login/totp', 'post'>;
/** A signed-in user, or the password step's challenge when the user has two-factor sign-in. */
export type LoginOutcome = { me: Me; challenge?: undefined } | { me?: undefined; challenge: string };
export type Role = MeAnswer['role'];
/** The signed-in user, with `role` the one in effect (a token may hold less than its user). */
export type Me = MeAnswer['user'];

/** The roles from least to most: each holds every right of those before it. */
export const roles = everyOf<Role>()(['viewer', 'operator', 'admin']);

export const authKeys = { me: ['auth', 'me'] as const };

/** The signed-in user, or null when the session is missing or expired. */
export function useMe() {
  return useQuery({
    queryKey: authKeys.me,
    queryFn: async ({ signal }): Promise<Me | null> => {
      try {
        const body = await api<MeAnswer>('/api/v1/auth/me', { signal });
        return { ...body.user, role: body.role };
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
    retry: false,
  });
}

export function useLogin() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (input: ApiBody<'/api/v1/auth/login', 'post'>): Promise<LoginOutcome> => {
      const body = await api<LoginAnswer>('/api/v1/auth/login', { method: 'POST', body: input });
      if ('challenge_token' in body) return { challenge: body.challenge_token };
      setCsrfToken(body.csrf_token);
      return { me: body.user };
    },
    onSuccess: (outcome) => {
      if (outcome.me) client.setQueryData(authKeys.me, outcome.me);
    },
  });
}

/** The second login step, with a code from the authenticator app or a recovery code. */
export function useSecondFactor() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (input: { challenge: string; code: string; recovery: boolean }): Promise<Me> => {
      const path = input.recovery ? '/api/v1/auth/login/recovery-code' : '/api/v1/auth/login/totp';
      const body = await api<SessionAnswer>(path, { method: 'POST', body: { challenge_token: input.challenge, code: input.code } });
      setCsrfToken(body.csrf_token);
      return body.user;
    },
    onSuccess: (me) => {
      client.setQueryData(authKeys.me, me);
    },
  });
}

export function useLogout() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api<void>('/api/v1/auth/logout', { method: 'POST', body: {} }),
    onSettled: () => {
      setCsrfToken(null);
      client.setQueryData(authKeys.me, null);
      client.removeQueries({ predicate: (query) => query.queryKey[0] !== 'auth' });
    },
  });
}

export function hasRole(me: Me | null | undefined, needed: Role): boolean {
  return Boolean(me && roles.indexOf(me.role) >= roles.indexOf(needed));
}
