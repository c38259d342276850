import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { channelConfigSchemas, channelEvents, channelKinds } from '../notifications/channel-kinds.js';
import { sendTestNotification } from '../notifications/notification-hooks.js';
import { createChannel, listChannels, toChannelView, updateChannel } from '../notifications/channel-service.js';
import { deleteChannel, getChannelRow, listDeliveries } from '../store/notification-channel-repository.js';
import { errorBodySchema } from './api-schemas.js';
import type { AppServices } from './app-context.js';
import { displaySafe } from '../store/safe-text.js';

const errors = { 400: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema };
const params = z.strictObject({ id: z.string().min(1).max(200).describe('channel id or name') });
const events = z.array(z.enum(channelEvents)).min(1).max(channelEvents.length).optional().describe('(default: [failed])');
const name = displaySafe(z.string().trim().min(1).max(100));

const createBody = z.discriminatedUnion(
  'kind',
  channelKinds.map((kind) => z.strictObject({ name, kind: z.literal(kind), events, enabled: z.boolean().optional(), config: channelConfigSchemas[kind] })) as unknown as [
    z.ZodObject<{ kind: z.ZodLiteral<'webhook'> }>,
    ...z.ZodObject<{ kind: z.ZodLiteral<(typeof channelKinds)[number]> }>[],
  ],
);

const patchBody = z.strictObject({
  name: name.optional(),
  events,
  enabled: z.boolean().optional(),
  config: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('fields to change; a secret left out is kept, null clears it. Webhook headers change one by one: a header left out keeps its value, a header set to null is removed'),
});

const viewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(channelKinds),
    events: z.array(z.string()),
    enabled: z.boolean(),
    config: z.record(z.string(), z.unknown()).describe('public settings; secrets are never returned'),
    secrets_set: z.array(z.string()).describe('which secret fields are stored'),
    headers: z.array(z.object({ name: z.string(), value_set: z.literal(true) })).describe('custom webhook headers: names only, their values are never returned'),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .describe('NotificationChannel');

type View = Awaited<ReturnType<typeof createChannel>>;
const toJson = (view: View) => ({ ...view, created_at: view.created_at.toISOString(), updated_at: view.updated_at.toISOString() });

/** `/api/v1/notification-channels`: where run outcomes and overdue backups are announced. */
export function notificationChannelRoutes(services: AppServices): FastifyPluginAsyncZod {
  const { secrets } = services;
  const db = services.store.db;
  return async (app) => {
    const tags = ['notification channels'];

    app.get(
      '/api/v1/notification-channels',
      {
        config: { access: 'viewer' },
        schema: {
          tags,
          summary: 'List notification channels',
          querystring: z.strictObject({
            page: z.coerce.number().int().min(1).optional(),
            page_size: z.coerce.number().int().min(1).max(200).optional(),
            kind: z.enum(channelKinds).optional(),
          }),
          response: { 200: z.object({ items: z.array(viewSchema), total: z.number(), page: z.number(), page_size: z.number() }), ...errors },
        },
      },
      async (request) => {
        const page = request.query.page ?? 1;
        const page_size = request.query.page_size ?? 50;
        const result = await listChannels(db, secrets, { page, page_size, kind: request.query.kind });
        return { items: result.items.map(toJson), total: result.total, page, page_size };
      },
    );

    app.post(
      '/api/v1/notification-channels',
      {
        config: { access: 'admin', auditResource: 'notification_channel' },
        schema: { tags, summary: 'Create a channel (webhook, slack, dingtalk, wecom, feishu, teams, telegram, email, discord, mattermost, ntfy, url)', body: createBody, response: { 201: viewSchema, ...errors } },
      },
      async (request, reply) => {
        const body = request.body as unknown as Parameters<typeof createChannel>[2];
        return reply.status(201).send(toJson(await createChannel(db, secrets, body)));
      },
    );

    app.get(
      '/api/v1/notification-channels/:id',
      { config: { access: 'viewer' }, schema: { tags, summary: 'Get a channel', params, response: { 200: viewSchema, ...errors } } },
      async (request) => toJson(toChannelView(await getChannelRow(db, request.params.id), secrets)),
    );

    app.patch(
      '/api/v1/notification-channels/:id',
      {
        config: { access: 'admin', auditResource: 'notification_channel' },
        schema: { tags, summary: 'Change a channel', params, body: patchBody, response: { 200: viewSchema, ...errors } },
      },
      async (request) => toJson(await updateChannel(db, secrets, request.params.id, request.body as Parameters<typeof updateChannel>[3])),
    );

    app.delete(
      '/api/v1/notification-channels/:id',
      {
        config: { access: 'admin', auditResource: 'notification_channel' },
        schema: { tags, summary: 'Delete a channel', params, response: { 204: z.null(), ...errors } },
      },
      async (request, reply) => {
        await deleteChannel(db, request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/api/v1/notification-channels/:id/test',
      {
        config: { access: 'operator', auditResource: 'notification_channel' },
        schema: {
          tags,
          summary: 'Send a test message now; the answer says whether the channel accepted it',
          params,
          response: {
            200: z.object({ delivered: z.boolean(), delivery_id: z.string(), response_status: z.number().nullable(), error: z.string().nullable() }),
            ...errors,
          },
        },
      },
      async (request) => sendTestNotification(db, secrets, await getChannelRow(db, request.params.id), services.outbound),
    );

    app.get(
      '/api/v1/notification-channels/:id/deliveries',
      {
        config: { access: 'viewer' },
        schema: {
          tags,
          summary: 'Recent deliveries of a channel with their attempts and errors',
          params,
          querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(500).optional() }),
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  id: z.string(),
                  run_id: z.string().nullable(),
                  event: z.string(),
                  status: z.string(),
                  attempts: z.number(),
                  response_status: z.number().nullable(),
                  last_error: z.string().nullable(),
                  created_at: z.string(),
                  delivered_at: z.string().nullable(),
                  next_attempt_at: z.string().nullable(),
                }),
              ),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const channel = await getChannelRow(db, request.params.id);
        const rows = await listDeliveries(db, channel.id, request.query.limit ?? 50);
        return {
          items: rows.map((row) => ({
            ...row,
            id: String(row.id),
            created_at: row.created_at.toISOString(),
            delivered_at: row.delivered_at?.toISOString() ?? null,
            next_attempt_at: row.next_attempt_at?.toISOString() ?? null,
          })),
        };
      },
    );
  };
}
