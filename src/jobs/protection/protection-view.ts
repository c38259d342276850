import type { ProtectionListing } from '../../store/protection-repository.js';

/** What the API, the CLI and the UI show of a protection (never a secret: none is stored here). */
export interface ProtectionView {
  connection_id: string;
  connection_name: string;
  enabled: boolean;
  storage_id: string;
  storage_name: string;
  slot_name: string;
  /** `dropping`: disabled, the slot is still on the source until a worker drops it. */
  slot_state: 'active' | 'dropping' | 'dropped';
  compression: 'gzip' | 'zstd' | 'none';
  encrypt: boolean;
  lag_seconds_alert: number | null;
  retained_bytes_alert: number | null;
  channel_ids: string[];
  drill_cron: string | null;
  drill_timezone: string;
  drill_next_fire_at: string | null;
  keep_last: number | null;
  keep_daily: number | null;
  keep_weekly: number | null;
  keep_monthly: number | null;
  /** A worker holds the lease and streams now. */
  streaming: boolean;
  worker_id: string | null;
  progress: {
    system_id: string | null;
    timeline: number | null;
    received_lsn: string | null;
    uploaded_lsn: string | null;
    server_lsn: string | null;
    lag_bytes: number | null;
    lag_seconds: number | null;
    retained_bytes: number | null;
    segments_uploaded: number | null;
    at: string;
  } | null;
  last_error: { code: string; message: string | null; at: string | null } | null;
  lag_alerted_at: string | null;
  retained_alerted_at: string | null;
  created_at: string;
  updated_at: string;
}

const text = (value: unknown) => (typeof value === 'string' ? value : null);
const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const iso = (value: Date | null) => (value ? value.toISOString() : null);

export function protectionView(row: ProtectionListing): ProtectionView {
  const progress = row.progress;
  return {
    connection_id: row.connection_id,
    connection_name: row.connection_name,
    enabled: row.enabled,
    storage_id: row.storage_id,
    storage_name: row.storage_name,
    slot_name: row.slot_name,
    slot_state: row.slot_state,
    compression: row.compression,
    encrypt: row.encrypt,
    lag_seconds_alert: row.lag_seconds_alert,
    retained_bytes_alert: row.retained_bytes_alert === null ? null : Number(row.retained_bytes_alert),
    channel_ids: row.channel_ids,
    drill_cron: row.drill_cron,
    drill_timezone: row.drill_timezone,
    drill_next_fire_at: iso(row.drill_next_fire_at),
    keep_last: row.keep_last,
    keep_daily: row.keep_daily,
    keep_weekly: row.keep_weekly,
    keep_monthly: row.keep_monthly,
    streaming: row.streaming,
    worker_id: row.streaming ? row.lease_worker_id : null,
    progress:
      progress && row.progress_at
        ? {
            system_id: text(progress.system_id),
            timeline: number(progress.timeline),
            received_lsn: text(progress.received_lsn),
            uploaded_lsn: text(progress.uploaded_lsn),
            server_lsn: text(progress.server_lsn),
            lag_bytes: number(progress.lag_bytes),
            lag_seconds: number(progress.lag_seconds),
            retained_bytes: number(progress.retained_bytes),
            segments_uploaded: number(progress.segments_uploaded),
            at: row.progress_at.toISOString(),
          }
        : null,
    last_error: row.last_error_code ? { code: row.last_error_code, message: row.last_error_message, at: iso(row.last_error_at) } : null,
    lag_alerted_at: iso(row.lag_alerted_at),
    retained_alerted_at: iso(row.retained_alerted_at),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}
