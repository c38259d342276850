import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { type StorageInput, createStorage, updateStorage } from '../jobs/storage-service.js';
import {
  deleteStorage,
  getStorage,
  getStorageRow,
  listStorages,
  storageTargetFromRow,
} from '../store/storage-repository.js';
import { openAllowedStorage } from '../net/allowed-targets.js';
import { auditProbeOutcome } from './audit-outcome.js';
import { errorBodySchema } from './api-schemas.js';
import type { AppServices } from './app-context.js';
import { storageKinds } from '../engine/storage/archive-storage.js';
import { displaySafe } from '../store/safe-text.js';

const errors = { 400: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema, 500: errorBodySchema, 502: errorBodySchema };

export const storageViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    kind: z.enum(storageKinds),
    config: z.record(z.string(), z.unknown()).describe('local: {path}; s3: {bucket, prefix, region, endpoint, force_path_style, public_endpoint, access_key_id}'),
    has_secret_access_key: z.boolean(),
    has_encryption_secret: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .describe('Storage (secrets are never returned)');

const storageBodySchema = z.object({
  name: displaySafe(z.string().min(1).max(100)),
  description: z.string().max(2000).nullish(),
  kind: z.enum(storageKinds),
  config: z.record(z.string(), z.unknown()),
  secret_access_key: z.string().max(500).nullish().describe('S3 secret key; omit to keep the stored one, null to remove'),
  encryption_secret: z.string().max(500).nullish().describe('Passphrase for archive encryption; omit to keep, null to remove'),
  create: z.boolean().optional().describe('local: create the directory (0700) when it does not exist; without it a missing directory is refused with PGF_STORAGE_PATH_MISSING'),
});

const listQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1),
  page_size: z.coerce.number().int().min(1).max(500).default(50),
  kind: z.enum(storageKinds).optional(),
  search: z.string().max(100).optional(),
});

const paramsSchema = z.object({ id: z.string().min(1).max(100) });

const probeSchema = z.object({
  ok: z.boolean(),
  kind: z.enum(storageKinds),
  target: z.string(),
  wrote: z.boolean(),
  freeBytes: z.number().optional(),
  bucketExists: z.boolean().optional(),
  missing: z.boolean().optional().describe('The directory or bucket does not exist; /init creates it'),
  latencyMs: z.number(),
  message: z.string(),
});

function inputFromBody(body: z.output<typeof storageBodySchema>): StorageInput {
  return {
    name: body.name,
    description: body.description,
    kind: body.kind,
    config: body.config,
    secrets: { secret_access_key: body.secret_access_key, encryption_secret: body.encryption_secret },
  };
}

/** `/api/v1/storages`: where backups go; secrets sealed like connection passwords. */
export function storageRoutes(services: AppServices): FastifyPluginAsyncZod {
  const { store, secrets } = services;
  const db = store.db;
  return async (app) => {
    const tags = ['storages'];

    app.get(
      '/api/v1/storages',
      {
        config: { access: 'viewer' },
        schema: {
          tags,
          summary: 'List storages (paged)',
          querystring: listQuerySchema,
          response: { 200: z.object({ items: z.array(storageViewSchema), total: z.number(), page: z.number(), page_size: z.number() }), ...errors },
        },
      },
      async (request) => listStorages(db, request.query),
    );

    app.post(
      '/api/v1/storages',
      {
        config: { access: 'admin', auditResource: 'storage' },
        schema: { tags, summary: 'Save a storage (a local directory must exist and take a file, or be created with create: true)', body: storageBodySchema, response: { 201: storageViewSchema, ...errors } },
      },
      async (request, reply) => reply.status(201).send(await createStorage(db, secrets, inputFromBody(request.body), { create: request.body.create })),
    );

    app.get(
      '/api/v1/storages/:id',
      { config: { access: 'viewer' }, schema: { tags, summary: 'Get a storage', params: paramsSchema, response: { 200: storageViewSchema, ...errors } } },
      async (request) => getStorage(db, request.params.id),
    );

    app.put(
      '/api/v1/storages/:id',
      {
        config: { access: 'admin', auditResource: 'storage' },
        schema: { tags, summary: 'Replace a storage; secrets not given are kept', params: paramsSchema, body: storageBodySchema, response: { 200: storageViewSchema, ...errors } },
      },
      async (request) => updateStorage(db, secrets, request.params.id, inputFromBody(request.body), { create: request.body.create }),
    );

    app.delete(
      '/api/v1/storages/:id',
      {
        config: { access: 'admin', auditResource: 'storage' },
        schema: { tags, summary: 'Delete a storage (409 while backup jobs use it or it holds backups)', params: paramsSchema, response: { 204: z.null().describe('Deleted'), ...errors } },
      },
      async (request, reply) => {
        await deleteStorage(db, request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/api/v1/storages/:id/test',
      {
        config: { access: 'operator', auditResource: 'storage' },
        schema: { tags, summary: 'Write, read and delete a probe object; free space or bucket reachability', params: paramsSchema, response: { 200: probeSchema, ...errors } },
      },
      async (request) => {
        const target = storageTargetFromRow(await getStorageRow(db, request.params.id), secrets);
        const storage = openAllowedStorage(services.outbound, target);
        try {
          return auditProbeOutcome(request, await storage.probe(), { code: 'PGF_STORAGE_UNREACHABLE' });
        } finally {
          await storage.close();
        }
      },
    );

    app.post(
      '/api/v1/storages/:id/init',
      {
        config: { access: 'admin', auditResource: 'storage' },
        schema: { tags, summary: 'Create the directory or bucket when missing', params: paramsSchema, response: { 200: z.object({ created: z.boolean() }), ...errors } },
      },
      async (request) => {
        const target = storageTargetFromRow(await getStorageRow(db, request.params.id), secrets);
        const storage = openAllowedStorage(services.outbound, target);
        try {
          return await storage.init();
        } finally {
          await storage.close();
        }
      },
    );
  };
}
