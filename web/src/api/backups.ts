import { useMutation, useQueryClient } from '@tanstack/react-query';

import type { ApiAnswer, ApiBody } from './api-schema.js';
import { resourceHooks, resourceKeys, useItemAction } from './crud.js';
import { api, withQuery } from './http.js';
import { runKeys } from './runs.js';

/** A backup as the API answers it (generated from the OpenAPI document). */
export type Backup = ApiAnswer<'/api/v1/backups/{id}', 'get'>;
/** Body of `POST /api/v1/backups/:id/restore`, and its answer: the queued restore run. */
export type RestoreInput = ApiBody<'/api/v1/backups/{id}/restore', 'post'>;
export type RestoreStarted = ApiAnswer<'/api/v1/backups/{id}/restore', 'post', 202>;
export type VerifyResult = ApiAnswer<'/api/v1/backups/{id}/verify', 'post'>;

const base = '/api/v1/backups';
export const backupKeys = resourceKeys('backups');
export const { useList: useBackups, useOne: useBackup, useRemove: useRemoveBackup } = resourceHooks<Backup, never>(base, backupKeys);

/** Re-reads the archive and checks every sha256 (synchronous); the backup's state is updated. */
export function useVerifyBackup() {
  return useItemAction<VerifyResult>(base, 'verify', [[...backupKeys.all]]);
}

export function useRestoreBackup() {
  return useItemAction<RestoreStarted, RestoreInput>(base, 'restore', [[...runKeys.all]]);
}

export function downloadUrl(id: string): string {
  return `${base}/${encodeURIComponent(id)}/download`;
}

/** Upload an archive file to a storage; the answer is the registered backup. */
export function useUploadBackup() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ storageId, file, database }: { storageId: string; file: File; database?: string }) => {
      // A tar holds a pgferry archive; anything else must be a `pg_dump -Fc` file.
      const type = /\.tar$/i.test(file.name) ? 'application/x-tar' : 'application/octet-stream';
      const name = file.name.replace(/\.(tar|dump|backup)$/i, '').replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100) || 'upload';
      return api<ApiAnswer<'/api/v1/backups/upload', 'post', 201>>(withQuery(`${base}/upload`, { storage_id: storageId, name, database }), {
        method: 'POST',
        raw: new Blob([file], { type }),
      });
    },
    onSuccess: () => client.invalidateQueries({ queryKey: backupKeys.all }),
  });
}
