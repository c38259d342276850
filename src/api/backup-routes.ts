import { Readable, Transform, type TransformCallback } from 'node:stream';

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { writeArchiveFile } from '../engine/archive/archive-files.js';
import { type Manifest, manifestFileName, manifestFormatVersion } from '../engine/archive/manifest.js';
import { createTarStream, extractTar } from '../engine/archive/tar-stream.js';
import { verifyArchive } from '../engine/archive/verify-archive.js';
import { timestampName } from '../engine/backup/run-backup.js';
import { pgferryVersion } from '../engine/backup/pgferry-version.js';
import { type ArchiveStorage, joinPath } from '../engine/storage/archive-storage.js';
import { PgferryError } from '../errors/pgferry-error.js';
import { loadAllowedConnectionTarget, openAllowedStorage } from '../net/allowed-targets.js';
import { enqueueRun } from '../store/run-repository.js';
import { findBackupByLocation, getBackupRow, listBackups, recordBackup, recordVerify, toBackupView } from '../store/backup-repository.js';
import { getStorageRow, storageTargetFromRow } from '../store/storage-repository.js';
import { errorBodySchema } from './api-schemas.js';
import type { AppServices } from './app-context.js';
import { archiveSigningKeyOf } from '../secrets/archive-signing-key.js';

const errors = { 400: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema, 422: errorBodySchema, 500: errorBodySchema, 502: errorBodySchema };
const states = ['complete', 'verified', 'drill_passed', 'drill_failed', 'corrupt', 'expired'] as const;

const backupViewSchema = z
  .object({
    id: z.string(),
    run_id: z.string().nullable(),
    backup_job_id: z.string().nullable(),
    connection_id: z.string().nullable(),
    storage_id: z.string(),
    database_name: z.string(),
    location: z.string(),
    format: z.enum(['native', 'pg_dump', 'globals', 'physical']),
    compression: z.enum(['gzip', 'zstd', 'none']),
    encrypted: z.boolean(),
    size_bytes: z.number(),
    files: z.array(z.unknown()),
    tables: z.array(z.unknown()),
    source_server_version: z.string().nullable(),
    state: z.enum(states),
    verified_at: z.string().nullable(),
    drill_at: z.string().nullable(),
    drill_result: z.unknown(),
    expired_at: z.string().nullable(),
    created_at: z.string(),
  })
  .describe('Backup');

const listQuerySchema = z.object({
  storage_id: z.uuid().optional(),
  backup_job_id: z.uuid().optional(),
  connection_id: z.uuid().optional(),
  database: z.string().max(63).optional(),
  state: z.enum(states).optional(),
  include_expired: z.coerce.boolean().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});

const paramsSchema = z.object({ id: z.uuid() });

const verifySchema = z.object({
  ok: z.boolean(),
  checked_bytes: z.number(),
  signature: z.enum(['valid', 'unsigned', 'other-key', 'invalid']).describe("valid: signed by this instance's key; unsigned; other-key: signed by another key; invalid: altered"),
  error: z.string().optional().describe('Why the archive fails, when it does'),
  files: z.array(z.object({ path: z.string(), ok: z.boolean(), size: z.number(), reason: z.string().optional() })),
});

const verifyQuerySchema = z.object({
  trust_unsigned: z.enum(['true', 'false']).optional().describe('Pass an unsigned or foreign-signed archive whose files are intact (what a restore with trust_unsigned accepts)'),
});

const restoreBodySchema = z.object({
  connection_id: z.string().min(1).max(100).describe('Saved connection to restore into'),
  database: z.string().regex(/^[^\0]{1,63}$/).optional().describe('With create: the new database (default: the connection\'s database)'),
  create: z.boolean().optional().describe('Create the database first (refused when it exists)'),
  clean: z.boolean().optional().describe("Drop the archive's objects in the target first (refused on protected connections)"),
  confirm_name: z.string().max(100).optional().describe('With clean: the connection name typed to confirm'),
  jobs: z.number().int().min(1).max(16).optional(),
  tables: z.array(z.string().max(200)).max(1000).optional(),
  trust_unsigned: z.boolean().optional().describe('Restore even when the archive is unsigned (uploaded, or made elsewhere) or its signature does not check: only for archives whose contents you trust'),
});

