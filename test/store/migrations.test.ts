import pg from 'pg';
import { describe, expect, it } from 'vitest';

import { createStoreDatabase } from '../../src/store/create-database.js';
import { listMigrationFiles } from '../../src/store/migration-files.js';
import { StoreMigrator } from '../../src/store/store-migrator.js';
import { createTestDatabase } from '../helpers/test-database.js';

/** Everything in the pgferry schema that a migration could change, as comparable text. */
async function describeSchema(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const queries = [
      `SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' null=' || is_nullable || ' default=' || coalesce(column_default, '')
         FROM information_schema.columns WHERE table_schema = 'pgferry' AND table_name NOT LIKE 'kysely%'`,
      `SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
         FROM pg_constraint WHERE connamespace = 'pgferry'::regnamespace AND conrelid::regclass::text NOT LIKE '%kysely%'`,
      `SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'pgferry' AND tablename NOT LIKE 'kysely%'`,
      `SELECT 'trigger ' || tgname || ' ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
         AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'pgferry'::regnamespace)`,
      `SELECT 'function ' || proname || ' ' || md5(prosrc) FROM pg_proc WHERE pronamespace = 'pgferry'::regnamespace`,
    ];
    const lines: string[] = [];
    for (const query of queries) lines.push(...(await client.query<{ '?column?': string }>(query)).rows.map((row) => Object.values(row)[0] as string));
    return lines.sort();
  } finally {
    await client.end();
  }
}

/** A fresh, unmigrated database with a migrator and a plain client on it, both closed after `body`. */
async function onFreshDatabase(body: (migrator: StoreMigrator, client: pg.Client) => Promise<void>) {
  const database = await createTestDatabase({ migrated: false });
  const store = createStoreDatabase({ connectionString: database.url, poolMax: 2 });
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await body(new StoreMigrator(store.db), client);
  } finally {
    await client.end();
    await store.close();
  }
}

