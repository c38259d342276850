import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { ApiError, api, setCsrfToken } from './http.js';

export type Role = 'viewer' | 'operator' | 'admin';

export interface Me {
  id: string;
  username: string;
  display_name?: string | null;
  role: Role;
  csrf_token?: string;
  csrfToken?: string;
}

export const authKeys = { me: ['auth', 'me'] as const };

function remember(me: Me): Me {
  setCsrfToken(me.csrf_token ?? me.csrfToken ?? null);
  return me;
}

/** The signed-in user, or null when the session is missing or expired. */
export function useMe() {
  return useQuery({
    queryKey: authKeys.me,
    queryFn: async ({ signal }) => {
      try {
        const body = await api<MeBody>('/api/v1/auth/me', { signal });
        return remember(unwrap(body));
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
    retry: false,
  });
}

type MeBody = Me | { user: Me; role?: Role; csrf_token?: string; csrfToken?: string };

/** `/auth/me` answers `{user, role}` (role = effective role); login answers `{user, csrf_token}`. */
function unwrap(body: MeBody): Me {
  if ('user' in body && body.user) {
    return { ...body.user, role: body.role ?? body.user.role, csrf_token: body.csrf_token ?? body.csrfToken ?? body.user.csrf_token };
  }
  return body as Me;
}

export function useLogin() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (input: { username: string; password: string }) =>
      remember(unwrap(await api<MeBody>('/api/v1/auth/login', { method: 'POST', body: input }))),
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

const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function hasRole(me: Me | null | undefined, needed: Role): boolean {
  return Boolean(me && rank[me.role] >= rank[needed]);
}
