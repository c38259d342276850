import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { JobWorker } from '../../src/jobs/job-worker.js';
import { notificationHooks } from '../../src/notifications/notification-hooks.js';
import { queueRunNotifications } from '../../src/notifications/notification-dispatcher.js';
import { claimRuns, enqueueRun, finishRun } from '../../src/store/run-repository.js';
import { createChannel } from '../../src/notifications/channel-service.js';
import { createSyncJob } from '../../src/jobs/sync-job-service.js';
import { trackResource } from '../helpers/leak-check.js';
import { createTestStore } from '../helpers/test-database.js';
import { insertConnections, quietLogger, sleepExecutor, testSecrets, waitFor } from './job-fixtures.js';

// A slow webhook does not hold up cron ticks (issue 14, item 11): while a delivery waits on a
// receiver that does not answer, a due tick fires, its run is claimed and finishes. The test
// orders events instead of measuring time; it prints the tick's lag as a figure.
let store: Awaited<ReturnType<typeof createTestStore>>;
let connections: { source: string; destination: string };

beforeAll(async () => {
  store = await createTestStore();
  connections = await insertConnections(store.db, 'slowhook');
});
afterAll(async () => {
  await store.close();
});

/** An HTTP receiver that holds every request open until the test lets it answer. */
async function startHoldingSink() {
  const held: Array<{ closed: boolean; answer: () => void }> = [];
  let arrived = () => {};
  const firstArrival = new Promise<void>((resolve) => (arrived = resolve));
  const server = http.createServer((request, response) => {
    const entry = { closed: false, answer: () => void (response.headersSent || response.writeHead(200).end('ok')) };
    // The response closes before it was sent only when the client gave up.
    response.on('close', () => void (entry.closed = true));
    request.resume();
    held.push(entry);
    arrived();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const release = trackResource('holding http sink', close);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    held,
    firstArrival,
    close: async () => {
      release();
      for (const entry of held) entry.answer();
      server.closeAllConnections();
      await close();
    },
  };
}

describe('a slow webhook', () => {
  it('does not delay cron ticks or claims while its delivery waits', async () => {
    const secrets = testSecrets();
    const sink = await startHoldingSink();
    const worker = new JobWorker({
      db: store.db,
      secrets,
      logger: quietLogger(),
      executors: { sync: sleepExecutor(10) },
      pollIntervalMs: 100,
      heartbeatIntervalMs: 200,
      hooks: notificationHooks(store.db, secrets, quietLogger()),
    });
    const releaseWorker = trackResource('job worker', () => worker.stop(0));
    try {
      const channel = await createChannel(store.db, secrets, { name: `slow-${Date.now()}`, kind: 'webhook', events: ['succeeded'], config: { url: sink.url } });
      const notified = await createSyncJob(store.db, { name: `notified-${Date.now()}`, source_connection_id: connections.source, destination_connection_id: connections.destination });
      await store.db.insertInto('sync_job_channels').values({ sync_job_id: notified.id, channel_id: channel.id }).execute();
      const ticking = await createSyncJob(store.db, { name: `ticking-${Date.now()}`, source_connection_id: connections.source, destination_connection_id: connections.destination, cron: '0 3 1 1 *' });

      // A run another worker finished: its notice is queued, and this worker's poll sends it.
      // The worker starts after the claim, or its own poll could take the run first.
      const queued = await enqueueRun(store.db, { kind: 'sync', trigger: 'manual', syncJobId: notified.id, jobName: notified.name });
      const elsewhere = await claimRuns(store.db, 'another-worker', 1);
      expect(elsewhere.map((run) => run.id)).toEqual([queued.id]);
      const ended = await finishRun(store.db, queued.id, 'another-worker', { status: 'succeeded' });
      expect(await queueRunNotifications(store.db, ended!)).toBe(1);
      worker.start();
      await sink.firstArrival;

      // The cron job falls due while the receiver holds the delivery.
      const fired = worker.events.next('tick:fired', ({ ticks }) => ticks.some((tick) => tick.jobId === ticking.id));
      await sql`UPDATE sync_jobs SET next_fire_at = now() WHERE id = ${ticking.id}`.execute(store.db);
      const tick = (await fired).ticks.find((candidate) => candidate.jobId === ticking.id);
      expect(tick?.runId).toBeDefined();
      const { run } = await worker.events.next('run:finished', ({ run: candidate }) => candidate.id === tick?.runId);
      expect(run.status).toBe('succeeded');
      // The delivery was still waiting for its answer all along.
      expect(sink.held).toHaveLength(1);
      expect(sink.held[0]?.closed).toBe(false);
      const pending = await store.db.selectFrom('notification_deliveries').select(['status', 'delivered_at']).where('channel_id', '=', channel.id).executeTakeFirstOrThrow();
      expect(pending.delivered_at).toBeNull();
      console.log(`tick lag behind its schedule while a webhook hung: ${run.started_at!.getTime() - tick!.tick.getTime()} ms`);

      // Once the receiver answers, the delivery is recorded as delivered.
      sink.held[0]?.answer();
      await waitFor(async () => (await store.db.selectFrom('notification_deliveries').select('status').where('channel_id', '=', channel.id).executeTakeFirstOrThrow()).status === 'delivered', 60_000, 'the delivery');
    } finally {
      await worker.stop(0);
      releaseWorker();
      await sink.close();
    }
  });
});
