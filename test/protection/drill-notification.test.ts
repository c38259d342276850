import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { queueRunNotifications } from '../../src/notifications/notification-dispatcher.js';
import { enqueueRun, getRun } from '../../src/store/run-repository.js';
import { createTestStore } from '../helpers/test-database.js';

// A scheduled physical drill has no job: its failure goes to the protection's channels.

let store: Awaited<ReturnType<typeof createTestStore>>;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(async () => {
  await store?.close();
});

describe('failed scheduled physical drill', () => {
  it("is told as failed to the protection's channels, and a passed one not to a channel watching failures only", async () => {
    const db = store.db;
    const connection = await db.insertInto('connections').values({ name: 'drilled', host: 'h', database: 'd', username: 'u' }).returning('id').executeTakeFirstOrThrow();
    const storage = await db.insertInto('storages').values({ name: 's', kind: 'local', config: JSON.stringify({ path: '/tmp/x' }) }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('connection_protection').values({ connection_id: connection.id, storage_id: storage.id, slot_name: 'pgferry_wal_x', drill_cron: '0 3 * * *' }).execute();
    const channel = await db.insertInto('notification_channels').values({ name: 'dba', kind: 'webhook', config: JSON.stringify({ url: 'http://127.0.0.1:9/hook' }), events: ['failed'] }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('connection_protection_channels').values({ connection_id: connection.id, channel_id: channel.id }).execute();

    const finished = async (status: 'failed' | 'succeeded') => {
      const run = await enqueueRun(db, { kind: 'drill', jobName: 'physical drill of drilled', trigger: 'schedule', params: { physical: true, connection_id: connection.id } });
      await db.updateTable('runs').set({ status, finished_at: new Date(), ...(status === 'failed' ? { error_code: 'PGF_DRILL_FAILED', error_message: 'public.t differs' } : {}) }).where('id', '=', run.id).execute();
      return getRun(db, run.id);
    };
    expect(await queueRunNotifications(db, await finished('failed'))).toBe(1);
    const delivery = await db.selectFrom('notification_deliveries').select(['event', 'payload']).where('channel_id', '=', channel.id).executeTakeFirstOrThrow();
    expect(delivery.event).toBe('failed');
    expect(JSON.stringify(delivery.payload)).toContain('PGF_DRILL_FAILED');
    expect(await queueRunNotifications(db, await finished('succeeded'))).toBe(0);
  });
});
