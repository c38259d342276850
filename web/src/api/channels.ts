import { type ApiAnswer, type ApiBody, everyOf } from './api-schema.js';
import { resourceHooks, resourceKeys, useItemAction } from './crud.js';

/** A channel as the API answers it (generated from the OpenAPI document): secrets and header values are never returned. */
export type Channel = ApiAnswer<'/api/v1/notification-channels/{id}', 'get'>;
type ChannelUpdate = ApiBody<'/api/v1/notification-channels/{id}', 'patch'>;
export type ChannelEvent = NonNullable<ChannelUpdate['events']>[number];
/**
 * Create sends kind + full config; update (PATCH) sends only changed fields, a left-out secret (or
 * header) is kept. The form builds config field by field from channelFields, so it is the update's
 * loose record here and the server checks it against the kind's schema.
 */
export type ChannelInput = ChannelUpdate & { kind?: Channel['kind'] };
export type ChannelTestResult = ApiAnswer<'/api/v1/notification-channels/{id}/test', 'post'>;

export const channelKinds = everyOf<Channel['kind']>()(['webhook', 'slack', 'dingtalk', 'wecom', 'feishu', 'teams', 'telegram', 'email', 'discord', 'mattermost', 'ntfy', 'url']);
export const channelEvents = everyOf<ChannelEvent>()(['failed', 'succeeded', 'recovered', 'backup_overdue', 'replication_retained', 'replication_lag', 'protection_lag', 'protection_retained', 'protection_recovered']);

export interface ChannelField {
  name: string;
  type: 'text' | 'secret' | 'number' | 'emails' | 'boolean';
  required?: boolean;
  /** Key under channels.config when the name alone would say the wrong thing (an ntfy user is no SMTP user). */
  label?: string;
  /** Key under channels.help for the text shown below the field. */
  help?: string;
  /** What the value must look like, checked before saving (the server checks again). */
  format?: 'httpUrl' | 'serviceUrl' | 'ntfyTopic';
}

/** The config fields of each kind (src/notifications/channel-kinds.ts); URLs of robots carry tokens, so they are secrets. */
export const channelFields: Record<Channel['kind'], ChannelField[]> = {
  webhook: [{ name: 'url', type: 'text', required: true, format: 'httpUrl' }, { name: 'secret', type: 'secret' }],
  slack: [{ name: 'url', type: 'secret', required: true, format: 'httpUrl' }],
  dingtalk: [{ name: 'url', type: 'secret', required: true, format: 'httpUrl' }, { name: 'secret', type: 'secret' }],
  wecom: [{ name: 'url', type: 'secret', required: true, format: 'httpUrl' }],
  feishu: [{ name: 'url', type: 'secret', required: true, format: 'httpUrl' }, { name: 'secret', type: 'secret' }],
  teams: [{ name: 'url', type: 'secret', required: true, format: 'httpUrl' }],
  telegram: [{ name: 'bot_token', type: 'secret', required: true }, { name: 'chat_id', type: 'text', required: true }, { name: 'api_url', type: 'text', format: 'httpUrl' }],
  email: [
    { name: 'host', type: 'text', required: true },
    { name: 'port', type: 'number' },
    { name: 'secure', type: 'boolean' },
    { name: 'username', type: 'text' },
    { name: 'password', type: 'secret' },
    { name: 'from', type: 'text', required: true },
    { name: 'to', type: 'emails', required: true },
  ],
  discord: [
    { name: 'url', type: 'secret', required: true, format: 'httpUrl', help: 'discordUrl' },
    { name: 'username', type: 'text', label: 'botName' },
  ],
  mattermost: [
    { name: 'url', type: 'secret', required: true, format: 'httpUrl', help: 'mattermostUrl' },
    { name: 'username', type: 'text', label: 'botName' },
    { name: 'channel', type: 'text', help: 'mattermostChannel' },
  ],
  ntfy: [
    { name: 'server_url', type: 'text', format: 'httpUrl', help: 'ntfyServer' },
    { name: 'topic', type: 'text', required: true, format: 'ntfyTopic', help: 'ntfyTopic' },
    { name: 'token', type: 'secret', label: 'accessToken', help: 'ntfyAuth' },
    { name: 'username', type: 'text', label: 'ntfyUser' },
    { name: 'password', type: 'secret', label: 'ntfyPassword' },
  ],
  url: [{ name: 'url', type: 'secret', required: true, format: 'serviceUrl', label: 'serviceUrl', help: 'serviceUrl' }],
};

const base = '/api/v1/notification-channels';
export const channelKeys = resourceKeys('notification-channels');
export const channelPaging = 'page' as const;
export const { useList: useChannels, useSave: useSaveChannel, useRemove: useRemoveChannel } = resourceHooks<Channel, ChannelInput>(
  base,
  channelKeys,
  { update: 'PATCH' },
);

export const useTestChannel = () => useItemAction<ChannelTestResult>(base, 'test', [[...channelKeys.all]]);
