import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

import type { RunMissingObject, RunStatus } from './run-statuses.js';
import type { StorageKind } from '../engine/storage/archive-storage.js';
import type { Compression } from '../engine/archive/compression.js';
import type { SchemaPolicy, SyncMode } from '../engine/types.js';
import type { BackupFormat, JobRetention, JobSelection, JobTableOptions, JobVerification } from './job-columns.js';

export type { RunMissingObject, RunStatus } from './run-statuses.js';

// Row types of the metadata store (migration 0001 onward). Keep in step with migrations.

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string | T | undefined, string | T>;
type BigIntColumn = ColumnType<string, number | bigint | string | undefined, number | bigint | string>;

export type Role = 'admin' | 'operator' | 'viewer';
export type RunKind = 'sync' | 'backup' | 'restore' | 'verify' | 'drill';
export type RunTrigger = 'schedule' | 'manual' | 'api' | 'retry' | 'resume' | 'cli';

export interface SettingsTable {
  key: string;
  value: Json<unknown>;
  updated_at: Generated<Date>;
}

export interface UsersTable {
  id: Generated<string>;
  username: string;
  display_name: string | null;
  password_hash: string;
  role: Role;
  disabled_at: NullableTimestamp;
  last_login_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SessionsTable {
  id_hash: string;
  user_id: string;
  csrf_token_hash: string;
  ip: string | null;
  user_agent: string | null;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: ColumnType<Date, Date | string, Date | string>;
}

export interface ApiTokensTable {
  id: Generated<string>;
  user_id: string;
  name: string;
  role: Role;
  token_prefix: string;
  token_hash: string;
  last_used_at: NullableTimestamp;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface ConnectionsTable {
  id: Generated<string>;
  name: string;
  description: string | null;
  host: string;
  port: Generated<number>;
  database: string;
  username: string;
  password_encrypted: string | null;
  sslmode: Generated<string>;
  application_name: string | null;
  connect_timeout_s: number | null;
  options: string | null;
  protected: Generated<boolean>;
  tags: Generated<string[]>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface StoragesTable {
  id: Generated<string>;
  name: string;
  description: string | null;
  kind: StorageKind;
  config: Json<Record<string, unknown>>;
  secret_encrypted: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface NotificationChannelsTable {
  id: Generated<string>;
  name: string;
  kind: string;
  config: Json<Record<string, unknown>>;
  secret_encrypted: string | null;
  events: Generated<string[]>;
  enabled: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

interface JobSchedule {
  cron: string | null;
  timezone: Generated<string>;
  enabled: Generated<boolean>;
  next_fire_at: NullableTimestamp;
  retry_max: Generated<number>;
  retry_backoff_s: Generated<number>;
  timeout_s: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Migration 0020: ticks skipped because a run of the job was still active. */
  skipped_ticks: Generated<number>;
  last_skipped_tick_at: NullableTimestamp;
}

export interface SyncJobsTable extends JobSchedule {
  id: Generated<string>;
  name: string;
  description: string | null;
  source_connection_id: string;
  destination_connection_id: string;
  selection: Json<JobSelection>;
  table_options: Json<JobTableOptions>;
  default_mode: Generated<SyncMode>;
  schema_policy: Generated<SchemaPolicy>;
  parallelism: Generated<number>;
  split_rows: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  verify: Generated<boolean>;
  copy_owners: Generated<boolean>;
  copy_grants: Generated<boolean>;
  /** Migration 0036: `follow` is a continuous sync (its follower's state in follow_jobs). */
  kind: Generated<SyncJobKind>;
}

export type SyncJobKind = 'sync' | 'follow';

/** Migration 0036: the follower of a continuous-sync job (one row per job of kind `follow`). */
export interface FollowJobsTable {
  sync_job_id: string;
  paused: Generated<boolean>;
  paused_reason: string | null;
  retained_bytes_alert: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  lag_seconds_alert: number | null;
  lease_worker_id: string | null;
  lease_expires_at: NullableTimestamp;
  progress: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  progress_at: NullableTimestamp;
  last_error_code: string | null;
  last_error_message: string | null;
  last_error_at: NullableTimestamp;
  retained_alerted_at: NullableTimestamp;
  lag_alerted_at: NullableTimestamp;
  last_cutover: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface BackupJobsTable extends JobSchedule {
  id: Generated<string>;
  name: string;
  description: string | null;
  connection_id: string;
  all_databases: Generated<boolean>;
  include_globals: Generated<boolean>;
  format: Generated<BackupFormat>;
  selection: Json<JobSelection>;
  compression: Generated<Compression>;
  encrypt: Generated<boolean>;
  parallelism: Generated<number>;
  retention: Json<JobRetention>;
  verification: Json<JobVerification>;
  /** Migration 0040: physical only; each run is incremental on the job's previous backup, every Nth a full one (null: every run full). */
  incremental_full_every: number | null;
}

export interface BackupJobStoragesTable {
  backup_job_id: string;
  storage_id: string;
  position: Generated<number>;
}

export interface SyncJobChannelsTable {
  sync_job_id: string;
  channel_id: string;
}

export interface BackupJobChannelsTable {
  backup_job_id: string;
  channel_id: string;
}

export interface SyncStateTable {
  sync_job_id: string;
  table_name: string;
  cursor_column: string;
  high_water: string | null;
  updated_at: Timestamp;
}

export interface RunsTable {
  id: Generated<string>;
  kind: RunKind;
  sync_job_id: string | null;
  backup_job_id: string | null;
  job_name: string | null;
  trigger: RunTrigger;
  status: Generated<RunStatus>;
  scheduled_for: NullableTimestamp;
  queued_at: Timestamp;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  heartbeat_at: NullableTimestamp;
  worker_id: string | null;
  attempt: Generated<number>;
  retry_of: string | null;
  resume_of: string | null;
  params: Json<Record<string, unknown>>;
  tables: Json<unknown[]>;
  total_rows: BigIntColumn;
  total_bytes: BigIntColumn;
  error_code: string | null;
  error_message: string | null;
  error_stack: string | null;
  cancel_requested_at: NullableTimestamp;
  created_by: string | null;
  /** Migration 0031: schema objects an `incomplete` run did not reproduce, with why. */
  missing_objects: Json<RunMissingObject[]>;
}

export interface RunLogsTable {
  id: Generated<string>;
  run_id: string;
  at: Timestamp;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  table_name: string | null;
  data: Json<unknown> | null;
}

export interface BackupsTable {
  id: Generated<string>;
  run_id: string | null;
  backup_job_id: string | null;
  connection_id: string | null;
  storage_id: string;
  database_name: string;
  location: string;
  format: 'native' | 'pg_dump' | 'globals' | 'physical';
  compression: 'gzip' | 'zstd' | 'none';
  encrypted: Generated<boolean>;
  encryption_key_id: string | null;
  size_bytes: BigIntColumn;
  files: Json<unknown[]>;
  tables: Json<unknown[]>;
  source_server_version: string | null;
  state: Generated<string>;
  verified_at: NullableTimestamp;
  drill_at: NullableTimestamp;
  drill_result: Json<unknown> | null;
  expired_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface NotificationDeliveriesTable {
  id: Generated<string>;
  channel_id: string;
  run_id: string | null;
  event: string;
  status: Generated<'pending' | 'delivered' | 'failed'>;
  attempts: Generated<number>;
  response_status: number | null;
  last_error: string | null;
  created_at: Timestamp;
  delivered_at: NullableTimestamp;
  /** Migration 0020: what is sent, kept so any worker can retry the delivery. */
  payload: Json<Record<string, unknown>> | null;
  next_attempt_at: NullableTimestamp;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: Timestamp;
  actor_type: 'user' | 'token' | 'system' | 'anonymous';
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  request_body: Json<unknown> | null;
  status: number | null;
  /** Migration 0010: the API token used, when the actor authenticated with one. */
  actor_token_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Migration 0010: failed-login counters per `ip:<addr>` and `user:<name>`, shared by all API processes. */
export interface LoginThrottleTable {
  key: string;
  failures: number;
  window_started_at: ColumnType<Date, Date | string, Date | string>;
}

export interface UserTotpTable {
  /** The user's id. */
  id: string;
  secret_encrypted: string;
  confirmed_at: NullableTimestamp;
  last_used_step: ColumnType<string | null, number | null | undefined, number | null>;
  created_at: Timestamp;
}

export interface UserRecoveryCodesTable {
  id: Generated<string>;
  user_id: string;
  code_hash: string;
  used_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface LoginChallengesTable {
  id_hash: string;
  user_id: string;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  created_at: Timestamp;
}

/** Migration 0034: which OIDC (issuer, subject) signs in as which user. */
export interface OidcIdentitiesTable {
  issuer: string;
  subject: string;
  user_id: string;
  created_at: Timestamp;
}

/** Migration 0034: OIDC sign-ins in flight, deleted when the provider's answer is taken (single use). */
export interface OidcLoginStatesTable {
  state_hash: string;
  nonce: string;
  code_verifier: string;
  expires_at: ColumnType<Date, Date, Date>;
}

/** Migration 0037: continuous protection of a connection (WAL streamed into a storage). */
export type ProtectionSlotState = 'active' | 'dropping' | 'dropped';

export interface ConnectionProtectionTable {
  connection_id: string;
  enabled: Generated<boolean>;
  storage_id: string;
  slot_name: string;
  compression: Generated<Compression>;
  encrypt: Generated<boolean>;
  lag_seconds_alert: number | null;
  retained_bytes_alert: ColumnType<string | null, number | bigint | string | null | undefined, number | bigint | string | null>;
  slot_state: Generated<ProtectionSlotState>;
  lease_worker_id: string | null;
  lease_expires_at: NullableTimestamp;
  progress: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  progress_at: NullableTimestamp;
  last_error_code: string | null;
  last_error_message: string | null;
  last_error_at: NullableTimestamp;
  lag_alerted_at: NullableTimestamp;
  retained_alerted_at: NullableTimestamp;
  /** Migration 0038: scheduled physical drills and the GFS retention applied after one passed. */
  drill_cron: string | null;
  drill_timezone: Generated<string>;
  drill_next_fire_at: NullableTimestamp;
  keep_last: number | null;
  keep_daily: number | null;
  keep_weekly: number | null;
  keep_monthly: number | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ConnectionProtectionChannelsTable {
  connection_id: string;
  channel_id: string;
}

export interface StoreDatabase {
  settings: SettingsTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  connections: ConnectionsTable;
  storages: StoragesTable;
  notification_channels: NotificationChannelsTable;
  sync_jobs: SyncJobsTable;
  backup_jobs: BackupJobsTable;
  backup_job_storages: BackupJobStoragesTable;
  sync_job_channels: SyncJobChannelsTable;
  backup_job_channels: BackupJobChannelsTable;
  connection_protection: ConnectionProtectionTable;
  connection_protection_channels: ConnectionProtectionChannelsTable;
  sync_state: SyncStateTable;
  follow_jobs: FollowJobsTable;
  runs: RunsTable;
  run_logs: RunLogsTable;
  backups: BackupsTable;
  notification_deliveries: NotificationDeliveriesTable;
  audit_log: AuditLogTable;
  login_throttle: LoginThrottleTable;
  user_totp: UserTotpTable;
  user_recovery_codes: UserRecoveryCodesTable;
  login_challenges: LoginChallengesTable;
  oidc_identities: OidcIdentitiesTable;
  oidc_login_states: OidcLoginStatesTable;
}

export type ConnectionRow = Selectable<ConnectionsTable>;
export type NewConnectionRow = Insertable<ConnectionsTable>;
export type ConnectionRowUpdate = Updateable<ConnectionsTable>;
export type RunRow = Selectable<RunsTable>;
