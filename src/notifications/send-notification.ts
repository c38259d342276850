import { createHmac } from 'node:crypto';

import nodemailer from 'nodemailer';

import { PgferryError } from '../errors/pgferry-error.js';
import { type OutboundCheck, allowAnyOutbound, urlDestination } from '../net/outbound-guard.js';
import type { ChannelConfig, ChannelKind } from './channel-kinds.js';
import { detailLines, discordRequest, eventColour, mattermostRequest, ntfyRequest } from './chat-requests.js';
import type { NotificationPayload } from './notification-payload.js';
import { type ServiceKind, resolveServiceUrl } from './service-url.js';
import { signWebhook, signatureHeaders } from './webhook-signature.js';

export interface HttpRequestPlan {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface SendResult {
  responseStatus: number | null;
}

const requestTimeoutMs = 10_000;

/** The request a chat robot or webhook expects (pure, so it can be unit-tested). */
export function buildHttpRequest(kind: ServiceKind, config: ChannelConfig, payload: NotificationPayload, deliveryId: string, now = Date.now()): HttpRequestPlan {
  const json = (body: unknown, url = String(config.url)): HttpRequestPlan => ({
    url,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  switch (kind) {
    case 'webhook': {
      const body = JSON.stringify(payload);
      const timestamp = Math.floor(now / 1000);
      const headers: Record<string, string> = {
        ...((config.headers as Record<string, string> | undefined) ?? {}),
        'content-type': 'application/json',
        'user-agent': 'pgferry-webhook/1',
        [signatureHeaders.event]: payload.event,
        [signatureHeaders.delivery]: deliveryId,
        [signatureHeaders.timestamp]: String(timestamp),
      };
      if (typeof config.secret === 'string') headers[signatureHeaders.signature] = signWebhook(config.secret, timestamp, body);
      return { url: String(config.url), headers, body };
    }
    case 'slack':
      return json({ text: payload.text });
    case 'dingtalk': {
      let url = String(config.url);
      if (typeof config.secret === 'string') {
        // DingTalk: base64 HMAC-SHA256 of "<ms timestamp>\n<secret>" keyed by the secret.
        const sign = createHmac('sha256', config.secret).update(`${now}\n${config.secret}`).digest('base64');
        url += `${url.includes('?') ? '&' : '?'}timestamp=${now}&sign=${encodeURIComponent(sign)}`;
      }
      return json({ msgtype: 'text', text: { content: payload.text } }, url);
    }
    case 'wecom':
      return json({ msgtype: 'text', text: { content: payload.text } });
    case 'feishu': {
      const body: Record<string, unknown> = { msg_type: 'text', content: { text: payload.text } };
      if (typeof config.secret === 'string') {
        // Feishu: base64 HMAC-SHA256 of an empty message keyed by "<s timestamp>\n<secret>".
        const timestamp = Math.floor(now / 1000);
        body.timestamp = String(timestamp);
        body.sign = createHmac('sha256', `${timestamp}\n${config.secret}`).update('').digest('base64');
      }
      return json(body);
    }
    case 'teams':
      return json({
        '@type': 'MessageCard',
        '@context': 'https://schema.org/extensions',
        summary: payload.title,
        themeColor: eventColour(payload.event),
        title: payload.title,
        text: detailLines(payload).join('\n\n'),
      });
    case 'telegram': {
      const base = String(config.api_url ?? 'https://api.telegram.org').replace(/\/+$/, '');
      return json({ chat_id: config.chat_id, text: payload.text, disable_web_page_preview: true }, `${base}/bot${String(config.bot_token)}/sendMessage`);
    }
    case 'discord':
      return discordRequest(config, payload, now);
    case 'mattermost':
      return mattermostRequest(config, payload);
    case 'ntfy':
      return ntfyRequest(config, payload);
  }
}

/** Robots answer 200 with an error code in the body; that is a failure too. */
function bodyError(kind: ChannelKind, text: string): string | undefined {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if ((kind === 'dingtalk' || kind === 'wecom') && body.errcode !== undefined && body.errcode !== 0) return `errcode ${String(body.errcode)}: ${String(body.errmsg ?? '')}`;
  if (kind === 'feishu' && body.code !== undefined && body.code !== 0) return `code ${String(body.code)}: ${String(body.msg ?? '')}`;
  if (kind === 'telegram' && body.ok === false) return `${String(body.error_code ?? '')} ${String(body.description ?? '')}`.trim();
  return undefined;
}

/** Where a message went, without the path or query (robot tokens live there). */
function safeTarget(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the configured URL';
  }
}

export interface SendOptions {
  /** PGFERRY_OUTBOUND_ALLOW, checked before connecting (default: everything allowed). */
  outbound?: OutboundCheck;
  /** The channel's name, for the outbound error. */
  channelName?: string;
  /** How errors name the channel (default: "<kind> channel"). */
  label?: string;
}

/**
 * Sends one message; throws PGF_NOTIFICATION_FAILED with a message free of secrets, or
 * PGF_OUTBOUND_DENIED, before connecting, when the allow-list forbids the destination.
 */
export async function sendNotification(kind: ChannelKind, config: ChannelConfig, payload: NotificationPayload, deliveryId: string, options: SendOptions = {}): Promise<SendResult> {
  if (kind === 'url') {
    // Sent as the kind its URL names, by that kind's sender (the URL was checked at save).
    let target;
    try {
      target = resolveServiceUrl(String(config.url));
    } catch (error) {
      throw new PgferryError('PGF_NOTIFICATION_FAILED', `url channel: the stored service URL cannot be used (${(error as Error).message}); edit the channel`, { details: { responseStatus: null } });
    }
    return sendNotification(target.kind, target.config, payload, deliveryId, { ...options, label: `url channel (${target.kind})` });
  }
  const outbound = options.outbound ?? allowAnyOutbound;
  const label = options.label ?? `${kind} channel`;
  const what = `${label}${options.channelName ? ` "${options.channelName}"` : ''}`;
  if (kind === 'email') {
    await outbound({ host: String(config.host), port: smtpPort(config), what });
    return sendEmail(config, payload);
  }
  const plan = buildHttpRequest(kind, config, payload, deliveryId);
  const target = safeTarget(plan.url);
  // Host and port only: the URL's path and query (robot tokens) stay out of the error.
  await outbound({ ...urlDestination(plan.url), what });
  let response: Response;
  try {
    response = await fetch(plan.url, { method: 'POST', headers: plan.headers, body: plan.body, signal: AbortSignal.timeout(requestTimeoutMs), redirect: 'manual' });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new PgferryError('PGF_NOTIFICATION_FAILED', `${label}: could not reach ${target} (${cause}); check the URL and that this host can reach it`, {
      details: { responseStatus: null },
    });
  }
  const text = (await response.text().catch(() => '')).slice(0, 2000);
  if (!response.ok) {
    throw new PgferryError('PGF_NOTIFICATION_FAILED', `${label}: ${target} answered HTTP ${response.status}`, {
      details: { responseStatus: response.status },
    });
  }
  const problem = bodyError(kind, text);
  if (problem) {
    throw new PgferryError('PGF_NOTIFICATION_FAILED', `${label}: ${target} refused the message (${problem})`, {
      details: { responseStatus: response.status },
    });
  }
  return { responseStatus: response.status };
}

function smtpPort(config: ChannelConfig): number {
  return typeof config.port === 'number' ? config.port : config.secure ? 465 : 587;
}

async function sendEmail(config: ChannelConfig, payload: NotificationPayload): Promise<SendResult> {
  const transport = nodemailer.createTransport({
    host: String(config.host),
    port: smtpPort(config),
    secure: config.secure === true,
    requireTLS: config.require_tls === true,
    tls: { rejectUnauthorized: config.tls_reject_unauthorized !== false },
    connectionTimeout: requestTimeoutMs,
    greetingTimeout: requestTimeoutMs,
    socketTimeout: requestTimeoutMs,
    ...(typeof config.username === 'string' ? { auth: { user: config.username, pass: typeof config.password === 'string' ? config.password : '' } } : {}),
  });
  try {
    await transport.sendMail({
      from: String(config.from),
      to: (config.to as string[]).join(', '),
      subject: payload.title,
      text: payload.text,
      headers: { 'X-Pgferry-Event': payload.event },
    });
    return { responseStatus: 250 };
  } catch (error) {
    const code = (error as { responseCode?: number }).responseCode ?? null;
    const reason = (error as { code?: string }).code ?? 'error';
    throw new PgferryError('PGF_NOTIFICATION_FAILED', `email channel: the SMTP server ${String(config.host)} did not accept the message (${reason}${code ? ` ${code}` : ''})`, {
      details: { responseStatus: code },
    });
  } finally {
    transport.close();
  }
}