/** Refuses a raw upload that is not a pg_dump custom-format file, before storing it. */
class PgDumpMagic extends Transform {
  #checked = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.#checked) {
      this.#checked = true;
      if (chunk.subarray(0, 5).toString('latin1') !== 'PGDMP') {
        callback(new PgferryError('PGF_VALIDATION_FAILED', 'the upload is neither a tar of a pgferry archive (Content-Type: application/x-tar) nor a `pg_dump -Fc` file'));
        return;
      }
    }
    callback(null, chunk);
  }
}

async function storageFor(services: AppServices, id: string): Promise<{ id: string; storage: ArchiveStorage }> {
  const target = storageTargetFromRow(await getStorageRow(services.store.db, id), services.secrets);
  return { id: target.id, storage: openAllowedStorage(services.outbound, target) };
}

/** `/api/v1/backups`: recorded archives, verify, download and upload. */
export function backupRoutes(services: AppServices): FastifyPluginAsyncZod {
  const db = services.store.db;
  return async (app) => {
    const tags = ['backups'];
    // Uploads stream straight to the storage: the body is handed over unparsed.
    for (const type of ['application/x-tar', 'application/octet-stream']) {
      app.addContentTypeParser(type, (_request, payload, done) => done(null, payload));
    }

    app.get(
      '/api/v1/backups',
      {
        config: { access: 'viewer' },
        schema: {
          tags,
          summary: 'List backups, newest first (keyset paged)',
          querystring: listQuerySchema,
          response: { 200: z.object({ items: z.array(backupViewSchema), next_cursor: z.string().nullable() }), ...errors },
        },
      },
      async (request) => listBackups(db, request.query),
    );

    app.get(
      '/api/v1/backups/:id',
      { config: { access: 'viewer' }, schema: { tags, summary: 'Get a backup', params: paramsSchema, response: { 200: backupViewSchema, ...errors } } },
      async (request) => toBackupView(await getBackupRow(db, request.params.id)),
    );

    app.post(
      '/api/v1/backups/:id/verify',
      {
        config: { access: 'operator', auditResource: 'backup' },
        schema: {
          tags,
          summary: "Check the archive's signature and re-read every file's sha256; records the result",
          params: paramsSchema,
          querystring: verifyQuerySchema,
          response: { 200: verifySchema, ...errors },
        },
      },
      async (request) => {
        const row = await getBackupRow(db, request.params.id);
        const { storage } = await storageFor(services, row.storage_id);
        try {
          const trust = { signingKey: archiveSigningKeyOf(services.secrets), trustUnsigned: request.query.trust_unsigned === 'true' };
          const result = await verifyArchive({ storage, path: row.location }, { trust });
          await recordVerify(db, row.id, result.ok);
          return { ok: result.ok, checked_bytes: result.checkedBytes, signature: result.signature, ...(result.error ? { error: result.error.message } : {}), files: result.files };
        } finally {
          await storage.close();
        }
      },
    );

    app.post(
      '/api/v1/backups/:id/restore',
      {
        config: { access: 'operator', auditResource: 'backup' },
        schema: {
          tags,
          summary: 'Queue a restore of the backup into a saved connection (a run of kind restore); --clean needs the connection name typed and is refused on protected connections',
          params: paramsSchema,
          body: restoreBodySchema,
          response: { 202: z.object({ id: z.string(), run_id: z.string(), kind: z.literal('restore'), status: z.string() }), ...errors },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const row = await getBackupRow(db, request.params.id);
        if (row.state === 'expired') throw new PgferryError('PGF_NOT_FOUND', `backup ${row.id} expired; its files were deleted`);
        if (body.create && body.clean) throw new PgferryError('PGF_VALIDATION_FAILED', 'create and clean exclude each other: create makes a new, empty database');
        // Refused at once when the allow-list forbids the connection (the run would fail on it).
        const target = await loadAllowedConnectionTarget(db, services.secrets, services.outbound, body.connection_id);
        if (body.clean) {
          if (target.protected) {
            throw new PgferryError('PGF_RESTORE_REFUSED', `connection "${target.name}" is protected; a clean restore is refused on it (unprotect it first if you mean to overwrite it)`);
          }
          if (body.confirm_name !== target.name) {
            throw new PgferryError('PGF_VALIDATION_FAILED', `confirm_name: type the connection name "${target.name}" to confirm that its objects are dropped and replaced`, {
              details: { fields: [{ field: 'body.confirm_name', code: 'mismatch', message: 'does not match the connection name' }] },
            });
          }
        }
        const run = await enqueueRun(db, {
          kind: 'restore',
          jobName: `restore ${row.database_name} → ${target.name}`,
          trigger: 'api',
          params: {
            backup_id: row.id,
            connection_id: target.id,
            // For display: the run's title names the database restored into, not only the connection.
            target_database: (body.create ? body.database : undefined) ?? String(target.config.database ?? ''),
            ...(body.create ? { create: true, database: body.database ?? String(target.config.database ?? '') } : {}),
            ...(body.clean ? { clean: true } : {}),
            ...(body.jobs ? { jobs: body.jobs } : {}),
            ...(body.tables ? { tables: body.tables } : {}),
            ...(body.trust_unsigned ? { trust_unsigned: true } : {}),
          },
        });
        return reply.status(202).send({ id: run.id, run_id: run.id, kind: 'restore' as const, status: run.status });
      },
    );

    app.get(
      '/api/v1/backups/:id/download',
      {
        config: { access: 'operator' },
        schema: {
          tags,
          summary: 'Download the archive as a tar stream; with ?file=PATH one file (on S3: 302 to a presigned URL on the public endpoint)',
          params: paramsSchema,
          querystring: z.object({ file: z.string().max(1000).optional(), expires_s: z.coerce.number().int().min(60).max(604800).default(3600) }),
          response: { 200: z.any().describe('application/x-tar or the file'), 302: z.null().describe('Redirect to a presigned URL'), ...errors },
        },
      },
      async (request, reply) => {
        const row = await getBackupRow(db, request.params.id);
        if (row.state === 'expired') throw new PgferryError('PGF_NOT_FOUND', `backup ${row.id} expired on ${row.expired_at?.toISOString() ?? '?'}; its files were deleted`);
        const { storage } = await storageFor(services, row.storage_id);
        const { file } = request.query;
        if (file !== undefined) {
          const listed = await storage.list(row.location);
          const wanted = joinPath(row.location, file);
          if (!listed.some((object) => object.path === wanted)) {
            await storage.close();
            throw new PgferryError('PGF_NOT_FOUND', `backup ${row.id} has no file ${file}`);
          }
          const url = await storage.presign(wanted, request.query.expires_s);
          if (url) {
            await storage.close();
            return reply.redirect(url, 302);
          }
          const body = await storage.read(wanted);
          body.once('close', () => void storage.close());
          return reply.header('content-type', 'application/octet-stream').header('content-disposition', `attachment; filename="${file.split('/').pop() ?? 'file'}"`).send(body);
        }
        const objects = await storage.list(row.location);
        const prefix = row.location ? `${row.location}/` : '';
        const tar = createTarStream(
          objects.map((object) => ({ path: object.path.slice(prefix.length), size: object.size, open: () => storage.read(object.path) })),
        );
        tar.once('close', () => void storage.close());
        const name = `${row.database_name}-${timestampName(row.created_at)}.tar`.replace(/[^A-Za-z0-9_.-]/g, '_');
        return reply.header('content-type', 'application/x-tar').header('content-disposition', `attachment; filename="${name}"`).send(tar);
      },
    );

    app.post(
      '/api/v1/backups/upload',
      {
        config: { access: 'admin', auditResource: 'backup' },
        bodyLimit: 1024 ** 4,
        schema: {
          tags,
          summary: 'Upload an archive: a tar of a pgferry archive (application/x-tar) or a `pg_dump -Fc` file (application/octet-stream); verified, then recorded',
          querystring: z.object({ storage_id: z.string().min(1).max(100), name: z.string().regex(/^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,100}$/, 'a name of letters, digits, ".", "_" and "-", not "." or ".."').optional(), database: z.string().max(63).optional() }),
          response: { 201: backupViewSchema, ...errors },
        },
      },
      async (request, reply) => {
        const { id: storageId, storage } = await storageFor(services, request.query.storage_id);
        const location = joinPath('uploads', request.query.name ?? `upload-${timestampName(new Date())}`);
        try {
          // Only an empty place: the clean-up of a refused upload then removes only what this request wrote.
          if ((await storage.list(location)).length > 0) throw new PgferryError('PGF_CONFLICT', `${storage.describe(location)} already holds files; pick another name`);
          const body = request.body as Readable;
          let archivePath = location;
          try {
            if (request.headers['content-type']?.startsWith('application/x-tar')) {
              await extractTar(body, (path, _size, stream) => storage.write(joinPath(location, path), stream));
              if (!(await storage.exists(joinPath(location, manifestFileName)))) {
                const nested = (await storage.list(location)).find((object) => object.path.endsWith(`/${manifestFileName}`));
                if (!nested) throw new PgferryError('PGF_ARCHIVE_INVALID', 'the uploaded tar holds no manifest.json: it is not a pgferry archive');
                archivePath = nested.path.slice(0, -manifestFileName.length - 1);
              }
            } else {
              const checker = new PgDumpMagic();
              body.on('error', (error) => checker.destroy(error));
              const file = await writeArchiveFile({ storage, path: location }, 'dump.pgdump', body.pipe(checker), { compression: 'none' });
              const now = new Date().toISOString();
              const manifest: Manifest = {
                format: 'pg_dump',
                format_version: manifestFormatVersion,
                created_at: now,
                finished_at: now,
                pgferry_version: pgferryVersion,
                source: { server_version: 'unknown', server_version_num: 0, database: request.query.database ?? null },
                compression: 'none',
                encryption: null,
                schemas: [],
                tables: [],
                files: [file],
                warnings: ['uploaded pg_dump file: source server version unknown'],
              };
              await storage.write(joinPath(location, manifestFileName), Readable.from([Buffer.from(JSON.stringify(manifest, null, 2))]));
            }
            // An upload is checked for integrity only: it is not signed by this instance, so restoring it needs trust_unsigned.
            const verified = await verifyArchive({ storage, path: archivePath }, { trust: { trustUnsigned: true } });
            if (verified.error) throw verified.error;
            if (await findBackupByLocation(db, storageId, archivePath)) throw new PgferryError('PGF_CONFLICT', `a backup is already recorded at ${archivePath}`);
            const manifest = verified.manifest;
            const view = await recordBackup(db, {
              storageId,
              compression: manifest.compression,
              archive: {
                database: manifest.source.database ?? request.query.database ?? 'unknown',
                format: manifest.format,
                path: archivePath,
                location: storage.describe(archivePath),
                sizeBytes: manifest.files.reduce((sum, entry) => sum + entry.size, 0),
                durationMs: 0,
                manifest,
              },
            });
            await recordVerify(db, view.id, true);
            return reply.status(201).send(toBackupView(await getBackupRow(db, view.id)));
          } catch (error) {
            // Nothing half-written: a refused upload leaves no files behind.
            await storage.remove(location).catch(() => undefined);
            throw error;
          }
        } finally {
          await storage.close();
        }
      },
    );
  };
}