describe('store migrations', () => {
  it('up → down → up leaves an identical schema', async () => {
    const database = await createTestDatabase({ migrated: false });
    const store = createStoreDatabase({ connectionString: database.url, poolMax: 2 });
    try {
      const migrator = new StoreMigrator(store.db);
      expect((await migrator.status()).initialised).toBe(false);

      const applied = await migrator.upgrade();
      expect(applied).toContain('0001_initial_domain');
      const first = await describeSchema(database.url);
      expect(first.some((line) => line.startsWith('column runs.status'))).toBe(true);
      expect(first.length).toBeGreaterThan(150);

      const reverted = await migrator.downgrade('base');
      expect(reverted).toEqual([...applied].reverse());
      expect(await describeSchema(database.url)).toEqual([]);

      await migrator.upgrade();
      expect(await describeSchema(database.url)).toEqual(first);
      const status = await migrator.status();
      expect(status.pending).toEqual([]);
      expect(status.current).toBe(applied.at(-1));
    } finally {
      await store.close();
    }
  });

  it('0031 lets runs end incomplete with their missing objects, and its down turns them into failed runs', async () => {
    await onFreshDatabase(async (migrator, client) => {
      await migrator.upgrade('0030_sync_job_owners_grants');
      const insert = (status: string) =>
        client.query(`INSERT INTO pgferry.runs (kind, trigger, status, started_at, finished_at) VALUES ('sync', 'cli', $1, now(), now()) RETURNING id`, [status]);
      await expect(insert('incomplete')).rejects.toThrow(/runs_status_check/);

      await migrator.upgrade('0031_run_status_incomplete');
      const missing = [{ object: 'extension postgis', reason: 'not installed on the destination' }];
      const run = (await insert('incomplete')).rows[0] as { id: string };
      await client.query(`UPDATE pgferry.runs SET missing_objects = $2, error_code = 'PGF_RUN_INCOMPLETE' WHERE id = $1`, [run.id, JSON.stringify(missing)]);
      const stored = await client.query(`SELECT status, missing_objects FROM pgferry.runs WHERE id = $1`, [run.id]);
      expect(stored.rows[0]).toEqual({ status: 'incomplete', missing_objects: missing });
      // Other runs default to no missing objects; a list is the only shape accepted; unknown statuses stay refused.
      const other = (await insert('succeeded')).rows[0] as { id: string };
      expect((await client.query(`SELECT missing_objects FROM pgferry.runs WHERE id = $1`, [other.id])).rows[0].missing_objects).toEqual([]);
      await expect(client.query(`UPDATE pgferry.runs SET missing_objects = '{}' WHERE id = $1`, [other.id])).rejects.toThrow(/missing_objects/);
      await expect(insert('partial')).rejects.toThrow(/runs_status_check/);

      expect(await migrator.downgrade('0030_sync_job_owners_grants')).toEqual(['0031_run_status_incomplete']);
      const reverted = await client.query(`SELECT status, error_code FROM pgferry.runs WHERE id = $1`, [run.id]);
      expect(reverted.rows[0]).toEqual({ status: 'failed', error_code: 'PGF_RUN_INCOMPLETE' });
      const columns = await client.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'pgferry' AND table_name = 'runs' AND column_name = 'missing_objects'`);
      expect(columns.rowCount).toBe(0);
      await expect(insert('incomplete')).rejects.toThrow(/runs_status_check/);
    });
  });

  it('0035 admits the discord, mattermost, ntfy and url channel kinds, and its down refuses while such channels exist', async () => {
    await onFreshDatabase(async (migrator, client) => {
      const files = (await listMigrationFiles()).map((file) => file.replace(/\.ts$/, ''));
      const target = '0035_channel_kinds_discord_mattermost_ntfy_url';
      const before = files[files.indexOf(target) - 1] as string;
      await migrator.upgrade(before);
      const insert = (kind: string) => client.query(`INSERT INTO pgferry.notification_channels (name, kind) VALUES ($1, $1) RETURNING id`, [kind]);
      await expect(insert('ntfy')).rejects.toThrow(/notification_channels_kind_check/);

      await migrator.upgrade(target);
      for (const kind of ['discord', 'mattermost', 'ntfy', 'url', 'email']) await insert(kind);
      await expect(insert('pager')).rejects.toThrow(/notification_channels_kind_check/);

      await expect(migrator.downgrade(before)).rejects.toThrow(/delete them before downgrading/);
      await client.query(`DELETE FROM pgferry.notification_channels WHERE kind <> 'email'`);
      expect(await migrator.downgrade(before)).toContain(target);
      await expect(insert('discord')).rejects.toThrow(/notification_channels_kind_check/);
    });
  });

  it('0036 adds continuous-sync jobs and the replication events, and its down refuses while such jobs exist', async () => {
    await onFreshDatabase(async (migrator, client) => {
      const target = '0036_continuous_sync_jobs';
      const before = '0035_channel_kinds_discord_mattermost_ntfy_url';
      await migrator.upgrade(target);
      const connections = await client.query<{ id: string }>(`INSERT INTO pgferry.connections (name, host, database, username) VALUES ('a', 'h', 'd', 'u'), ('b', 'h', 'd', 'u') RETURNING id`);
      const [a, b] = connections.rows.map((row) => row.id);
      const job = await client.query<{ id: string }>(`INSERT INTO pgferry.sync_jobs (name, source_connection_id, destination_connection_id, kind) VALUES ('f', $1, $2, 'follow') RETURNING id`, [a, b]);
      await client.query(`INSERT INTO pgferry.follow_jobs (sync_job_id) VALUES ($1)`, [job.rows[0]!.id]);
      // A follower runs all the time: a schedule on it is refused by the store itself.
      await expect(client.query(`UPDATE pgferry.sync_jobs SET cron = '* * * * *' WHERE kind = 'follow'`)).rejects.toThrow(/sync_jobs_follow_unscheduled/);
      await client.query(`INSERT INTO pgferry.notification_channels (name, kind, events) VALUES ('c', 'webhook', '{replication_retained,replication_lag}')`);

      await expect(migrator.downgrade(before)).rejects.toThrow(/drop them .* before downgrading below 0036/);
      await client.query(`DELETE FROM pgferry.sync_jobs`);
      expect(await migrator.downgrade(before)).toContain(target);
      const events = await client.query(`SELECT events FROM pgferry.notification_channels WHERE name = 'c'`);
      expect(events.rows[0]).toEqual({ events: [] });
      const table = await client.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = 'pgferry' AND table_name = 'follow_jobs'`);
      expect(table.rowCount).toBe(0);
    });
  });

  it('0037 adds continuous protection and its events, and its down refuses while a protection still holds a slot', async () => {
    await onFreshDatabase(async (migrator, client) => {
      const files = (await listMigrationFiles()).map((file) => file.replace(/\.ts$/, ''));
      const target = '0037_continuous_protection';
      const before = files[files.indexOf(target) - 1] as string;
      await migrator.upgrade(before);
      const channel = (events: string) => client.query(`INSERT INTO pgferry.notification_channels (name, kind, events) VALUES (md5(random()::text), 'webhook', $1::text[])`, [events]);
      await expect(channel('{protection_lag}')).rejects.toThrow(/notification_channels_events_check/);

      await migrator.upgrade(target);
      await channel('{protection_lag,protection_retained,protection_recovered,failed}');
      const connection = (await client.query(`INSERT INTO pgferry.connections (name, host, database, username) VALUES ('p', 'h', 'd', 'u') RETURNING id`)).rows[0].id as string;
      const storage = (await client.query(`INSERT INTO pgferry.storages (name, kind, config) VALUES ('s', 'local', '{"path":"/tmp/x"}') RETURNING id`)).rows[0].id as string;
      await client.query(`INSERT INTO pgferry.connection_protection (connection_id, storage_id, slot_name) VALUES ($1, $2, 'pgferry_wal_x')`, [connection, storage]);
      await expect(client.query(`UPDATE pgferry.connection_protection SET enabled = false`)).rejects.toThrow(/check/);
      await expect(client.query(`DELETE FROM pgferry.connections WHERE id = $1`, [connection])).rejects.toThrow(/foreign key/);

      await expect(migrator.downgrade(before)).rejects.toThrow(/disable it/);
      await client.query(`UPDATE pgferry.connection_protection SET enabled = false, slot_state = 'dropped'`);
      expect(await migrator.downgrade(before)).toContain(target);
      const events = await client.query(`SELECT events FROM pgferry.notification_channels`);
      expect(events.rows.map((row: { events: string[] }) => row.events)).toEqual([['failed']]);
    });
  });

  it('refuses an unknown target migration with the list of known ones', async () => {
    const database = await createTestDatabase({ migrated: false });
    const store = createStoreDatabase({ connectionString: database.url, poolMax: 2 });
    try {
      await expect(new StoreMigrator(store.db).upgrade('9999_nope')).rejects.toMatchObject({
        code: 'PGF_MIGRATION_NOT_FOUND',
        message: expect.stringContaining('0001_initial_domain'),
      });
    } finally {
      await store.close();
    }
  });

  it('keeps audit rows append-only except inside the retention transaction', async () => {
    const database = await createTestDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(`INSERT INTO pgferry.audit_log (actor_type, action) VALUES ('system', 'test')`);
      await expect(client.query(`UPDATE pgferry.audit_log SET action = 'x'`)).rejects.toThrow(/append-only/);
      await expect(client.query(`DELETE FROM pgferry.audit_log`)).rejects.toThrow(/append-only/);
      await client.query('BEGIN');
      await client.query(`SET LOCAL pgferry.audit_prune = 'on'`);
      const deleted = await client.query(`DELETE FROM pgferry.audit_log`);
      await client.query('COMMIT');
      expect(deleted.rowCount).toBe(1);
    } finally {
      await client.end();
    }
  });

  it('0040 adds incremental_full_every to backup jobs: physical only, at least 2, null for every run full', async () => {
    await onFreshDatabase(async (migrator, client) => {
      const target = '0040_backup_job_incremental_full_every';
      const before = '0039_physical_backup_records';
      await migrator.upgrade(before);
      const connection = (await client.query<{ id: string }>(`INSERT INTO pgferry.connections (name, host, database, username) VALUES ('a', 'h', 'd', 'u') RETURNING id`)).rows[0]!.id;
      const insert = (name: string, format: string) =>
        client.query<{ id: string }>(`INSERT INTO pgferry.backup_jobs (name, connection_id, format, selection, retention, verification) VALUES ($1, $2, $3, '{}', '{}', '{}') RETURNING id`, [name, connection, format]);
      await insert('native', 'native');
      const physical = (await insert('physical', 'physical')).rows[0]!.id;

      await migrator.upgrade(target);
      expect((await client.query(`SELECT incremental_full_every FROM pgferry.backup_jobs WHERE id = $1`, [physical])).rows[0]).toEqual({ incremental_full_every: null });
      await client.query(`UPDATE pgferry.backup_jobs SET incremental_full_every = 7 WHERE id = $1`, [physical]);
      await expect(client.query(`UPDATE pgferry.backup_jobs SET incremental_full_every = 1 WHERE id = $1`, [physical])).rejects.toThrow(/backup_jobs_incremental_full_every_check/);
      await expect(client.query(`UPDATE pgferry.backup_jobs SET incremental_full_every = 3 WHERE name = 'native'`)).rejects.toThrow(/backup_jobs_incremental_full_every_check/);

      expect(await migrator.downgrade(before)).toEqual([target]);
      const column = await client.query(`SELECT 1 FROM information_schema.columns WHERE table_schema = 'pgferry' AND table_name = 'backup_jobs' AND column_name = 'incremental_full_every'`);
      expect(column.rowCount).toBe(0);
    });
  });
});
