import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { deliverDueNotifications, queueOverdueBackupNotifications, queueRunNotifications } from '../../src/notifications/notification-dispatcher.js';
import { notificationHooks, sendTestNotification } from '../../src/notifications/notification-hooks.js';
import { buildHttpRequest } from '../../src/notifications/send-notification.js';
import { verifyWebhookSignature } from '../../src/notifications/webhook-signature.js';
import { assertKeyMatchesStoredSecrets } from '../../src/store/assert-key-matches.js';
import { createChannel, updateChannel } from '../../src/notifications/channel-service.js';
import { getChannelRow } from '../../src/store/notification-channel-repository.js';
import { enqueueRun, getRun } from '../../src/store/run-repository.js';
import type { RunRow } from '../../src/store/store-types.js';
import { createSyncJob } from '../../src/jobs/sync-job-service.js';
import { createTestStore } from '../helpers/test-database.js';
import { insertConnections, quietLogger, testSecrets, waitFor } from '../jobs/job-fixtures.js';
import { startHttpSink, startSmtpSink } from './notification-sinks.js';

let store: Awaited<ReturnType<typeof createTestStore>>;
let connections: { source: string; destination: string };
const secrets = testSecrets();
const logger = quietLogger();
const fastPolicy = { maxAttempts: 3, backoffMs: 20, leaseMs: 60_000 };

beforeAll(async () => {
  store = await createTestStore();
  connections = await insertConnections(store.db);
});
afterAll(async () => {
  await store.close();
});

let counter = 0;
async function finishedRun(channelIds: string[], status: 'succeeded' | 'failed', jobId?: string): Promise<RunRow> {
  counter += 1;
  const job =
    jobId ??
    (
      await createSyncJob(store.db, {
        name: `notify-${counter}-${Date.now()}`,
        source_connection_id: connections.source,
        destination_connection_id: connections.destination,
        channel_ids: channelIds,
      })
    ).id;
  const run = await enqueueRun(store.db, { kind: 'sync', syncJobId: job, jobName: `job ${counter}`, trigger: 'manual' });
  await sql`UPDATE runs SET status = ${status}, started_at = now() - interval '2 seconds', finished_at = now(), total_rows = 1234,
    error_message = ${status === 'failed' ? 'table "public"."orders" failed: deadlock' : null} WHERE id = ${run.id}`.execute(store.db);
  return getRun(store.db, run.id);
}

const deliveries = (channelId: string) =>
  store.db.selectFrom('notification_deliveries').selectAll().where('channel_id', '=', channelId).orderBy('id').execute();

