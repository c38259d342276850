import { Counter, Gauge, Histogram, type Metric, Registry } from 'prom-client';

import { type StoreMetricsSnapshot, runDurationBuckets } from './store-metrics-query.js';

/** Run kinds of the `runs` table; each always has a queue/running series, even at zero. */
const runKinds = ['sync', 'backup', 'restore', 'verify', 'drill'] as const;

const httpBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface HistogramValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/**
 * A histogram whose buckets PostgreSQL already counted (prom-client's Histogram only takes
 * one observation at a time, which would mean reading every run at each scrape).
 */
class PrecomputedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  #values: HistogramValue[] = [];
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  set(rows: StoreMetricsSnapshot['durations']): void {
    this.#values = rows.flatMap((row) => {
      const labels = { kind: row.kind, status: row.status };
      return [
        ...runDurationBuckets.map((bound, index) => ({
          labels: { ...labels, le: bound },
          value: row.buckets[index] ?? 0,
          metricName: `${this.name}_bucket`,
        })),
        { labels: { ...labels, le: '+Inf' }, value: row.count, metricName: `${this.name}_bucket` },
        { labels, value: row.sum, metricName: `${this.name}_sum` },
        { labels, value: row.count, metricName: `${this.name}_count` },
      ];
    });
  }

  async get() {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.#values };
  }
}

