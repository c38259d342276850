import type { Readable } from 'node:stream';

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

export interface ProbeResult {
  ok: boolean;
  kind: 'local' | 's3';
  target: string;
  /** Probe object written, read back and deleted. */
  wrote: boolean;
  freeBytes?: number | undefined;
  bucketExists?: boolean | undefined;
  latencyMs: number;
  message: string;
}

/** One interface over a directory and an S3 bucket; paths are relative and `/`-separated. */
export interface ArchiveStorage {
  readonly kind: 'local' | 's3';
  /** Human-readable location without secrets, e.g. `s3://bucket/prefix/path`. */
  describe(path?: string): string;
  /** Streams `body` into `path`; no full-size temporary copy. */
  write(path: string, body: Readable, signal?: AbortSignal): Promise<void>;
  read(path: string): Promise<Readable>;
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

export function joinPath(...parts: string[]): string {
  return parts
    .flatMap((part) => part.split('/'))
    .filter((part) => part !== '' && part !== '.')
    .join('/');
}

export async function readText(storage: ArchiveStorage, path: string): Promise<string> {
  const stream = await storage.read(path);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
