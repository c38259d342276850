import { type Kysely, sql } from 'kysely';

// Continuous protection (issue 17): per connection, WAL streamed without end into one storage
// through a physical replication slot. connection_protection holds the setting (on/off, the
// storage, alert thresholds), the lease that lets exactly one worker stream a source, the last
// progress snapshot, and the slot's state (a disabled protection keeps its row until its slot
// is dropped). Three notification events: lag or retained WAL past a threshold, and back under.
// The event lists keep 0036's continuous-sync events.
// Once released, never edit this file: add a new migration instead.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE connection_protection (
      connection_id         uuid PRIMARY KEY REFERENCES connections (id) ON DELETE RESTRICT,
      enabled               boolean NOT NULL DEFAULT true,
      storage_id            uuid NOT NULL REFERENCES storages (id) ON DELETE RESTRICT,
      slot_name             text NOT NULL CHECK (slot_name ~ '^[a-z0-9_]{1,63}$'),
      compression           text NOT NULL DEFAULT 'gzip' CHECK (compression IN ('gzip', 'zstd', 'none')),
      encrypt               boolean NOT NULL DEFAULT false,
      lag_seconds_alert     integer CHECK (lag_seconds_alert > 0),
      retained_bytes_alert  bigint CHECK (retained_bytes_alert > 0),
      -- 'active' while streaming is wanted; 'dropping' once disabled until a worker (or the
      -- disabling request) dropped the slot; 'dropped' after.
      slot_state            text NOT NULL DEFAULT 'active' CHECK (slot_state IN ('active', 'dropping', 'dropped')),
      lease_worker_id       text CHECK (length(lease_worker_id) <= 200),
      lease_expires_at      timestamptz,
      progress              jsonb CHECK (progress IS NULL OR jsonb_typeof(progress) = 'object'),
      progress_at           timestamptz,
      last_error_code       text,
      last_error_message    text CHECK (length(last_error_message) <= 4000),
      last_error_at         timestamptz,
      lag_alerted_at        timestamptz,
      retained_alerted_at   timestamptz,
      created_at            timestamptz NOT NULL DEFAULT now(),
      updated_at            timestamptz NOT NULL DEFAULT now(),
      CHECK (enabled = (slot_state = 'active'))
    );
    CREATE INDEX connection_protection_claimable_idx ON connection_protection (lease_expires_at) WHERE slot_state <> 'dropped';

    CREATE TABLE connection_protection_channels (
      connection_id uuid NOT NULL REFERENCES connection_protection (connection_id) ON DELETE CASCADE,
      channel_id    uuid NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
      PRIMARY KEY (connection_id, channel_id)
    );

    ALTER TABLE notification_channels DROP CONSTRAINT notification_channels_events_check;
    ALTER TABLE notification_channels ADD CONSTRAINT notification_channels_events_check
      CHECK (events <@ ARRAY['failed', 'succeeded', 'recovered', 'backup_overdue', 'replication_retained', 'replication_lag',
                             'protection_lag', 'protection_retained', 'protection_recovered']::text[]);
    ALTER TABLE notification_deliveries DROP CONSTRAINT notification_deliveries_event_check;
    ALTER TABLE notification_deliveries ADD CONSTRAINT notification_deliveries_event_check
      CHECK (event IN ('failed', 'succeeded', 'recovered', 'backup_overdue', 'test', 'replication_retained', 'replication_lag',
                       'protection_lag', 'protection_retained', 'protection_recovered'));
  `.execute(db);
}

// Going back refuses while a protection still holds a slot on a source: the slot would retain
// WAL until someone dropped it by hand. Disable the protections first.
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DO $fn$
    BEGIN
      IF EXISTS (SELECT 1 FROM connection_protection WHERE slot_state <> 'dropped') THEN
        RAISE EXCEPTION 'continuous protection holds replication slots; disable it (pgferry protection disable CONNECTION) and let the slots drop before downgrading below 0037';
      END IF;
    END
    $fn$;
    DELETE FROM notification_deliveries WHERE event IN ('protection_lag', 'protection_retained', 'protection_recovered');
    UPDATE notification_channels
      SET events = array_remove(array_remove(array_remove(events, 'protection_lag'), 'protection_retained'), 'protection_recovered')
      WHERE events && ARRAY['protection_lag', 'protection_retained', 'protection_recovered']::text[];
    ALTER TABLE notification_deliveries DROP CONSTRAINT notification_deliveries_event_check;
    ALTER TABLE notification_deliveries ADD CONSTRAINT notification_deliveries_event_check
      CHECK (event IN ('failed', 'succeeded', 'recovered', 'backup_overdue', 'test', 'replication_retained', 'replication_lag'));
    ALTER TABLE notification_channels DROP CONSTRAINT notification_channels_events_check;
    ALTER TABLE notification_channels ADD CONSTRAINT notification_channels_events_check
      CHECK (events <@ ARRAY['failed', 'succeeded', 'recovered', 'backup_overdue', 'replication_retained', 'replication_lag']::text[]);
    DROP TABLE connection_protection_channels;
    DROP TABLE connection_protection;
  `.execute(db);
}
