import type { ChannelConfig, ChannelKind } from './channel-kinds.js';

// A `url` channel holds one Apprise-style service URL (https://github.com/caronc/apprise/wiki)
// and is sent as the concrete kind it names, by that kind's sender. Messages here never quote
// the URL past its scheme: the rest carries tokens and passwords.

export type ServiceKind = Exclude<ChannelKind, 'url' | 'email'>;

export interface ServiceTarget {
  kind: ServiceKind;
  config: ChannelConfig;
}

interface Parts {
  scheme: string;
  /** Everything between `//` and the path, undecoded (a Telegram bot token has a colon there). */
  authority: string;
  segments: string[];
  /** Name-value pairs, %-decoded only: a `+` stays a plus (Apprise's `+Header=value`). */
  query: Map<string, string>;
}

class ServiceUrlError extends Error {}

const fail = (message: string): never => {
  throw new ServiceUrlError(message);
};

const decode = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return fail('it has a malformed %-escape');
  }
};

const token = /^[A-Za-z0-9_-]+$/;

/** `user:password@host:port`, with the user and password decoded and the host checked. */
function splitAuthority(authority: string): { user?: string; password?: string; hostPort: string } {
  const at = authority.lastIndexOf('@');
  const hostPort = authority.slice(at + 1);
  if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(hostPort)) fail('its host is missing or not a host name[:port]');
  if (at < 0) return { hostPort };
  const userInfo = authority.slice(0, at);
  const colon = userInfo.indexOf(':');
  if (colon < 0) return { user: decode(userInfo), hostPort };
  return { user: decode(userInfo.slice(0, colon)), password: decode(userInfo.slice(colon + 1)), hostPort };
}

function onlyParams(query: Map<string, string>, allowed: readonly string[]) {
  for (const name of query.keys()) if (!allowed.includes(name)) fail(`query parameter "${name}" is not supported${allowed.length ? ` (only ${allowed.join(', ')})` : ''}`);
}

function segmentCount(parts: Parts, counts: readonly number[], shape: string) {
  if (!counts.includes(parts.segments.length)) fail(`expected ${parts.scheme}://${shape}`);
}

function discord(parts: Parts): ServiceTarget {
  // Apprise: discord://[botname@]webhook_id/webhook_token
  onlyParams(parts.query, []);
  segmentCount(parts, [1], '[botname@]webhook_id/webhook_token');
  const { user, hostPort: id } = splitAuthority(parts.authority);
  const [webhookToken] = parts.segments as [string];
  if (!/^\d+$/.test(id) || !token.test(webhookToken)) fail('expected discord://[botname@]webhook_id/webhook_token (a numeric id, then the token)');
  return { kind: 'discord', config: { url: `https://discord.com/api/webhooks/${id}/${webhookToken}`, ...(user ? { username: user } : {}) } };
}

function mattermost(parts: Parts): ServiceTarget {
  // shoutrrr: mattermost://[user@]host[:port]/token[/channel] (https).
  // Apprise: mmost(s)://[botname@]host[:port][/path]/token[?channel=name] (mmost http, mmosts https).
  const apprise = parts.scheme !== 'mattermost';
  onlyParams(parts.query, apprise ? ['channel'] : []);
  const { user, hostPort } = splitAuthority(parts.authority);
  if (parts.segments.length === 0 || (!apprise && parts.segments.length > 2)) fail(apprise ? `expected ${parts.scheme}://[botname@]host[:port][/path]/token` : 'expected mattermost://[user@]host[:port]/token[/channel]');
  const segments = [...parts.segments];
  const channel = apprise ? parts.query.get('channel') : segments.length === 2 ? segments.pop() : undefined;
  const hookKey = segments.pop() as string;
  if (!token.test(hookKey)) fail('the webhook key may hold only letters, digits, - and _');
  const protocol = parts.scheme === 'mmost' ? 'http' : 'https';
  const prefix = segments.map(encodeURIComponent).map((segment) => `/${segment}`).join('');
  return {
    kind: 'mattermost',
    config: { url: `${protocol}://${hostPort}${prefix}/hooks/${hookKey}`, ...(user ? { username: user } : {}), ...(channel ? { channel } : {}) },
  };
}

function ntfy(parts: Parts): ServiceTarget {
  // Apprise: ntfy://topic (ntfy.sh), ntfy(s)://[user:password@|token@]host[:port]/topic.
  onlyParams(parts.query, []);
  if (parts.segments.length > 1) fail(`expected ${parts.scheme}://[user:password@|token@]host[:port]/topic (one topic)`);
  // Without a path the authority is the topic (on ntfy.sh), which may hold an underscore no host name has.
  const { user, password, hostPort } = parts.segments.length === 0 ? { hostPort: parts.authority } : splitAuthority(parts.authority);
  const [topic, host] = parts.segments.length === 0 ? [hostPort, 'ntfy.sh'] : [parts.segments[0] as string, hostPort];
  if (!/^[-_A-Za-z0-9]{1,64}$/.test(topic)) fail('a topic is 1-64 letters, digits, - or _');
  // ntfy.sh only answers over https; ntfy:// means plain http for a server of one's own.
  const protocol = parts.scheme === 'ntfys' || host === 'ntfy.sh' ? 'https' : 'http';
  const auth = user === undefined ? {} : password === undefined ? { token: user } : { username: user, password };
  return { kind: 'ntfy', config: { server_url: `${protocol}://${host}`, topic, ...auth } };
}

