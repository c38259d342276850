import { resourceHooks, resourceKeys, useItemAction } from './crud.js';

export interface Storage {
  id: string;
  name: string;
  description: string | null;
  kind: 'local' | 's3';
  config: Record<string, unknown>;
  has_secret?: boolean;
  used_bytes?: number | null;
  created_at: string;
  updated_at: string;
}

export interface StorageInput {
  name: string;
  description?: string | null;
  kind: 'local' | 's3';
  config: Record<string, unknown>;
  secret?: string;
}

const base = '/api/v1/storages';
export const storageKeys = resourceKeys('storages');
export const { useList: useStorages, useSave: useSaveStorage, useRemove: useRemoveStorage } = resourceHooks<Storage, StorageInput>(
  base,
  storageKeys,
);

export function useTestStorage() {
  return useItemAction<Record<string, unknown>>(base, 'test', []);
}
