import { resourceHooks, resourceKeys, useItemAction } from './crud.js';

export const channelKinds = ['webhook', 'slack', 'dingtalk', 'wecom', 'feishu', 'teams', 'telegram', 'email'] as const;
export const channelEvents = ['failed', 'succeeded', 'recovered', 'backup_overdue'] as const;

export interface Channel {
  id: string;
  name: string;
  kind: (typeof channelKinds)[number];
  config: Record<string, unknown>;
  /** Which secret config fields are stored (they are never returned). */
  secrets_set: string[];
  /** A webhook's custom headers: names only, their values are never returned. */
  headers: { name: string; value_set: true }[];
  events: (typeof channelEvents)[number][];
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

/** Create sends kind + full config; update (PATCH) sends only changed fields, a left-out secret (or header) is kept. */
export interface ChannelInput {
  name: string;
  kind?: string;
  config: Record<string, unknown>;
  events: string[];
  enabled: boolean;
}

export interface ChannelField {
  name: string;
  type: 'text' | 'secret' | 'number' | 'emails' | 'boolean';
  required?: boolean;
}

/** The config fields of each kind (src/notifications/channel-kinds.ts); URLs of robots carry tokens, so they are secrets. */
export const channelFields: Record<(typeof channelKinds)[number], ChannelField[]> = {
  webhook: [{ name: 'url', type: 'text', required: true }, { name: 'secret', type: 'secret' }],
  slack: [{ name: 'url', type: 'secret', required: true }],
  dingtalk: [{ name: 'url', type: 'secret', required: true }, { name: 'secret', type: 'secret' }],
  wecom: [{ name: 'url', type: 'secret', required: true }],
  feishu: [{ name: 'url', type: 'secret', required: true }, { name: 'secret', type: 'secret' }],
  teams: [{ name: 'url', type: 'secret', required: true }],
  telegram: [{ name: 'bot_token', type: 'secret', required: true }, { name: 'chat_id', type: 'text', required: true }, { name: 'api_url', type: 'text' }],
  email: [
    { name: 'host', type: 'text', required: true },
    { name: 'port', type: 'number' },
    { name: 'secure', type: 'boolean' },
    { name: 'username', type: 'text' },
    { name: 'password', type: 'secret' },
    { name: 'from', type: 'text', required: true },
    { name: 'to', type: 'emails', required: true },
  ],
};

const base = '/api/v1/notification-channels';
export const channelKeys = resourceKeys('notification-channels');
export const channelPaging = 'page' as const;
export const { useList: useChannels, useSave: useSaveChannel, useRemove: useRemoveChannel } = resourceHooks<Channel, ChannelInput>(
  base,
  channelKeys,
  { update: 'PATCH' },
);

export interface ChannelTestResult {
  delivered: boolean;
  delivery_id: string;
  response_status: number | null;
  error: string | null;
}

export const useTestChannel = () => useItemAction<ChannelTestResult>(base, 'test', [[...channelKeys.all]]);
