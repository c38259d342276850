import type { ChannelConfig } from './channel-kinds.js';
import { type NotificationPayload, alarmingEvents } from './notification-payload.js';
import type { HttpRequestPlan } from './send-notification.js';

// The requests of chat services whose messages have a title, details and a colour or
// priority of their own: Discord, Mattermost and ntfy.

/** Red for what needs someone's attention, green for good news (the test message too). */
export function eventColour(event: NotificationPayload['event']): string {
  return alarmingEvents.has(event) ? 'D93F0B' : '2EB67D';
}

/** The text below the title line (the title is shown on its own). */
export function detailLines(payload: NotificationPayload): string[] {
  return payload.text.split('\n').slice(1);
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** https://discord.com/developers/docs/resources/webhook#execute-webhook */
export function discordRequest(config: ChannelConfig, payload: NotificationPayload, now: number): HttpRequestPlan {
  const details = detailLines(payload).join('\n');
  const body = {
    content: clip(payload.title, 2000),
    embeds: [{ description: clip(details || payload.title, 4096), color: Number.parseInt(eventColour(payload.event), 16), footer: { text: 'pgferry' }, timestamp: new Date(now).toISOString() }],
    // A job name or error text saying @everyone must not ping anybody.
    allowed_mentions: { parse: [] },
    ...(typeof config.username === 'string' ? { username: config.username } : {}),
  };
  return { url: String(config.url), headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** https://developers.mattermost.com/integrate/webhooks/incoming/ (Slack-compatible attachments). */
export function mattermostRequest(config: ChannelConfig, payload: NotificationPayload): HttpRequestPlan {
  const details = detailLines(payload).join('\n');
  const body = {
    text: payload.title,
    ...(details ? { attachments: [{ fallback: payload.text, color: `#${eventColour(payload.event)}`, text: details }] } : {}),
    ...(typeof config.username === 'string' ? { username: config.username } : {}),
    ...(typeof config.channel === 'string' ? { channel: config.channel } : {}),
  };
  return { url: String(config.url), headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** A header value outside Latin-1 as RFC 2047 encoded-word, which ntfy decodes. */
function headerText(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text).toString('base64')}?=`;
}

/** https://docs.ntfy.sh/publish/: the message as the body, title, priority and tags as headers. */
export function ntfyRequest(config: ChannelConfig, payload: NotificationPayload): HttpRequestPlan {
  const server = String(config.server_url ?? 'https://ntfy.sh').replace(/\/+$/, '');
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    title: headerText(payload.title),
    priority: alarmingEvents.has(payload.event) ? 'high' : 'default',
    tags: `pgferry,${payload.event}`,
  };
  if (typeof config.token === 'string') headers.authorization = `Bearer ${config.token}`;
  else if (typeof config.username === 'string') headers.authorization = `Basic ${Buffer.from(`${config.username}:${String(config.password ?? '')}`).toString('base64')}`;
  return { url: `${server}/${String(config.topic)}`, headers, body: detailLines(payload).join('\n') || payload.title };
}
