import type { ApiAnswer, ApiBody } from './api-schema.js';
import { resourceHooks, resourceKeys, useItemAction } from './crud.js';

/** A storage as the API answers it, and what saving one takes (generated from the OpenAPI document). */
export type Storage = ApiAnswer<'/api/v1/storages/{id}', 'get'>;
export type StorageInput = ApiBody<'/api/v1/storages', 'post'>;
/** What "Test" answers: a probe object written, read and deleted. */
export type StorageProbe = ApiAnswer<'/api/v1/storages/{id}/test', 'post'>;

export const storagePaging = 'page' as const;

const base = '/api/v1/storages';
export const storageKeys = resourceKeys('storages');
export const { useList: useStorages, useSave: useSaveStorage, useRemove: useRemoveStorage } = resourceHooks<Storage, StorageInput>(
  base,
  storageKeys,
  { update: 'PUT' },
);

export function useTestStorage() {
  return useItemAction<StorageProbe>(base, 'test', []);
}

export function useInitStorage() {
  return useItemAction<ApiAnswer<'/api/v1/storages/{id}/init', 'post'>>(base, 'init', []);
}
