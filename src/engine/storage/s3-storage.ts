import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

import type * as ClientS3 from '@aws-sdk/client-s3';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type * as LibStorage from '@aws-sdk/lib-storage';
import type * as Presigner from '@aws-sdk/s3-request-presigner';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type ArchiveStorage, type ProbeResult, type StorageSpec, type StoredObject, assertRemovablePrefix, joinPath } from './archive-storage.js';

type S3Spec = Extract<StorageSpec, { kind: 's3' }>;

// The AWS SDK is large (≈1 s and tens of MB to load): only loaded when an S3 storage is used.
type Sdk = typeof ClientS3 & { Upload: typeof LibStorage.Upload; getSignedUrl: typeof Presigner.getSignedUrl };
let sdkPromise: Promise<Sdk> | undefined;
function loadSdk(): Promise<Sdk> {
  sdkPromise ??= Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage'), import('@aws-sdk/s3-request-presigner')]).then(
    ([client, storage, presigner]) => ({ ...client, Upload: storage.Upload, getSignedUrl: presigner.getSignedUrl }),
  );
  return sdkPromise;
}

/** Multipart parts of 8 MiB, two in flight: memory per file stays ~16 MiB whatever its size. */
const partSize = 8 * 1024 * 1024;

function clientConfig(spec: S3Spec, endpoint: string | undefined): S3ClientConfig {
  return {
    region: spec.region ?? 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: spec.forcePathStyle ?? false,
    ...(spec.accessKeyId && spec.secretAccessKey
      ? { credentials: { accessKeyId: spec.accessKeyId, secretAccessKey: spec.secretAccessKey } }
      : {}),
  };
}

function translate(error: unknown, what: string): PgferryError {
  if (error instanceof PgferryError) return error;
  const name = (error as { name?: string }).name ?? 'Error';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'NoSuchKey' || name === 'NotFound') return new PgferryError('PGF_NOT_FOUND', `${what} does not exist`);
  if (name === 'NoSuchBucket') return new PgferryError('PGF_STORAGE_UNREACHABLE', `${what}: the bucket does not exist; create it with \`pgferry storage init\``);
  if (name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') {
    return new PgferryError('PGF_STORAGE_UNREACHABLE', `${what}: access denied (${name}); check the access key and secret and the bucket policy`);
  }
  return new PgferryError('PGF_STORAGE_UNREACHABLE', `${what}: ${name}: ${message}`, { cause: error });
}

export interface S3StorageOptions {
  /**
   * Called with the host and port of each request before it is sent (once per host:port);
   * rejecting refuses the request, its error reaching the caller as it is. The host uses it
   * to apply PGFERRY_OUTBOUND_ALLOW to the endpoint the SDK actually picked.
   */
  beforeConnect?: (host: string, port: number) => Promise<void>;
}

export class S3Storage implements ArchiveStorage {
  readonly kind = 's3' as const;
  readonly #spec: S3Spec;
  #clientPromise: Promise<S3Client> | undefined;
  #client: S3Client | undefined;
  readonly #prefix: string;

  readonly #beforeConnect: S3StorageOptions['beforeConnect'];
  readonly #checked = new Map<string, Promise<void>>();

  constructor(spec: S3Spec, options: S3StorageOptions = {}) {
    this.#spec = spec;
    this.#prefix = joinPath(spec.prefix ?? '');
    this.#beforeConnect = options.beforeConnect;
  }

  async #sdk(): Promise<{ sdk: Sdk; client: S3Client }> {
    const sdk = await loadSdk();
    this.#clientPromise ??= Promise.resolve(this.#guarded(new sdk.S3Client(clientConfig(this.#spec, this.#spec.endpoint))));
    this.#client = await this.#clientPromise;
    return { sdk, client: this.#client };
  }

