import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { resolveServiceUrl, serviceUrlProblem } from '../../src/notifications/service-url.js';
import { type HttpClient, listenForHttp } from '../helpers/http-client.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';
import { deliverQueued } from './deliver-queued.js';
import { answerLikeServices, jsonBody, startHttpSink } from './notification-sinks.js';

// Issue 19: Discord, Mattermost, ntfy and Apprise-style service URLs, each sent to a local sink
// through the channel test endpoint of a listening server or the worker's delivery.

const discordToken = 'discord-tok-9f2c';
const mattermostKey = 'mmkey7b1e';
const ntfyToken = 'tk_ntfysecret42';
const ntfyPassword = 'ntfy-pass-77a';
const urlPassword = 'urlpw-3c9d';
const secretsUsed = [discordToken, mattermostKey, ntfyToken, ntfyPassword, urlPassword];

const failedPayload = {
  event: 'failed' as const,
  title: 'pgferry: sync job "订单" ❌ failed',
  text: 'pgferry: sync job "订单" ❌ failed\nrun r1 · attempt 1 · trigger cron\nerror: deadlock',
};

/** An RFC 2047 base64 encoded-word, decoded. */
const decodeWord = (value: string) => Buffer.from(/^=\?UTF-8\?B\?(.*)\?=$/.exec(value)?.[1] ?? '', 'base64').toString();

