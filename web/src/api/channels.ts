import { resourceHooks, resourceKeys, useItemAction } from './crud.js';

export const channelKinds = ['webhook', 'slack', 'dingtalk', 'wecom', 'feishu', 'teams', 'telegram', 'email'] as const;
export const channelEvents = ['failed', 'succeeded', 'recovered', 'backup_overdue'] as const;

export interface Channel {
  id: string;
  name: string;
  kind: (typeof channelKinds)[number];
  config: Record<string, unknown>;
  has_secret?: boolean;
  events: (typeof channelEvents)[number][];
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

export interface ChannelInput {
  name: string;
  kind: string;
  config: Record<string, unknown>;
  secret?: string;
  events: string[];
  enabled: boolean;
}

const base = '/api/v1/notification-channels';
export const channelKeys = resourceKeys('notification-channels');
export const { useList: useChannels, useSave: useSaveChannel, useRemove: useRemoveChannel } = resourceHooks<Channel, ChannelInput>(
  base,
  channelKeys,
);

export const useTestChannel = () => useItemAction<Record<string, unknown>>(base, 'test', [[...channelKeys.all]]);
