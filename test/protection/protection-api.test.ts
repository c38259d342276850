import path from 'node:path';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { JobWorker } from '../../src/jobs/job-worker.js';
import { defaultExecutors } from '../../src/jobs/executors/default-executors.js';
import { notificationHooks } from '../../src/notifications/notification-hooks.js';
import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { type HttpClient, listenForHttp } from '../helpers/http-client.js';
import { trackResource } from '../helpers/leak-check.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';
import { quietLogger, waitFor } from '../jobs/job-fixtures.js';
import { removeDir, scratchDir } from '../wal/wal-fixtures.js';
import { saveProtectedPair, slotExists, writeWal } from './protection-fixtures.js';

let t: TestApp;
let http: HttpClient;
let cluster: TestCluster;
let home: string;

beforeAll(async () => {
  t = await createTestApp();
  http = await listenForHttp(t);
  cluster = await startCluster({ major: 17 });
  home = await scratchDir('pgferry-protection-api-');
});
afterAll(async () => {
  await t?.close();
  await cluster?.stop();
  await removeDir(home);
});

async function scrape(): Promise<string> {
  const { port } = t.app.server.address() as AddressInfo;
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

const deliveries = (event: string) => t.store.db.selectFrom('notification_deliveries').select(['id', 'payload']).where('event', '=', event).execute();

describe('continuous protection over the API', () => {
  it('turns on over HTTP; a worker streams; lag reaches /metrics and the status; a lag past its threshold is told once, then its recovery; off drops the slot', async () => {
    const { connection } = await saveProtectedPair(t.store.db, t.secrets, cluster, path.join(home, 'storage'), 'api');
    const channel = await t.store.db
      .insertInto('notification_channels')
      .values({ name: 'protection-alerts', kind: 'webhook', config: JSON.stringify({ url: 'http://127.0.0.1:9/hook' }), events: ['protection_lag', 'protection_retained', 'protection_recovered'] })
      .returning('id')
      .executeTakeFirstOrThrow();

    expect((await http('GET', `/api/v1/connections/${connection.name}/protection`)).status).toBe(404);
    const refused = await http('PUT', `/api/v1/connections/${connection.name}/protection`, { storage: 'wal-api', lag: 5 });
    expect(refused.status).toBe(400);
    const viewer = await http('PUT', `/api/v1/connections/${connection.name}/protection`, { storage: 'wal-api' }, 'viewer');
    expect(viewer.status).toBe(403);
    const on = await http('PUT', `/api/v1/connections/${connection.name}/protection`, { storage: 'wal-api', lag_seconds_alert: 1, channel_ids: [channel.id] });
    expect(on.status, JSON.stringify(on.json)).toBe(200);
    expect(on.json).toMatchObject({ connection_id: connection.id, enabled: true, storage_name: 'wal-api', slot_state: 'active', lag_seconds_alert: 1, channel_ids: [channel.id] });

    const worker = new JobWorker({
      db: t.store.db,
      secrets: t.secrets,
      logger: quietLogger(),
      executors: defaultExecutors,
      pollIntervalMs: 100,
      heartbeatIntervalMs: 200,
      protectionProgressIntervalMs: 200,
      walSpoolDir: path.join(home, 'spool'),
      hooks: notificationHooks(t.store.db, t.secrets, quietLogger()),
    });
    const releaseWorker = trackResource('job worker', () => worker.stop(0));
    worker.start();
    try {
      await waitFor(async () => (await http('GET', `/api/v1/connections/${connection.id}/protection`)).json.streaming === true, 600_000, 'the worker to stream');

      // Writes that do not fill a segment: WAL waits on the server side of storage and the lag grows.
      const lagged = await waitFor(async () => {
        await writeWal(cluster, 50, false);
        const found = await deliveries('protection_lag');
        return found.length > 0 ? found : undefined;
      }, 600_000, 'a protection_lag notification');
      expect(lagged).toHaveLength(1);
      expect(JSON.stringify(lagged[0]!.payload)).toContain(connection.name);
      const status = await http('GET', `/api/v1/connections/${connection.name}/protection`);
      expect((status.json.progress as { lag_seconds: number }).lag_seconds).toBeGreaterThan(0);
      expect(status.json.lag_alerted_at).not.toBeNull();
      const metrics = await scrape();
      const lagLine = metrics.split('\n').find((line) => line.startsWith('pgferry_protection_lag_seconds{') && line.includes(connection.id));
      expect(lagLine, metrics.split('\n').filter((line) => line.includes('protection')).join('\n')).toBeDefined();
      expect(Number(lagLine!.split(' ').at(-1))).toBeGreaterThan(0);
      expect(metrics).toMatch(new RegExp(`pgferry_protection_up\\{connection_id="${connection.id}",connection="${connection.name}"\\} 1`));
      expect(metrics).toMatch(/pgferry_protection_retained_bytes\{[^}]*\} \d+/);

      // Still over the threshold: no second notification; once the segment is stored, a recovery.
      await writeWal(cluster, 50, false);
      await writeWal(cluster, 10, true);
      const recovered = await waitFor(async () => {
        const found = await deliveries('protection_recovered');
        return found.length > 0 ? found : undefined;
      }, 600_000, 'a protection_recovered notification');
      expect(recovered).toHaveLength(1);
      expect(await deliveries('protection_lag')).toHaveLength(1);

      const list = await http('GET', '/api/v1/protection', undefined, 'viewer');
      expect((list.json.items as { connection_id: string }[]).map((item) => item.connection_id)).toContain(connection.id);
      const summary = await http('GET', '/api/v1/dashboard/summary');
      expect(summary.json.protection).toMatchObject({ protected: 1, streaming: 1, worst_connection_id: connection.id });

      const timeline = await http('GET', `/api/v1/connections/${connection.name}/protection/timeline`, undefined, 'viewer');
      expect(timeline.status, JSON.stringify(timeline.json)).toBe(200);
      expect(timeline.json).toMatchObject({ connection_id: connection.id, storage_name: 'wal-api', windows: [] });
      expect(timeline.json.system_id).toMatch(/^\d+$/);

      const off = await http('DELETE', `/api/v1/connections/${connection.name}/protection`);
      expect(off.status).toBe(200);
      expect(off.json).toMatchObject({ enabled: false });
      await waitFor(async () => (await http('GET', `/api/v1/connections/${connection.name}/protection`)).json.slot_state === 'dropped', 600_000, 'the slot to be dropped');
      expect(await slotExists(cluster, on.json.slot_name as string)).toBe(false);
      expect(await scrape()).not.toContain(`pgferry_protection_up{connection_id="${connection.id}"`);
    } finally {
      releaseWorker();
      await worker.stop(0);
    }
  });
});
