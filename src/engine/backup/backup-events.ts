import type { Manifest } from '../archive/manifest.js';

/** Events of a backup or restore run; the host turns them into logs, SSE and progress bars. */
export type BackupEvent =
  | { type: 'archive:start'; database: string; format: string; location: string }
  | { type: 'table:start'; database: string; table: string }
  | { type: 'table:done'; database: string; table: string; rows: number; bytes: number; storedBytes: number }
  /** A physical backup's archive has received another `progressStep` bytes from the server. */
  | { type: 'file:progress'; database: string; file: string; bytes: number }
  /** A physical backup's stored file (one tar per tablespace) is complete. */
  | { type: 'file:done'; database: string; file: string; bytes: number; storedBytes: number }
  | { type: 'archive:done'; database: string; location: string; sizeBytes: number; tables: number }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string };

export type RestoreEvent =
  | { type: 'restore:start'; database: string; tables: number }
  | { type: 'phase'; phase: 'verify' | 'clean' | 'pre-data' | 'data' | 'post-data'; statements?: number }
  | { type: 'table:start'; table: string }
  | { type: 'table:done'; table: string; rows: number }
  | { type: 'restore:done'; database: string; rows: number; durationMs: number }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string };

export interface RunHooks<E> {
  signal?: AbortSignal | undefined;
  onEvent?: ((event: E) => void) | undefined;
}

/** One archive a backup run wrote (one per database, plus one for globals). */
export interface ArchiveResult {
  database: string;
  format: 'native' | 'pg_dump' | 'globals' | 'physical';
  /** Directory of the archive inside the storage. */
  path: string;
  location: string;
  sizeBytes: number;
  durationMs: number;
  manifest: Manifest;
}
