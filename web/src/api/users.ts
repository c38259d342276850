import type { ApiAnswer, ApiBody } from './api-schema.js';
import { resourceHooks, resourceKeys } from './crud.js';

/** A user as the API answers it (generated from the OpenAPI document). */
export type User = ApiAnswer<'/api/v1/users/{id}', 'get'>;
/** Creating takes username, password and role; an update (PATCH) only the fields it changes. */
export type UserInput = ApiBody<'/api/v1/users', 'post'> | ApiBody<'/api/v1/users/{id}', 'patch'>;

export const userKeys = resourceKeys('users');
export const { useList: useUsers, useSave: useSaveUser, useRemove: useRemoveUser } = resourceHooks<User, UserInput>('/api/v1/users', userKeys, { update: 'PATCH' });
