import { resourceHooks, resourceKeys, useItemAction } from './crud.js';

export interface Storage {
  id: string;
  name: string;
  description: string | null;
  kind: 'local' | 's3';
  config: Record<string, unknown>;
  has_secret_access_key: boolean;
  has_encryption_secret: boolean;
  /** Not reported by the API today; the dashboard sums backup sizes instead. */
  used_bytes?: number | null;
  created_at: string;
  updated_at: string;
}

export interface StorageInput {
  name: string;
  description?: string | null;
  kind: 'local' | 's3';
  config: Record<string, unknown>;
  /** Omit to keep the stored one, null to remove. */
  secret_access_key?: string | null;
  encryption_secret?: string | null;
  /** local: create the directory when it does not exist (else 400 PGF_STORAGE_PATH_MISSING). */
  create?: boolean;
}

/** What "Test" answers: a probe object written, read and deleted. */
export interface StorageProbe {
  ok: boolean;
  kind: 'local' | 's3';
  target: string;
  wrote: boolean;
  freeBytes?: number;
  bucketExists?: boolean;
  /** The directory or bucket does not exist; `init` creates it. */
  missing?: boolean;
  latencyMs: number;
  message: string;
}

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
  return useItemAction<{ created: boolean }>(base, 'init', []);
}
