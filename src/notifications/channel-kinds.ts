import { z } from 'zod';

import { serviceUrlProblem } from './service-url.js';

// Each channel kind: its public settings and which of its fields are secrets (sealed with
// SecretBox, never returned). Robot webhook URLs carry their access token, so they are secrets;
// so are a webhook's custom header values (they hold API keys and bearer tokens).

export const channelKinds = ['webhook', 'slack', 'dingtalk', 'wecom', 'feishu', 'teams', 'telegram', 'email', 'discord', 'mattermost', 'ntfy', 'url'] as const;
export type ChannelKind = (typeof channelKinds)[number];
export const channelEvents = ['failed', 'succeeded', 'recovered', 'backup_overdue', 'replication_retained', 'replication_lag', 'protection_lag', 'protection_retained', 'protection_recovered'] as const;
export type ChannelEvent = (typeof channelEvents)[number];

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).max(2000);
const secretText = z.string().min(1).max(4000);
export const webhookHeaderName = z.string().regex(/^[A-Za-z0-9-]{1,100}$/, { error: 'a header name is 1-100 letters, digits or dashes' });
// A line break would let a value smuggle further headers into the request.
export const webhookHeaderValue = z.string().max(1000).regex(/^[^\r\n\0]*$/, { error: 'a header value cannot contain line breaks or NUL' });

export const channelConfigSchemas = {
  webhook: z.strictObject({
    url: httpUrl,
    secret: secretText.nullable().optional().describe('HMAC-SHA256 key; signs each request (X-Pgferry-Signature)'),
    headers: z
      .record(webhookHeaderName, webhookHeaderValue)
      .optional()
      .describe('Extra request headers, e.g. {"Authorization": "Bearer …"}; write-only: answers list their names, never their values'),
  }),
  slack: z.strictObject({ url: httpUrl.describe('Incoming webhook URL') }),
  dingtalk: z.strictObject({ url: httpUrl.describe('Robot webhook URL with access_token'), secret: secretText.nullable().optional().describe('Signing secret (SEC…)') }),
  wecom: z.strictObject({ url: httpUrl.describe('Group robot webhook URL with key') }),
  feishu: z.strictObject({ url: httpUrl.describe('Custom bot webhook URL'), secret: secretText.nullable().optional().describe('Signature verification secret') }),
  teams: z.strictObject({ url: httpUrl.describe('Incoming webhook / workflow URL') }),
  telegram: z.strictObject({
    bot_token: secretText,
    chat_id: z.union([z.string().min(1).max(100), z.number().int()]),
    api_url: httpUrl.optional().describe('Bot API base (default: https://api.telegram.org)'),
  }),
  email: z.strictObject({
    host: z.string().min(1).max(255),
    port: z.number().int().min(1).max(65535).optional(),
    secure: z.boolean().optional().describe('TLS from the start (port 465); otherwise STARTTLS when offered'),
    require_tls: z.boolean().optional(),
    tls_reject_unauthorized: z.boolean().optional(),
    username: z.string().min(1).max(255).optional(),
    password: secretText.nullable().optional(),
    from: z.string().min(3).max(320),
    to: z.array(z.email()).min(1).max(50),
  }),
  discord: z.strictObject({
    url: httpUrl.describe('Webhook URL (https://discord.com/api/webhooks/ID/TOKEN)'),
    username: z.string().min(1).max(80).optional().describe("Name the message is posted under (default: the webhook's own)"),
  }),
  mattermost: z.strictObject({
    url: httpUrl.describe('Incoming webhook URL (https://HOST/hooks/KEY)'),
    username: z.string().min(1).max(64).optional().describe('Name the message is posted under, if the server lets webhooks override it'),
    channel: z.string().min(1).max(64).optional().describe("Channel name to post in instead of the webhook's own"),
  }),
  ntfy: z
    .strictObject({
      server_url: httpUrl.optional().describe('ntfy server (default: https://ntfy.sh)'),
      topic: z.string().regex(/^[-_A-Za-z0-9]{1,64}$/, { error: 'a topic is 1-64 letters, digits, - or _' }),
      token: secretText.nullable().optional().describe('Access token (tk_…), sent as Authorization: Bearer'),
      username: z.string().min(1).max(255).optional(),
      password: secretText.nullable().optional(),
    })
    .refine((config) => !(typeof config.token === 'string' && config.username !== undefined), {
      error: 'use either an access token or a user name and password, not both',
      path: ['token'],
      params: { code: 'token_or_password' },
    })
    .refine((config) => typeof config.password !== 'string' || config.username !== undefined, {
      error: 'a password needs a user name',
      path: ['username'],
      params: { code: 'password_needs_user' },
    }),
  url: z.strictObject({
    url: z
      .string()
      .min(1)
      .max(2000)
      .superRefine((value, context) => {
        const problem = serviceUrlProblem(value);
        if (problem) context.addIssue({ code: 'custom', message: problem, params: { code: 'service_url' } });
      })
      .describe('Apprise-style service URL: discord://, mattermost:// (mmost://, mmosts://), ntfy://, ntfys://, slack://, teams:// (msteams://), tgram://, json://, jsons://'),
  }),
} as const;

export const secretFields: Record<ChannelKind, readonly string[]> = {
  webhook: ['secret', 'headers'],
  slack: ['url'],
  dingtalk: ['url', 'secret'],
  wecom: ['url'],
  feishu: ['url', 'secret'],
  teams: ['url'],
  telegram: ['bot_token'],
  email: ['password'],
  discord: ['url'],
  mattermost: ['url'],
  ntfy: ['token', 'password'],
  url: ['url'],
};

/**
 * Fields that stand for another way of doing the same thing: a change that sets one drops the
 * stored others (unless it sets them too), so switching an ntfy channel from a token to a user
 * and password needs no explicit `null` for the token, which a form cannot show.
 */
export const replacedFields: Partial<Record<ChannelKind, Record<string, readonly string[]>>> = {
  ntfy: { token: ['username', 'password'], username: ['token'], password: ['token'] },
};

export type ChannelConfig = Record<string, unknown>;

/** Splits a validated config into the stored public part and the sealed secret part. */
export function splitSecrets(kind: ChannelKind, config: ChannelConfig): { publicConfig: ChannelConfig; secrets: ChannelConfig } {
  const publicConfig: ChannelConfig = {};
  const secrets: ChannelConfig = {};
  for (const [key, value] of Object.entries(config)) {
    if (secretFields[kind].includes(key)) secrets[key] = value;
    else publicConfig[key] = value;
  }
  return { publicConfig, secrets };
}