  /** Checks each request's destination before the SDK sends it (after it chose the endpoint). */
  #guarded(client: S3Client): S3Client {
    const check = this.#beforeConnect;
    if (!check) return client;
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { hostname?: string; port?: number; protocol?: string };
        if (request.hostname) {
          const port = request.port ?? (request.protocol === 'http:' ? 80 : 443);
          const key = `${request.hostname}:${port}`;
          let checked = this.#checked.get(key);
          if (!checked) {
            checked = check(request.hostname, port);
            this.#checked.set(key, checked);
          }
          await checked;
        }
        return next(args);
      },
      { step: 'finalizeRequest', name: 'pgferryOutboundCheck', priority: 'high' },
    );
    return client;
  }

  #key(relative: string): string {
    return joinPath(this.#prefix, relative);
  }

  describe(relative = ''): string {
    return `s3://${this.#spec.bucket}/${joinPath(this.#prefix, relative)}`;
  }

  async write(relative: string, body: Readable, signal?: AbortSignal): Promise<void> {
    const { sdk, client } = await this.#sdk();
    const upload = new sdk.Upload({
      client,
      params: { Bucket: this.#spec.bucket, Key: this.#key(relative), Body: body },
      partSize,
      queueSize: 2,
      leavePartsOnError: false,
    });
    const onAbort = () => void upload.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await upload.done();
    } catch (error) {
      throw translate(error, `writing ${this.describe(relative)}`);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async read(relative: string): Promise<Readable> {
    const { sdk, client } = await this.#sdk();
    try {
      const answer = await client.send(new sdk.GetObjectCommand({ Bucket: this.#spec.bucket, Key: this.#key(relative) }));
      return answer.Body as Readable;
    } catch (error) {
      throw translate(error, this.describe(relative));
    }
  }

  async exists(relative: string): Promise<boolean> {
    const { sdk, client } = await this.#sdk();
    try {
      await client.send(new sdk.HeadObjectCommand({ Bucket: this.#spec.bucket, Key: this.#key(relative) }));
      return true;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) return false;
      throw translate(error, this.describe(relative));
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const found: StoredObject[] = [];
    const base = this.#key(prefix);
    let token: string | undefined;
    const { sdk, client } = await this.#sdk();
    try {
      do {
        const page = await client.send(
          new sdk.ListObjectsV2Command({ Bucket: this.#spec.bucket, Prefix: base ? `${base}/` : undefined, ContinuationToken: token }),
        );
        for (const item of page.Contents ?? []) {
          if (!item.Key) continue;
          const relative = this.#prefix ? item.Key.slice(this.#prefix.length + 1) : item.Key;
          found.push({ path: relative, size: item.Size ?? 0, modifiedAt: item.LastModified ?? new Date(0) });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw translate(error, this.describe(prefix));
    }
    return found.sort((a, b) => a.path.localeCompare(b.path));
  }

  async remove(prefix: string): Promise<number> {
    assertRemovablePrefix(prefix);
    const objects = await this.list(prefix);
    const { sdk, client } = await this.#sdk();
    try {
      for (let start = 0; start < objects.length; start += 1000) {
        const batch = objects.slice(start, start + 1000);
        await client.send(
          new sdk.DeleteObjectsCommand({
            Bucket: this.#spec.bucket,
            Delete: { Objects: batch.map((object) => ({ Key: this.#key(object.path) })), Quiet: true },
          }),
        );
      }
    } catch (error) {
      throw translate(error, `deleting ${this.describe(prefix)}`);
    }
    return objects.length;
  }

  /** Signed against the public endpoint when one is set, so browsers outside can follow it. */
  async presign(relative: string, expiresSeconds: number): Promise<string> {
    const { sdk, client: own } = await this.#sdk();
    const client = this.#spec.publicEndpoint ? new sdk.S3Client(clientConfig(this.#spec, this.#spec.publicEndpoint)) : own;
    try {
      return await sdk.getSignedUrl(client, new sdk.GetObjectCommand({ Bucket: this.#spec.bucket, Key: this.#key(relative) }), {
        expiresIn: expiresSeconds,
      });
    } finally {
      if (client !== own) client.destroy();
    }
  }

  async init(): Promise<{ created: boolean }> {
    const { sdk, client } = await this.#sdk();
    try {
      await client.send(new sdk.HeadBucketCommand({ Bucket: this.#spec.bucket }));
      return { created: false };
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== 404) throw translate(error, `bucket ${this.#spec.bucket}`);
    }
    try {
      await client.send(new sdk.CreateBucketCommand({ Bucket: this.#spec.bucket }));
      return { created: true };
    } catch (error) {
      throw translate(error, `creating bucket ${this.#spec.bucket}`);
    }
  }

  async probe(): Promise<ProbeResult> {
    const started = Date.now();
    const base = { kind: 's3' as const, target: this.describe(), wrote: false };
    const { sdk, client } = await this.#sdk();
    try {
      await client.send(new sdk.HeadBucketCommand({ Bucket: this.#spec.bucket }));
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const reason = status === 404 ? 'the bucket does not exist; create it (the storage page\'s "Create it", or `pgferry storage init`)' : translate(error, 'bucket').message;
      return { ...base, ok: false, bucketExists: status === 404 ? false : undefined, missing: status === 404, latencyMs: Date.now() - started, message: reason };
    }
    const key = this.#key(`.pgferry-probe-${randomBytes(6).toString('hex')}`);
    const payload = randomBytes(64).toString('hex');
    try {
      await client.send(new sdk.PutObjectCommand({ Bucket: this.#spec.bucket, Key: key, Body: payload }));
      const answer = await client.send(new sdk.GetObjectCommand({ Bucket: this.#spec.bucket, Key: key }));
      const back = await answer.Body?.transformToString();
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.#spec.bucket, Key: key }));
      if (back !== payload) throw new Error('the probe object read back different bytes');
      return { ...base, ok: true, wrote: true, bucketExists: true, latencyMs: Date.now() - started, message: 'bucket reachable; wrote, read and deleted a probe object' };
    } catch (error) {
      return { ...base, ok: false, bucketExists: true, latencyMs: Date.now() - started, message: translate(error, 'probe object').message };
    }
  }

  async close(): Promise<void> {
    this.#client?.destroy();
  }
}

/** Node readable from a string, for small objects such as manifests. */
export function textBody(text: string): Readable {
  return Readable.from([Buffer.from(text)]);
}
