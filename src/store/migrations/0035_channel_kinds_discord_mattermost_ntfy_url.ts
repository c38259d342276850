import { type Kysely, sql } from 'kysely';

// Notification channels of four more kinds: Discord, Mattermost, ntfy, and an Apprise-style
// service URL (sent as the kind it names).
// Once released, never edit this file: add a new migration instead.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE notification_channels DROP CONSTRAINT notification_channels_kind_check;
    ALTER TABLE notification_channels ADD CONSTRAINT notification_channels_kind_check
      CHECK (kind IN ('webhook', 'slack', 'dingtalk', 'wecom', 'feishu', 'teams', 'telegram', 'email', 'discord', 'mattermost', 'ntfy', 'url'));
  `.execute(db);
}

// Going back refuses while channels of the new kinds exist: deleting them (and their delivery
// history) silently would lose what an administrator set up.
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DO $fn$
    BEGIN
      IF EXISTS (SELECT 1 FROM notification_channels WHERE kind IN ('discord', 'mattermost', 'ntfy', 'url')) THEN
        RAISE EXCEPTION 'notification channels of kind discord, mattermost, ntfy or url exist; delete them before downgrading below 0035';
      END IF;
    END
    $fn$;
    ALTER TABLE notification_channels DROP CONSTRAINT notification_channels_kind_check;
    ALTER TABLE notification_channels ADD CONSTRAINT notification_channels_kind_check
      CHECK (kind IN ('webhook', 'slack', 'dingtalk', 'wecom', 'feishu', 'teams', 'telegram', 'email'));
  `.execute(db);
}
