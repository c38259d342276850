import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TestApp, createTestApp } from '../helpers/test-app.js';

/** `name{labels} value` lines → value by `name{labels}` (labels as written by prom-client). */
function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

async function scrape(app: TestApp): Promise<Map<string, number>> {
  const response = await app.request({ method: 'GET', url: '/metrics', as: 'anonymous' });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(response.body);
}

describe('GET /metrics', () => {
  let app: TestApp;
  let other: TestApp;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    [app, other] = await Promise.all([createTestApp(), createTestApp()]);
    const db = app.store.db;
    const insertConnection = async (name: string) =>
      (
        await sql<{ id: string }>`INSERT INTO connections (name, host, database, username) VALUES (${name}, '127.0.0.1', 'db', 'u') RETURNING id`.execute(
          db,
        )
      ).rows[0]!.id;
    ids.source = await insertConnection('crm-prod');
    ids.destination = await insertConnection('crm-staging');
    ids.syncJob = (
      await sql<{ id: string }>`INSERT INTO sync_jobs (name, source_connection_id, destination_connection_id)
        VALUES ('nightly crm', ${ids.source}, ${ids.destination}) RETURNING id`.execute(db)
    ).rows[0]!.id;
    ids.backupJob = (
      await sql<{ id: string }>`INSERT INTO backup_jobs (name, connection_id) VALUES ('crm backup', ${ids.source}) RETURNING id`.execute(db)
    ).rows[0]!.id;
    ids.storage = (
      await sql<{ id: string }>`INSERT INTO storages (name, kind, config) VALUES ('local', 'local', '{"path":"/tmp/x"}') RETURNING id`.execute(db)
    ).rows[0]!.id;
    // Two finished sync runs (3 s and 120 s), one failed after 10 s, one queued, one running backup.
    await sql`
      INSERT INTO runs (kind, sync_job_id, trigger, status, queued_at, started_at, finished_at, total_rows, total_bytes) VALUES
        ('sync', ${ids.syncJob}, 'manual', 'succeeded', now() - interval '1 hour', now() - interval '1 hour', now() - interval '1 hour' + interval '3 seconds', 1000, 50000),
        ('sync', ${ids.syncJob}, 'schedule', 'succeeded', now() - interval '30 minutes', '2026-01-01T00:00:00Z', '2026-01-01T00:02:00Z', 500, 20000),
        ('sync', NULL, 'cli', 'failed', now(), now() - interval '10 seconds', now(), 7, 100)`.execute(db);
    await sql`INSERT INTO runs (kind, sync_job_id, trigger, status, queued_at) VALUES ('sync', ${ids.syncJob}, 'api', 'queued', now() - interval '90 seconds')`.execute(db);
    const backupRun = (
      await sql<{ id: string }>`INSERT INTO runs (kind, backup_job_id, trigger, status, started_at) VALUES ('backup', ${ids.backupJob}, 'manual', 'running', now()) RETURNING id`.execute(
        db,
      )
    ).rows[0]!.id;
    await sql`INSERT INTO backups (run_id, connection_id, storage_id, database_name, location, format, compression, created_at, state) VALUES
      (${backupRun}, ${ids.source}, ${ids.storage}, 'db', 'a/1', 'native', 'gzip', now() - interval '2 hours', 'verified'),
      (${backupRun}, ${ids.source}, ${ids.storage}, 'db', 'a/2', 'native', 'gzip', now() - interval '1 hour', 'complete'),
      (${backupRun}, ${ids.source}, ${ids.storage}, 'db', 'a/3', 'native', 'gzip', now() - interval '1 minute', 'corrupt')`.execute(db);
    const channel = (
      await sql<{ id: string }>`INSERT INTO notification_channels (name, kind) VALUES ('ops webhook', 'webhook') RETURNING id`.execute(db)
    ).rows[0]!.id;
    await sql`INSERT INTO notification_deliveries (channel_id, event, status) VALUES
      (${channel}, 'failed', 'failed'), (${channel}, 'failed', 'failed'), (${channel}, 'succeeded', 'delivered')`.execute(db);
  });

  afterAll(async () => {
    await Promise.all([app?.close(), other?.close()]);
  });

  it('reports runs, rows and bytes, queue and running figures from the store', async () => {
    const m = await scrape(app);
    expect(m.get('pgferry_store_up')).toBe(1);
    expect(m.get('pgferry_runs{kind="sync",status="succeeded"}')).toBe(2);
    expect(m.get('pgferry_runs{kind="sync",status="failed"}')).toBe(1);
    expect(m.get('pgferry_runs{kind="backup",status="running"}')).toBe(1);
    expect(m.get('pgferry_rows_copied{kind="sync"}')).toBe(1507);
    expect(m.get('pgferry_bytes_copied{kind="sync"}')).toBe(70100);
    expect(m.get('pgferry_rows_copied{kind="restore"}')).toBe(0);
    expect(m.get('pgferry_queue_depth{kind="sync"}')).toBe(1);
    expect(m.get('pgferry_queue_depth{kind="backup"}')).toBe(0);
    expect(m.get('pgferry_runs_running{kind="backup"}')).toBe(1);
    expect(m.get('pgferry_runs_running{kind="sync"}')).toBe(0);
    expect(m.get('pgferry_queue_oldest_age_seconds')).toBeGreaterThanOrEqual(89);
  });

  it('builds the run duration histogram from finished runs', async () => {
    const m = await scrape(app);
    const bucket = (le: string) => m.get(`pgferry_run_duration_seconds_bucket{kind="sync",status="succeeded",le="${le}"}`);
    expect(bucket('1')).toBe(0);
    expect(bucket('5')).toBe(1);
    expect(bucket('60')).toBe(1);
    expect(bucket('300')).toBe(2);
    expect(bucket('+Inf')).toBe(2);
    expect(m.get('pgferry_run_duration_seconds_count{kind="sync",status="succeeded"}')).toBe(2);
    expect(m.get('pgferry_run_duration_seconds_sum{kind="sync",status="succeeded"}')).toBeCloseTo(123, 3);
    expect(m.get('pgferry_run_duration_seconds_count{kind="sync",status="failed"}')).toBe(1);
  });

  it('reports the last success per job, the newest usable backup age and notification failures', async () => {
    const m = await scrape(app);
    const lastSuccess = m.get(`pgferry_job_last_success_timestamp_seconds{job_type="sync",job_id="${ids.syncJob}",job="nightly crm"}`);
    // The newest success by finish time is the one that ended about an hour ago.
    expect(lastSuccess).toBeGreaterThan(Date.now() / 1000 - 3700);
    expect(lastSuccess).toBeLessThan(Date.now() / 1000 - 3500);
    expect([...m.keys()].some((key) => key.includes('job_type="backup"'))).toBe(false);
    // The corrupt backup of a minute ago does not count; the complete one of an hour ago does.
    const age = m.get(`pgferry_backup_newest_age_seconds{connection_id="${ids.source}",connection="crm-prod"}`);
    expect(age).toBeGreaterThan(3500);
    expect(age).toBeLessThan(3700);
    expect([...m.keys()].some((key) => key.includes(`connection_id="${ids.destination}"`))).toBe(false);
    expect(m.get('pgferry_notification_failures{channel="ops webhook",channel_kind="webhook"}')).toBe(2);
    expect(m.get('pgferry_notification_deliveries{channel="ops webhook",channel_kind="webhook",status="delivered"}')).toBe(1);
  });

  it('counts HTTP requests by route template, including unmatched paths', async () => {
    await app.request({ method: 'GET', url: '/health' });
    await app.request({ method: 'GET', url: '/health' });
    // Every GET now matches the web UI's catch-all; a POST to nowhere matches no route.
    await app.request({ method: 'POST', url: '/no/such/path/123', payload: {} });
    const m = await scrape(app);
    expect(m.get('pgferry_http_requests_total{method="GET",route="/health",status_code="200"}')).toBe(2);
    expect(m.get('pgferry_http_requests_total{method="POST",route="(unmatched)",status_code="404"}')).toBe(1);
    expect(m.get('pgferry_http_request_duration_seconds_count{method="GET",route="/health",status_code="200"}')).toBe(2);
    expect([...m.keys()].some((key) => key.includes('/no/such/path'))).toBe(false);
  });

  it('keeps one registry per app: a second app has its own figures', async () => {
    const m = await scrape(other);
    expect(m.get('pgferry_store_up')).toBe(1);
    expect(m.get('pgferry_queue_depth{kind="sync"}')).toBe(0);
    expect(m.get('pgferry_http_requests_total{method="GET",route="/health",status_code="200"}')).toBeUndefined();
    expect(m.get('pgferry_build_info{version="0.1.0"}')).toBe(1);
  });

  it('is public and listed in the OpenAPI document', async () => {
    const response = await app.request({ method: 'GET', url: '/api/v1/openapi.json' });
    const doc = response.json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/metrics');
    expect(app.app.hasRoute({ method: 'GET', url: '/metrics' })).toBe(true);
  });
});

describe('GET /metrics without a reachable store', () => {
  it('answers 200 with pgferry_store_up 0 and no stale store figures', async () => {
    const app = await createTestApp();
    try {
      expect((await scrape(app)).get('pgferry_store_up')).toBe(1);
      await app.store.close();
      const m = await scrape(app);
      expect(m.get('pgferry_store_up')).toBe(0);
      expect(m.get('pgferry_queue_depth{kind="sync"}')).toBeUndefined();
      expect(m.get('pgferry_process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(app.logs.join('')).toContain('pgferry_store_up 0');
    } finally {
      await app.close();
    }
  });
});
