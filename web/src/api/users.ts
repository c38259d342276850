import { resourceHooks, resourceKeys } from './crud.js';
import type { Role } from './auth.js';

export interface User {
  id: string;
  username: string;
  display_name: string | null;
  role: Role;
  disabled_at: string | null;
  disabled?: boolean;
  last_login_at: string | null;
  created_at: string;
}

export interface UserInput {
  username?: string;
  display_name?: string | null;
  role?: Role;
  password?: string;
  disabled?: boolean;
}

export const userKeys = resourceKeys('users');
export const { useList: useUsers, useSave: useSaveUser, useRemove: useRemoveUser } = resourceHooks<User, UserInput>('/api/v1/users', userKeys, { update: 'PATCH' });