function slack(parts: Parts): ServiceTarget {
  // Apprise: slack://tokenA/tokenB/tokenC, the three parts of https://hooks.slack.com/services/A/B/C.
  onlyParams(parts.query, []);
  segmentCount(parts, [2], 'tokenA/tokenB/tokenC');
  const tokens = [parts.authority, ...parts.segments];
  if (!tokens.every((part) => token.test(part))) fail('expected slack://tokenA/tokenB/tokenC (a bot name or channel is not supported)');
  return { kind: 'slack', config: { url: `https://hooks.slack.com/services/${tokens.join('/')}` } };
}

function teams(parts: Parts): ServiceTarget {
  // Apprise msteams: team/tokenA/tokenB/tokenC[/tokenD], or the older tokenA/tokenB/tokenC.
  onlyParams(parts.query, []);
  segmentCount(parts, [2, 3, 4], 'team/tokenA/tokenB/tokenC[/tokenD]');
  const tokens = [parts.authority, ...parts.segments];
  if (!tokens.every((part) => /^[A-Za-z0-9@_-]+$/.test(part))) fail(`expected ${parts.scheme}://team/tokenA/tokenB/tokenC[/tokenD]`);
  if (tokens.length === 3) {
    const [a, b, c] = tokens as [string, string, string];
    return { kind: 'teams', config: { url: `https://outlook.office.com/webhook/${a}/IncomingWebhook/${b}/${c}` } };
  }
  const [team, a, ...rest] = tokens as [string, string, ...string[]];
  return { kind: 'teams', config: { url: `https://${team}.webhook.office.com/webhookb2/${a}/IncomingWebhook/${rest.join('/')}` } };
}

function telegram(parts: Parts): ServiceTarget {
  // Apprise: tgram://bot_token/chat_id (one chat).
  onlyParams(parts.query, []);
  segmentCount(parts, [1], 'bot_token/chat_id');
  const chat = parts.segments[0] as string;
  if (!/^\d+:[A-Za-z0-9_-]+$/.test(parts.authority)) fail('expected tgram://bot_token/chat_id with a token like 123456:ABC-DEF');
  if (!/^(-?\d{1,20}|@?[A-Za-z][A-Za-z0-9_]{3,31})$/.test(chat)) fail('the chat id is a number or a @channel name');
  const numeric = /^-?\d+$/.test(chat) && Number.isSafeInteger(Number(chat));
  return { kind: 'telegram', config: { bot_token: parts.authority, chat_id: numeric ? Number(chat) : chat } };
}

function json(parts: Parts): ServiceTarget {
  // Apprise: json(s)://[user:password@]host[:port][/path][?+Header=value…] — a JSON POST; here
  // pgferry's own webhook payload, each +Header a custom header.
  const { user, password, hostPort } = splitAuthority(parts.authority);
  const headers: Record<string, string> = {};
  for (const [name, value] of parts.query) {
    if (!name.startsWith('+') || !/^[A-Za-z0-9-]{1,100}$/.test(name.slice(1))) fail(`query parameter "${name}" is not supported (only +Header-Name=value)`);
    if (/[\r\n\0]/.test(value)) fail(`header "${name.slice(1)}" cannot contain line breaks or NUL`);
    headers[name.slice(1)] = value;
  }
  if (user !== undefined) headers.Authorization = `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}`;
  const path = parts.segments.map(encodeURIComponent).join('/');
  const url = `${parts.scheme === 'jsons' ? 'https' : 'http'}://${hostPort}/${path}`;
  return { kind: 'webhook', config: { url, ...(Object.keys(headers).length > 0 ? { headers } : {}) } };
}

const schemes: Record<string, (parts: Parts) => ServiceTarget> = {
  discord,
  mattermost,
  mmost: mattermost,
  mmosts: mattermost,
  ntfy,
  ntfys: ntfy,
  slack,
  teams,
  msteams: teams,
  tgram: telegram,
  json,
  jsons: json,
};

export const serviceUrlSchemes = Object.keys(schemes);

/** The concrete kind and settings a service URL names; throws with the reason when it names none. */
export function resolveServiceUrl(url: string): ServiceTarget {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?$/.exec(url.trim());
  if (!match) return fail(`expected scheme://…; supported schemes: ${serviceUrlSchemes.map((scheme) => `${scheme}://`).join(', ')}`);
  const scheme = (match[1] as string).toLowerCase();
  const handler = schemes[scheme];
  if (!handler) return fail(`the scheme "${scheme}://" is not supported; supported schemes: ${serviceUrlSchemes.map((name) => `${name}://`).join(', ')}`);
  if (!match[2]) return fail(`${scheme}:// needs something after the //`);
  const segments = (match[3] as string).split('/').filter(Boolean).map(decode);
  const query = new Map(
    (match[4] ?? '')
      .split('&')
      .filter(Boolean)
      .map((pair): [string, string] => {
        const equals = pair.indexOf('=');
        return equals < 0 ? [decode(pair), ''] : [decode(pair.slice(0, equals)), decode(pair.slice(equals + 1))];
      }),
  );
  return handler({ scheme, authority: match[2] as string, segments, query });
}

/** Why a service URL cannot be used, or undefined when it can. */
export function serviceUrlProblem(url: string): string | undefined {
  try {
    resolveServiceUrl(url);
    return undefined;
  } catch (error) {
    if (error instanceof ServiceUrlError) return error.message;
    throw error;
  }
}