async function drain() {
  for (let pass = 0; pass < 50; pass += 1) {
    await deliverDueNotifications(store.db, secrets, logger, fastPolicy);
    const pending = await store.db.selectFrom('notification_deliveries').select('id').where('status', '=', 'pending').execute();
    if (pending.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('notifications', () => {
  it('signs generic webhooks with HMAC-SHA256 that a receiver can verify, and keeps the secret sealed', async () => {
    const sink = await startHttpSink();
    try {
      const channel = await createChannel(store.db, secrets, {
        name: `hook-${Date.now()}`,
        kind: 'webhook',
        events: ['failed', 'succeeded'],
        config: { url: `${sink.url}/hooks/pgferry`, secret: 'whsec-test-1234' },
      });
      expect(channel.secrets_set).toEqual(['secret']);
      expect(JSON.stringify(channel)).not.toContain('whsec-test-1234');
      const stored = await getChannelRow(store.db, channel.id);
      expect(stored.secret_encrypted).not.toContain('whsec');
      expect(JSON.stringify(stored.config)).not.toContain('whsec');
      // The start-up key check and key rotation can open channel secrets like any other.
      await expect(assertKeyMatchesStoredSecrets(store.db, secrets)).resolves.not.toThrow();
      await expect(assertKeyMatchesStoredSecrets(store.db, testSecrets())).rejects.toMatchObject({ code: 'PGF_SECRET_KEY_MISMATCH' });

      const run = await finishedRun([channel.id], 'failed');
      expect(await queueRunNotifications(store.db, run)).toBe(1);
      await drain();
      expect(sink.received).toHaveLength(1);
      const request = sink.received[0]!;
      expect(request.url).toBe('/hooks/pgferry');
      expect(request.headers['x-pgferry-event']).toBe('failed');
      const signature = request.headers['x-pgferry-signature'] as string;
      const timestamp = request.headers['x-pgferry-timestamp'] as string;
      expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(verifyWebhookSignature('whsec-test-1234', request.body, timestamp, signature)).toBe(true);
      expect(verifyWebhookSignature('wrong-secret', request.body, timestamp, signature)).toBe(false);
      expect(verifyWebhookSignature('whsec-test-1234', request.body.replace('1234', '9999'), timestamp, signature)).toBe(false);
      expect(verifyWebhookSignature('whsec-test-1234', request.body, String(Number(timestamp) - 3600), signature)).toBe(false);
      const body = JSON.parse(request.body) as { event: string; run: { id: string; status: string; total_rows: number; error_message: string } };
      expect(body).toMatchObject({ event: 'failed', run: { id: run.id, status: 'failed', total_rows: 1234 } });
      expect(body.run.error_message).toContain('deadlock');
      const [delivery] = await deliveries(channel.id);
      expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, response_status: 200, run_id: run.id, event: 'failed' });
    } finally {
      await sink.close();
    }
  });

  it('retries a delivery after an error answer and records each attempt', async () => {
    const sink = await startHttpSink((_request, index) => (index === 0 ? { status: 503, body: 'busy' } : { status: 200 }));
    try {
      const channel = await createChannel(store.db, secrets, { name: `retry-${Date.now()}`, kind: 'slack', events: ['failed'], config: { url: `${sink.url}/services/T000/B000/XXXX` } });
      await queueRunNotifications(store.db, await finishedRun([channel.id], 'failed'));
      await drain();
      expect(sink.received).toHaveLength(2);
      expect(JSON.parse(sink.received[1]!.body)).toHaveProperty('text');
      const [delivery] = await deliveries(channel.id);
      expect(delivery).toMatchObject({ status: 'delivered', attempts: 2, response_status: 200 });
    } finally {
      await sink.close();
    }
  });

  it('gives up after the last attempt with an error that does not reveal the robot token', async () => {
    const sink = await startHttpSink(() => ({ status: 200, body: JSON.stringify({ errcode: 310000, errmsg: 'sign not match' }) }));
    try {
      const channel = await createChannel(store.db, secrets, {
        name: `ding-${Date.now()}`,
        kind: 'dingtalk',
        events: ['failed'],
        config: { url: `${sink.url}/robot/send?access_token=tok-secret-abc`, secret: 'SECdingdong' },
      });
      await queueRunNotifications(store.db, await finishedRun([channel.id], 'failed'));
      await drain();
      expect(sink.received).toHaveLength(3);
      expect(sink.received[0]!.url).toMatch(/access_token=tok-secret-abc&timestamp=\d+&sign=/);
      const [delivery] = await deliveries(channel.id);
      expect(delivery).toMatchObject({ status: 'failed', attempts: 3 });
      expect(delivery!.last_error).toContain('errcode 310000');
      expect(delivery!.last_error).not.toContain('tok-secret-abc');
    } finally {
      await sink.close();
    }
  });

  it('tells "recovered" after a failure, "succeeded" otherwise, and nothing while a retry follows', async () => {
    const sink = await startHttpSink();
    try {
      const channel = await createChannel(store.db, secrets, { name: `rec-${Date.now()}`, kind: 'webhook', events: ['failed', 'succeeded', 'recovered'], config: { url: sink.url } });
      const failed = await finishedRun([channel.id], 'failed');
      const jobId = failed.sync_job_id!;
      await queueRunNotifications(store.db, failed);
      const recovered = await finishedRun([], 'succeeded', jobId);
      await queueRunNotifications(store.db, recovered);
      const again = await finishedRun([], 'succeeded', jobId);
      await queueRunNotifications(store.db, again);
      const retried = await finishedRun([], 'failed', jobId);
      await enqueueRun(store.db, { kind: 'sync', syncJobId: jobId, trigger: 'retry', retryOf: retried.id, attempt: 2 });
      expect(await queueRunNotifications(store.db, retried)).toBe(0);
      await drain();
      // Deliveries go out in parallel, so compare by run.
      const byRun = Object.fromEntries(sink.received.map((request) => JSON.parse(request.body) as { event: string; run: { id: string } }).map((body) => [body.run.id, body.event]));
      expect(byRun).toEqual({ [failed.id]: 'failed', [recovered.id]: 'recovered', [again.id]: 'succeeded' });
    } finally {
      await sink.close();
    }
  });

  it('sends e-mail through SMTP', async () => {
    const smtp = await startSmtpSink();
    try {
      const channel = await createChannel(store.db, secrets, {
        name: `mail-${Date.now()}`,
        kind: 'email',
        events: ['succeeded'],
        config: { host: '127.0.0.1', port: smtp.port, secure: false, from: 'pgferry@example.com', to: ['dba@example.com', 'ops@example.com'] },
      });
      await queueRunNotifications(store.db, await finishedRun([channel.id], 'succeeded'));
      await drain();
      expect(smtp.messages).toHaveLength(1);
      expect(smtp.messages[0]!.to).toEqual(['dba@example.com', 'ops@example.com']);
      expect(smtp.messages[0]!.data).toMatch(/^Subject: =\?UTF-8\?Q\?pgferry=3A_sync_job/m);
      expect(smtp.messages[0]!.data).toContain('1,234 rows');
      expect(smtp.messages[0]!.data).toContain('X-Pgferry-Event: succeeded');
      const [delivery] = await deliveries(channel.id);
      expect(delivery).toMatchObject({ status: 'delivered', response_status: 250 });
    } finally {
      await smtp.close();
    }
  });

  it('sends a test message to WeCom, Feishu, Teams and Telegram robots in their formats', async () => {
    const sink = await startHttpSink((request) => ({ status: 200, body: request.url.includes('/bot') ? '{"ok":true}' : '{"errcode":0,"code":0}' }));
    try {
      const configs = [
        { kind: 'wecom', config: { url: `${sink.url}/cgi-bin/webhook/send?key=k1` } },
        { kind: 'feishu', config: { url: `${sink.url}/open-apis/bot/v2/hook/h1`, secret: 'fs' } },
        { kind: 'teams', config: { url: `${sink.url}/webhookb2/t1` } },
        { kind: 'telegram', config: { bot_token: '123:ABC', chat_id: -1001, api_url: sink.url } },
      ] as const;
      for (const { kind, config } of configs) {
        const channel = await createChannel(store.db, secrets, { name: `${kind}-${Date.now()}`, kind, config });
        const result = await sendTestNotification(store.db, secrets, await getChannelRow(store.db, channel.id));
        expect(result).toMatchObject({ delivered: true, response_status: 200, error: null });
      }
      const bodies = sink.received.map((request) => ({ url: request.url, body: JSON.parse(request.body) as Record<string, unknown> }));
      expect(bodies[0]!.body).toMatchObject({ msgtype: 'text', text: { content: expect.stringContaining('test') } });
      expect(bodies[1]!.body).toMatchObject({ msg_type: 'text', timestamp: expect.any(String), sign: expect.any(String) });
      expect(bodies[2]!.body).toMatchObject({ '@type': 'MessageCard', title: expect.stringContaining('test') });
      expect(bodies[3]).toMatchObject({ url: '/bot123:ABC/sendMessage', body: { chat_id: -1001 } });
    } finally {
      await sink.close();
    }
  });

  it('reports a failed test send and keeps a changed secret sealed', async () => {
    const channel = await createChannel(store.db, secrets, { name: `dead-${Date.now()}`, kind: 'teams', config: { url: 'http://127.0.0.1:9/webhook/secret-path' } });
    const result = await sendTestNotification(store.db, secrets, await getChannelRow(store.db, channel.id));
    expect(result.delivered).toBe(false);
    expect(result.error).toContain('could not reach 127.0.0.1:9');
    expect(result.error).not.toContain('secret-path');
    const updated = await updateChannel(store.db, secrets, channel.id, { events: ['failed', 'backup_overdue'] });
    expect(updated.secrets_set).toEqual(['url']);
    expect(updated.events).toEqual(['failed', 'backup_overdue']);
  });

  it('Feishu and DingTalk signatures follow their documented recipes', () => {
    const now = 1_700_000_000_000;
    const feishu = buildHttpRequest('feishu', { url: 'https://open.feishu.cn/x', secret: 'abc' }, { event: 'test', title: 't', text: 't' }, '1', now);
    const expected = createHmac('sha256', `${now / 1000}\nabc`).update('').digest('base64');
    expect(JSON.parse(feishu.body)).toMatchObject({ timestamp: String(now / 1000), sign: expected });
    const ding = buildHttpRequest('dingtalk', { url: 'https://oapi.dingtalk.com/robot/send?access_token=t', secret: 'SEC1' }, { event: 'test', title: 't', text: 't' }, '1', now);
    const sign = createHmac('sha256', 'SEC1').update(`${now}\nSEC1`).digest('base64');
    expect(ding.url).toBe(`https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=${now}&sign=${encodeURIComponent(sign)}`);
  });

  it('queues one backup-overdue notice per overdue spell', async () => {
    const channel = await createChannel(store.db, secrets, { name: `overdue-${Date.now()}`, kind: 'webhook', events: ['backup_overdue'], config: { url: 'http://127.0.0.1:9/x' } });
    const storage = await store.db.insertInto('storages').values({ name: `st-${Date.now()}`, kind: 'local', config: JSON.stringify({ path: '/tmp' }) }).returning('id').executeTakeFirstOrThrow();
    const job = await store.db
      .insertInto('backup_jobs')
      .values({ name: `bk-${Date.now()}`, connection_id: connections.source, cron: '0 * * * *', created_at: new Date(Date.now() - 5 * 3600_000), selection: '{}', retention: '{}', verification: '{}' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await store.db.insertInto('backup_job_storages').values({ backup_job_id: job.id, storage_id: storage.id }).execute();
    await store.db.insertInto('backup_job_channels').values({ backup_job_id: job.id, channel_id: channel.id }).execute();
    expect(await queueOverdueBackupNotifications(store.db, 3600_000)).toBe(1);
    expect(await queueOverdueBackupNotifications(store.db, 3600_000)).toBe(0);
    const [delivery] = await deliveries(channel.id);
    expect(delivery).toMatchObject({ event: 'backup_overdue', status: 'pending' });
    expect(delivery!.payload).toMatchObject({ job: { id: job.id }, last_success_at: null });
  });
});

describe('delivery beside the worker loop', () => {
  it('a webhook that has not answered yet does not hold up the worker poll', async () => {
    // A sink that answers only when the test says so.
    const held: http.ServerResponse[] = [];
    const server = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => held.push(response));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const channel = await createChannel(store.db, secrets, { name: `slow-${Date.now()}`, kind: 'webhook', events: ['failed'], config: { url } });
      await queueRunNotifications(store.db, await finishedRun([channel.id], 'failed'));
      const hooks = notificationHooks(store.db, secrets, logger, fastPolicy);
      // The poll returns while the webhook request is still open…
      await hooks.poll!();
      await waitFor(async () => held.length === 1, undefined, 'the webhook request to arrive');
      expect((await deliveries(channel.id)).map((d) => d.status)).toEqual(['pending']);
      // …and the delivery completes when the sink answers.
      held[0]!.writeHead(200).end('ok');
      await waitFor(async () => (await deliveries(channel.id))[0]?.status === 'delivered', undefined, 'the delivery to be recorded');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

