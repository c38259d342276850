import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  DeleteObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type ArchiveStorage, type ProbeResult, type StorageSpec, type StoredObject, joinPath } from './archive-storage.js';

type S3Spec = Extract<StorageSpec, { kind: 's3' }>;

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

export class S3Storage implements ArchiveStorage {
  readonly kind = 's3' as const;
  readonly #spec: S3Spec;
  readonly #client: S3Client;
  readonly #prefix: string;

  constructor(spec: S3Spec) {
    this.#spec = spec;
    this.#client = new S3Client(clientConfig(spec, spec.endpoint));
    this.#prefix = joinPath(spec.prefix ?? '');
  }

  #key(relative: string): string {
    return joinPath(this.#prefix, relative);
  }

  describe(relative = ''): string {
    return `s3://${this.#spec.bucket}/${joinPath(this.#prefix, relative)}`;
  }

  async write(relative: string, body: Readable, signal?: AbortSignal): Promise<void> {
    const upload = new Upload({
      client: this.#client,
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
    try {
      const answer = await this.#client.send(new GetObjectCommand({ Bucket: this.#spec.bucket, Key: this.#key(relative) }));
      return answer.Body as Readable;
    } catch (error) {
      throw translate(error, this.describe(relative));
    }
  }

  async exists(relative: string): Promise<boolean> {
    try {
      await this.#client.send(new HeadObjectCommand({ Bucket: this.#spec.bucket, Key: this.#key(relative) }));
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
    try {
      do {
        const page = await this.#client.send(
          new ListObjectsV2Command({ Bucket: this.#spec.bucket, Prefix: base ? `${base}/` : undefined, ContinuationToken: token }),
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
    const objects = await this.list(prefix);
    try {
      for (let start = 0; start < objects.length; start += 1000) {
        const batch = objects.slice(start, start + 1000);
        await this.#client.send(
          new DeleteObjectsCommand({
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
    const client = this.#spec.publicEndpoint ? new S3Client(clientConfig(this.#spec, this.#spec.publicEndpoint)) : this.#client;
    try {
      return await getSignedUrl(client, new GetObjectCommand({ Bucket: this.#spec.bucket, Key: this.#key(relative) }), {
        expiresIn: expiresSeconds,
      });
    } finally {
      if (client !== this.#client) client.destroy();
    }
  }

  async init(): Promise<{ created: boolean }> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#spec.bucket }));
      return { created: false };
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== 404) throw translate(error, `bucket ${this.#spec.bucket}`);
    }
    try {
      await this.#client.send(new CreateBucketCommand({ Bucket: this.#spec.bucket }));
      return { created: true };
    } catch (error) {
      throw translate(error, `creating bucket ${this.#spec.bucket}`);
    }
  }

  async probe(): Promise<ProbeResult> {
    const started = Date.now();
    const base = { kind: 's3' as const, target: this.describe(), wrote: false };
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#spec.bucket }));
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const reason = status === 404 ? 'the bucket does not exist (run `pgferry storage init`)' : translate(error, 'bucket').message;
      return { ...base, ok: false, bucketExists: status === 404 ? false : undefined, latencyMs: Date.now() - started, message: reason };
    }
    const key = this.#key(`.pgferry-probe-${randomBytes(6).toString('hex')}`);
    const payload = randomBytes(64).toString('hex');
    try {
      await this.#client.send(new PutObjectCommand({ Bucket: this.#spec.bucket, Key: key, Body: payload }));
      const answer = await this.#client.send(new GetObjectCommand({ Bucket: this.#spec.bucket, Key: key }));
      const back = await answer.Body?.transformToString();
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#spec.bucket, Key: key }));
      if (back !== payload) throw new Error('the probe object read back different bytes');
      return { ...base, ok: true, wrote: true, bucketExists: true, latencyMs: Date.now() - started, message: 'bucket reachable; wrote, read and deleted a probe object' };
    } catch (error) {
      return { ...base, ok: false, bucketExists: true, latencyMs: Date.now() - started, message: translate(error, 'probe object').message };
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }
}

/** Node readable from a string, for small objects such as manifests. */
export function textBody(text: string): Readable {
  return Readable.from([Buffer.from(text)]);
}
