import type { ApiBody } from './api-schema.js';
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { resourceHooks, resourceKeys, useItemAction } from './crud.js';
import { api, withQuery } from './http.js';
import { runKeys } from './runs.js';

export interface BackupTable {
  schema?: string;
  name: string;
  rows?: number;
  bytes?: number;
}

export interface Backup {
  id: string;
  run_id: string | null;
  backup_job_id: string | null;
  connection_id: string | null;
  storage_id: string;
  database_name: string;
  location: string;
  format: 'native' | 'pg_dump' | 'globals';
  compression: string;
  encrypted: boolean;
  size_bytes: number;
  tables: BackupTable[];
  state: 'complete' | 'verified' | 'drill_passed' | 'drill_failed' | 'corrupt' | 'expired';
  verified_at: string | null;
  drill_at: string | null;
  drill_result: Record<string, unknown> | null;
  created_at: string;
}

/** Body of `POST /api/v1/backups/:id/restore` (generated from the API's restoreBodySchema). */
export type RestoreInput = ApiBody<'/api/v1/backups/{id}/restore', 'post'>;

const base = '/api/v1/backups';
export const backupKeys = resourceKeys('backups');
export const { useList: useBackups, useOne: useBackup, useRemove: useRemoveBackup } = resourceHooks<Backup, never>(base, backupKeys);

export type RunStarted = { id?: string; run_id?: string; run?: { id: string }; kind?: string; status?: string };

export function runIdOf(result: RunStarted | undefined): string | undefined {
  return result?.run_id ?? result?.run?.id ?? result?.id;
}

export interface VerifyResult {
  ok: boolean;
  checked_bytes: number;
  files: { path: string; ok: boolean; size: number; reason?: string }[];
}

/** Re-reads the archive and checks every sha256 (synchronous); the backup's state is updated. */
export function useVerifyBackup() {
  return useItemAction<VerifyResult>(base, 'verify', [[...backupKeys.all]]);
}

export function useRestoreBackup() {
  return useItemAction<RunStarted, RestoreInput>(base, 'restore', [[...runKeys.all]]);
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
      return api<Backup>(withQuery(`${base}/upload`, { storage_id: storageId, name, database }), {
        method: 'POST',
        raw: new Blob([file], { type }),
      });
    },
    onSuccess: () => client.invalidateQueries({ queryKey: backupKeys.all }),
  });
}