describe('Discord, Mattermost, ntfy and service URL channels', () => {
  let t: TestApp;
  let call: HttpClient;
  let sink: Awaited<ReturnType<typeof startHttpSink>>;
  const answers: string[] = [];

  async function api(method: string, path: string, body?: unknown, role: 'admin' | 'operator' | 'viewer' = 'admin') {
    const answer = await call(method, path, body, role);
    answers.push(JSON.stringify(answer.json));
    return answer;
  }
  const create = (name: string, kind: string, config: Record<string, unknown>) => api('POST', '/api/v1/notification-channels', { name, kind, events: ['failed', 'succeeded'], config });
  const sendTest = (id: unknown) => api('POST', `/api/v1/notification-channels/${String(id)}/test`, undefined, 'operator');
  /** The requests the sink received during `action`. */
  async function receivedBy(action: () => Promise<unknown>) {
    const from = sink.received.length;
    await action();
    return sink.received.slice(from);
  }

  beforeAll(async () => {
    sink = await startHttpSink(answerLikeServices);
    t = await createTestApp();
    call = await listenForHttp(t);
  });

  afterAll(async () => {
    await t.close();
    await sink.close();
  });

  it('posts a Discord embed coloured by the event, with mentions off', async () => {
    const created = await create('discord-ops', 'discord', { url: `${sink.url}/api/webhooks/1234567890/${discordToken}`, username: 'pgferry bot' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ kind: 'discord', config: { username: 'pgferry bot' }, secrets_set: ['url'] });

    const [test] = await receivedBy(async () => expect((await sendTest(created.json.id)).json).toMatchObject({ delivered: true, response_status: 204, error: null }));
    expect(test).toMatchObject({ method: 'POST', url: `/api/webhooks/1234567890/${discordToken}`, headers: { 'content-type': 'application/json' } });
    expect(jsonBody(test!)).toMatchObject({
      content: expect.stringContaining('test message'),
      username: 'pgferry bot',
      allowed_mentions: { parse: [] },
      embeds: [{ description: 'If you can read this, the channel works.', color: 0x2eb67d, footer: { text: 'pgferry' }, timestamp: expect.any(String) }],
    });

    const [failed] = await receivedBy(async () => expect(await deliverQueued(t, String(created.json.id), failedPayload)).toMatchObject({ status: 'delivered', response_status: 204 }));
    expect(jsonBody(failed!)).toMatchObject({ content: failedPayload.title, embeds: [{ description: 'run r1 · attempt 1 · trigger cron\nerror: deadlock', color: 0xd93f0b }] });
  });

  it('posts to a Mattermost incoming webhook with its user name, channel and a coloured attachment', async () => {
    const created = await create('mattermost-ops', 'mattermost', { url: `${sink.url}/hooks/${mattermostKey}`, username: 'pgferry', channel: 'town-square' });
    expect(created.json).toMatchObject({ kind: 'mattermost', config: { username: 'pgferry', channel: 'town-square' }, secrets_set: ['url'] });
    const [failed] = await receivedBy(async () => expect(await deliverQueued(t, String(created.json.id), failedPayload)).toMatchObject({ status: 'delivered', response_status: 200 }));
    expect(failed).toMatchObject({ method: 'POST', url: `/hooks/${mattermostKey}`, headers: { 'content-type': 'application/json' } });
    expect(jsonBody(failed!)).toEqual({
      text: failedPayload.title,
      username: 'pgferry',
      channel: 'town-square',
      attachments: [{ fallback: failedPayload.text, color: '#D93F0B', text: 'run r1 · attempt 1 · trigger cron\nerror: deadlock' }],
    });
  });

  it('publishes to ntfy with title, priority and tags headers, by token or by user and password', async () => {
    const created = await create('ntfy-ops', 'ntfy', { server_url: `${sink.url}/`, topic: 'pgferry-alerts', token: ntfyToken });
    expect(created.json).toMatchObject({ kind: 'ntfy', config: { server_url: `${sink.url}/`, topic: 'pgferry-alerts' }, secrets_set: ['token'] });

    const [failed] = await receivedBy(async () => expect(await deliverQueued(t, String(created.json.id), failedPayload)).toMatchObject({ status: 'delivered', response_status: 200 }));
    expect(failed).toMatchObject({ method: 'POST', url: '/pgferry-alerts', body: 'run r1 · attempt 1 · trigger cron\nerror: deadlock' });
    expect(failed!.headers).toMatchObject({ priority: 'high', tags: 'pgferry,failed', authorization: `Bearer ${ntfyToken}`, 'content-type': 'text/plain; charset=utf-8' });
    // The title holds Chinese and an emoji: sent as an RFC 2047 encoded-word, which ntfy decodes.
    expect(decodeWord(String(failed!.headers.title))).toBe(failedPayload.title);

    // Both ways of signing in at once are refused; setting one drops the stored other.
    const both = await api('PATCH', `/api/v1/notification-channels/${String(created.json.id)}`, { config: { token: ntfyToken, username: 'alerts', password: ntfyPassword } });
    expect(both.status).toBe(400);
    expect(both.json.error?.details?.fields).toEqual([expect.objectContaining({ field: 'config.token', code: 'token_or_password' })]);
    const switched = await api('PATCH', `/api/v1/notification-channels/${String(created.json.id)}`, { config: { username: 'alerts', password: ntfyPassword } });
    expect(switched.json).toMatchObject({ config: { username: 'alerts' }, secrets_set: ['password'] });
    const [test] = await receivedBy(async () => expect((await sendTest(created.json.id)).json).toMatchObject({ delivered: true }));
    expect(test!.headers).toMatchObject({ priority: 'default', tags: 'pgferry,test', authorization: `Basic ${Buffer.from(`alerts:${ntfyPassword}`).toString('base64')}` });
    expect(test!.headers.title).toMatch(/^=\?UTF-8\?B\?/);
    const back = await api('PATCH', `/api/v1/notification-channels/${String(created.json.id)}`, { config: { token: ntfyToken } });
    expect(back.json).toMatchObject({ config: { server_url: `${sink.url}/`, topic: 'pgferry-alerts' }, secrets_set: ['token'] });
    expect(back.json.config).not.toHaveProperty('username');
  });

  it('sends a service URL as the kind it names, through that kind’s request', async () => {
    const port = new URL(sink.url).port;
    const ntfy = await create('url-ntfy', 'url', { url: `ntfy://alerts:${urlPassword}@127.0.0.1:${port}/ops` });
    const mattermost = await create('url-mmost', 'url', { url: `mmost://pgferry-bot@127.0.0.1:${port}/${mattermostKey}?channel=dba` });
    const json = await create('url-json', 'url', { url: `json://127.0.0.1:${port}/in/pgferry?+X-Token=${urlPassword}` });
    for (const created of [ntfy, mattermost, json]) expect(created.json).toMatchObject({ kind: 'url', config: {}, secrets_set: ['url'] });

    const requests = await receivedBy(async () => {
      for (const created of [ntfy, mattermost, json]) expect((await sendTest(created.json.id)).json).toMatchObject({ delivered: true, response_status: 200 });
    });
    expect(requests.map((request) => request.url)).toEqual(['/ops', `/hooks/${mattermostKey}`, '/in/pgferry']);
    expect(requests[0]!.headers).toMatchObject({ tags: 'pgferry,test', authorization: `Basic ${Buffer.from(`alerts:${urlPassword}`).toString('base64')}` });
    expect(jsonBody(requests[1]!)).toMatchObject({ text: expect.stringContaining('test message'), username: 'pgferry-bot', channel: 'dba' });
    expect(requests[2]!.headers).toMatchObject({ 'x-token': urlPassword, 'x-pgferry-event': 'test' });
    expect(jsonBody(requests[2]!)).toMatchObject({ event: 'test', title: expect.stringContaining('url-json') });
  });

  it('refuses an unknown scheme at save, naming the field and the supported schemes', async () => {
    for (const url of ['pagerduty://key@service', 'https://hooks.example.com/x']) {
      const refused = await api('POST', '/api/v1/notification-channels', { name: 'bad-url', kind: 'url', config: { url } });
      expect(refused.status).toBe(400);
      expect(refused.json.error?.code).toBe('PGF_VALIDATION_FAILED');
      const [field] = refused.json.error?.details?.fields as { field: string; code: string; message: string }[];
      expect(field).toMatchObject({ field: 'body.config.url', code: 'service_url' });
      expect(field!.message).toContain('is not supported; supported schemes: discord://, mattermost://, mmost://, mmosts://, ntfy://, ntfys://, slack://, teams://, msteams://, tgram://, json://, jsons://');
    }
    const saved = await create('url-ok', 'url', { url: 'tgram://123456:ABC-def/-100200' });
    const changed = await api('PATCH', `/api/v1/notification-channels/${String(saved.json.id)}`, { config: { url: `slack://T1/B2/${urlPassword}/extra` } });
    expect(changed.status).toBe(400);
    expect(changed.json.error?.details?.fields).toEqual([expect.objectContaining({ field: 'config.url', code: 'service_url', message: 'expected slack://tokenA/tokenB/tokenC' })]);
  });

  it('never shows the secrets in answers or audit rows', async () => {
    for (const role of ['viewer', 'admin'] as const) {
      const list = await api('GET', '/api/v1/notification-channels?page_size=200', undefined, role);
      expect(list.status).toBe(200);
      for (const item of list.json.items as { id: string }[]) await api('GET', `/api/v1/notification-channels/${item.id}`, undefined, role);
    }
    const audit = JSON.stringify(await t.store.db.selectFrom('audit_log').selectAll().execute());
    expect(audit).toContain('notification_channel');
    const answered = answers.join('\n');
    for (const secret of secretsUsed) {
      expect(answered).not.toContain(secret);
      expect(audit).not.toContain(secret);
    }
  });
});

