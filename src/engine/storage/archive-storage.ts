import type { Readable } from 'node:stream';

import { PgferryError } from '../../errors/pgferry-error.js';

/** Where archives live, as plain input to the engine (secrets already opened by the caller). */
export type StorageSpec =
  | { kind: 'local'; path: string }
  | {
      kind: 's3';
      bucket: string;
      /** Key prefix every archive goes under (default: none). */
      prefix?: string | undefined;
      region?: string | undefined;
      /** S3-compatible endpoint, e.g. http://minio:9000 (default: AWS). */
      endpoint?: string | undefined;
      /** Path-style addressing, needed by most self-hosted S3 servers (default: false). */
      forcePathStyle?: boolean | undefined;
      /** Endpoint browsers reach, used to build presigned download URLs (default: endpoint). */
      publicEndpoint?: string | undefined;
      accessKeyId?: string | undefined;
      secretAccessKey?: string | undefined;
    };

export interface StoredObject {
  /** Path relative to the storage root, `/`-separated. */
  path: string;
  size: number;
  modifiedAt: Date;
}

/** Where archives can live: every list of storage kinds (API schema, store, UI) derives from this. */
export const storageKinds = ['local', 's3'] as const;
export type StorageKind = (typeof storageKinds)[number];

export interface ProbeResult {
  ok: boolean;
  kind: StorageKind;
  target: string;
  /** Probe object written, read back and deleted. */
  wrote: boolean;
  freeBytes?: number | undefined;
  bucketExists?: boolean | undefined;
  /** The directory or bucket does not exist: `init()` would create it. */
  missing?: boolean | undefined;
  latencyMs: number;
  message: string;
}

/** One interface over a directory and an S3 bucket; paths are relative and `/`-separated. */
export interface ArchiveStorage {
  readonly kind: StorageKind;
  /** Human-readable location without secrets, e.g. `s3://bucket/prefix/path`. */
  describe(path?: string): string;
  /** Streams `body` into `path`; no full-size temporary copy. */
  write(path: string, body: Readable, signal?: AbortSignal): Promise<void>;
  read(path: string): Promise<Readable>;
  /** The file's path on this machine, for storages that are a local directory (a decoder may read it directly). */
  localFile?(path: string): string;
  exists(path: string): Promise<boolean>;
  /** Every object under `prefix`, recursively. */
  list(prefix: string): Promise<StoredObject[]>;
  /** Deletes everything under `prefix`; returns how many objects went. */
  remove(prefix: string): Promise<number>;
  /** A time-limited download URL (S3 only). */
  presign(path: string, expiresSeconds: number): Promise<string | undefined>;
  /** Creates the directory or bucket when missing. */
  init(): Promise<{ created: boolean }>;
  probe(): Promise<ProbeResult>;
  close(): Promise<void>;
}

/**
 * A storage-relative path from parts. A `..` segment is refused: no path may climb out of
 * the place it names (an upload named `..` resolved to the storage root, and its clean-up
 * would have removed every archive).
 */
export function joinPath(...parts: string[]): string {
  const segments = parts.flatMap((part) => part.split('/')).filter((part) => part !== '' && part !== '.');
  if (segments.includes('..')) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `the storage path ${parts.join('/')} holds a ".." segment; name a place inside the storage`);
  }
  return segments.join('/');
}

/** Refuses to remove a storage's whole content: removal is always of one archive's prefix. */
export function assertRemovablePrefix(prefix: string): void {
  if (joinPath(prefix) === '') {
    throw new PgferryError('PGF_VALIDATION_FAILED', 'refusing to remove the whole storage: name the archive to remove');
  }
}

export async function readText(storage: ArchiveStorage, path: string): Promise<string> {
  const stream = await storage.read(path);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