/** The Prometheus metrics of one app: its own registry, never prom-client's global one. */
export class AppMetrics {
  readonly registry = new Registry();
  readonly #storeUp: Gauge;
  readonly #runs: Gauge;
  readonly #rows: Gauge;
  readonly #bytes: Gauge;
  readonly #durations = new PrecomputedHistogram(
    'pgferry_run_duration_seconds',
    'Duration of finished runs kept in the store, by kind and final status',
  );
  readonly #queueDepth: Gauge;
  readonly #queueOldest: Gauge;
  readonly #running: Gauge;
  readonly #jobLastSuccess: Gauge;
  readonly #backupAge: Gauge;
  readonly #notifications: Gauge;
  readonly #notificationFailures: Gauge;
  readonly #follow: Record<'following' | 'lagBytes' | 'lagSeconds' | 'retainedBytes' | 'changesApplied' | 'ageSeconds', Gauge>;
  readonly #protection: Record<'streaming' | 'lagBytes' | 'lagSeconds' | 'retainedBytes' | 'ageSeconds', Gauge>;
  readonly #httpRequests: Counter;
  readonly #httpDuration: Histogram;

  constructor(version: string) {
    const registers = [this.registry];
    new Gauge({ name: 'pgferry_build_info', help: 'Always 1; the version label says which pgferry runs', labelNames: ['version'], registers }).set(
      { version },
      1,
    );
    new Gauge({
      name: 'pgferry_process_start_time_seconds',
      help: 'Start time of the process since the Unix epoch',
      registers,
    }).set(Math.round(Date.now() / 1000 - process.uptime()));
    new Gauge({
      name: 'pgferry_process_resident_memory_bytes',
      help: 'Resident memory of the process',
      registers,
      collect() {
        this.set(process.memoryUsage().rss);
      },
    });
    new Gauge({
      name: 'pgferry_process_cpu_seconds',
      help: 'User and system CPU time spent by the process',
      registers,
      collect() {
        const usage = process.cpuUsage();
        this.set((usage.user + usage.system) / 1e6);
      },
    });
    this.#storeUp = new Gauge({ name: 'pgferry_store_up', help: '1 if the last scrape could read the metadata store, else 0', registers });
    this.#runs = new Gauge({ name: 'pgferry_runs', help: 'Runs kept in the store, by kind and status', labelNames: ['kind', 'status'], registers });
    this.#rows = new Gauge({
      name: 'pgferry_rows_copied',
      help: 'Rows copied (synced, backed up or restored) by runs kept in the store, by kind',
      labelNames: ['kind'],
      registers,
    });
    this.#bytes = new Gauge({
      name: 'pgferry_bytes_copied',
      help: 'Bytes copied by runs kept in the store, by kind',
      labelNames: ['kind'],
      registers,
    });
    this.registry.registerMetric(this.#durations as unknown as Metric);
    this.#queueDepth = new Gauge({ name: 'pgferry_queue_depth', help: 'Runs waiting for a worker, by kind', labelNames: ['kind'], registers });
    this.#queueOldest = new Gauge({
      name: 'pgferry_queue_oldest_age_seconds',
      help: 'Age of the oldest queued run (0 when none waits)',
      registers,
    });
    this.#running = new Gauge({ name: 'pgferry_runs_running', help: 'Runs executing now, by kind', labelNames: ['kind'], registers });
    this.#jobLastSuccess = new Gauge({
      name: 'pgferry_job_last_success_timestamp_seconds',
      help: 'End time of the last successful run of each job (jobs that never succeeded are absent)',
      labelNames: ['job_type', 'job_id', 'job'],
      registers,
    });
    this.#backupAge = new Gauge({
      name: 'pgferry_backup_newest_age_seconds',
      help: 'Age of the newest usable backup (complete, verified or drill-passed) of each connection',
      labelNames: ['connection_id', 'connection'],
      registers,
    });
    this.#notifications = new Gauge({
      name: 'pgferry_notification_deliveries',
      help: 'Notification deliveries kept in the store, by channel and status',
      labelNames: ['channel', 'channel_kind', 'status'],
      registers,
    });
    this.#notificationFailures = new Gauge({
      name: 'pgferry_notification_failures',
      help: 'Notification deliveries that failed for good, by channel',
      labelNames: ['channel', 'channel_kind'],
      registers,
    });
    const followGauge = (name: string, help: string) => new Gauge({ name, help, labelNames: ['job_id', 'job'], registers });
    this.#follow = {
      following: followGauge('pgferry_follow_up', 'Continuous-sync jobs: 1 while a worker follows the job, else 0'),
      lagBytes: followGauge('pgferry_follow_lag_bytes', 'Continuous-sync jobs: WAL bytes between the source position and the applied position'),
      lagSeconds: followGauge('pgferry_follow_lag_seconds', 'Continuous-sync jobs: age of the oldest change not yet applied (0 when caught up)'),
      retainedBytes: followGauge('pgferry_follow_retained_bytes', "Continuous-sync jobs: WAL the job's replication slot keeps on the source"),
      changesApplied: followGauge('pgferry_follow_changes_applied', 'Continuous-sync jobs: row changes applied since the follower last started (resets on take-over; use rate())'),
      ageSeconds: followGauge('pgferry_follow_progress_age_seconds', 'Continuous-sync jobs: seconds since the follower last stored these figures'),
    };
    const protectionGauge = (name: string, help: string) => new Gauge({ name, help, labelNames: ['connection_id', 'connection'], registers });
    this.#protection = {
      streaming: protectionGauge('pgferry_protection_up', 'Continuous protection: 1 while a worker streams the connection\'s WAL, else 0'),
      lagBytes: protectionGauge('pgferry_protection_lag_bytes', 'Continuous protection: WAL on the server not yet in storage'),
      lagSeconds: protectionGauge('pgferry_protection_lag_seconds', 'Continuous protection: age of the oldest WAL not yet in storage (the recovery point objective now)'),
      retainedBytes: protectionGauge('pgferry_protection_retained_bytes', "Continuous protection: WAL the protection's replication slot keeps on the source"),
      ageSeconds: protectionGauge('pgferry_protection_progress_age_seconds', 'Continuous protection: seconds since the streamer last stored these figures'),
    };
    this.#httpRequests = new Counter({
      name: 'pgferry_http_requests_total',
      help: 'HTTP requests answered by this process, by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'],
      registers,
    });
    this.#httpDuration = new Histogram({
      name: 'pgferry_http_request_duration_seconds',
      help: 'HTTP request duration in this process, by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: httpBuckets,
      registers,
    });
  }

  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    const labels = { method, route, status_code: String(statusCode) };
    this.#httpRequests.inc(labels);
    this.#httpDuration.observe(labels, seconds);
  }

  /** Replaces every store-derived value; `undefined` means the store could not be read. */
  applySnapshot(snapshot: StoreMetricsSnapshot | undefined): void {
    for (const gauge of [this.#runs, this.#rows, this.#bytes, this.#queueDepth, this.#running, this.#jobLastSuccess, this.#backupAge]) {
      gauge.reset();
    }
    this.#notifications.reset();
    this.#notificationFailures.reset();
    for (const gauge of Object.values(this.#follow)) gauge.reset();
    for (const gauge of Object.values(this.#protection)) gauge.reset();
    this.#queueOldest.reset();
    if (snapshot === undefined) {
      this.#storeUp.set(0);
      this.#durations.set([]);
      return;
    }
    this.#storeUp.set(1);
    for (const kind of runKinds) {
      this.#queueDepth.set({ kind }, 0);
      this.#running.set({ kind }, 0);
      this.#rows.set({ kind }, 0);
      this.#bytes.set({ kind }, 0);
    }
    for (const row of snapshot.runs) {
      this.#runs.set({ kind: row.kind, status: row.status }, row.runs);
      this.#rows.inc({ kind: row.kind }, row.rows);
      this.#bytes.inc({ kind: row.kind }, row.bytes);
      if (row.status === 'queued') this.#queueDepth.set({ kind: row.kind }, row.runs);
      if (row.status === 'running') this.#running.set({ kind: row.kind }, row.runs);
    }
    this.#queueOldest.set(snapshot.oldestQueuedSeconds ?? 0);
    this.#durations.set(snapshot.durations);
    for (const job of snapshot.jobs) {
      this.#jobLastSuccess.set({ job_type: job.jobType, job_id: job.jobId, job: job.jobName }, job.lastSuccessSeconds);
    }
    for (const follow of snapshot.follows) {
      const labels = { job_id: follow.jobId, job: follow.jobName };
      this.#follow.following.set(labels, follow.following);
      for (const key of ['lagBytes', 'lagSeconds', 'retainedBytes', 'changesApplied', 'ageSeconds'] as const) {
        const value = follow[key];
        if (value !== null) this.#follow[key].set(labels, value);
      }
    }
    for (const backup of snapshot.backups) {
      this.#backupAge.set({ connection_id: backup.connectionId, connection: backup.connectionName }, backup.newestBackupAgeSeconds);
    }
    for (const protection of snapshot.protections) {
      const labels = { connection_id: protection.connectionId, connection: protection.connectionName };
      this.#protection.streaming.set(labels, protection.streaming);
      for (const key of ['lagBytes', 'lagSeconds', 'retainedBytes', 'ageSeconds'] as const) {
        const value = protection[key];
        if (value !== null) this.#protection[key].set(labels, value);
      }
    }
    for (const row of snapshot.notifications) {
      this.#notifications.set({ channel: row.channelName, channel_kind: row.channelKind, status: row.status }, row.deliveries);
      if (row.status === 'failed') {
        this.#notificationFailures.set({ channel: row.channelName, channel_kind: row.channelKind }, row.deliveries);
      }
    }
  }
}