describe('service URLs map to the kinds pgferry sends', () => {
  it.each([
    ['discord://pgbot@4711/AbC-def_1', { kind: 'discord', config: { url: 'https://discord.com/api/webhooks/4711/AbC-def_1', username: 'pgbot' } }],
    ['mattermost://ops@chat.example.com:8065/key1/dba', { kind: 'mattermost', config: { url: 'https://chat.example.com:8065/hooks/key1', username: 'ops', channel: 'dba' } }],
    ['mmosts://chat.example.com/mm/key1', { kind: 'mattermost', config: { url: 'https://chat.example.com/mm/hooks/key1' } }],
    ['ntfy://pgferry_alerts', { kind: 'ntfy', config: { server_url: 'https://ntfy.sh', topic: 'pgferry_alerts' } }],
    ['ntfys://tk_abc@ntfy.example.com/ops', { kind: 'ntfy', config: { server_url: 'https://ntfy.example.com', topic: 'ops', token: 'tk_abc' } }],
    ['slack://T000/B000/XXXX', { kind: 'slack', config: { url: 'https://hooks.slack.com/services/T000/B000/XXXX' } }],
    ['msteams://contoso/g1@t1/a2/o3/V2x', { kind: 'teams', config: { url: 'https://contoso.webhook.office.com/webhookb2/g1@t1/IncomingWebhook/a2/o3/V2x' } }],
    ['teams://g1@t1/a2/o3', { kind: 'teams', config: { url: 'https://outlook.office.com/webhook/g1@t1/IncomingWebhook/a2/o3' } }],
    ['tgram://123456:ABC-def/-1001234', { kind: 'telegram', config: { bot_token: '123456:ABC-def', chat_id: -1001234 } }],
    ['tgram://123456:ABC-def/@pgferry_ops', { kind: 'telegram', config: { bot_token: '123456:ABC-def', chat_id: '@pgferry_ops' } }],
    ['jsons://u:p@hooks.example.com/a/b', { kind: 'webhook', config: { url: 'https://hooks.example.com/a/b', headers: { Authorization: `Basic ${Buffer.from('u:p').toString('base64')}` } } }],
  ])('%s', (url, expected) => {
    expect(resolveServiceUrl(url)).toEqual(expected);
  });

  it('says what is wrong without quoting the secret parts', () => {
    const problems = [
      serviceUrlProblem('discord://notanumber/Secret1'),
      serviceUrlProblem('tgram://Secret1/12'),
      serviceUrlProblem('ntfy://u:Secret1@host/a/b'),
      serviceUrlProblem('json://host/x?Secret1=1'.replace('Secret1', 'q')),
    ];
    expect(problems).toEqual([
      'expected discord://[botname@]webhook_id/webhook_token (a numeric id, then the token)',
      'expected tgram://bot_token/chat_id with a token like 123456:ABC-DEF',
      'expected ntfy://[user:password@|token@]host[:port]/topic (one topic)',
      'query parameter "q" is not supported (only +Header-Name=value)',
    ]);
    expect(serviceUrlProblem('no-scheme')).toMatch(/^expected scheme:\/\/…; supported schemes: discord:\/\//);
  });
});
