import type { Kysely } from 'kysely';

import { parseLsn } from '../../engine/wal/lsn.js';
import type { RecoveryTarget } from '../../engine/wal/recovery-settings.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import type { OutboundCheck } from '../../net/outbound-guard.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import type { StoreDatabase } from '../../store/store-types.js';
import type { PhysicalRestoreRunParams } from '../executors/physical-restore-executor.js';
import { enqueueRun } from '../../store/run-repository.js';
import { protectionTimeline } from './protection-timeline.js';

export interface ProtectionRestoreRequest {
  backup: string;
  target_time?: string | undefined;
  target_lsn?: string | undefined;
  target_name?: string | undefined;
  latest?: boolean | undefined;
  to_dir: string;
  start: boolean;
  port?: number | undefined;
}

const refuse = (field: string, message: string) =>
  new PgferryError('PGF_VALIDATION_FAILED', message, { details: { fields: [{ field: `body.${field}`, code: 'outside_window', message }] } });

/**
 * Queues a physical restore of one of the protection's base backups to a directory on a
 * worker's host, with a recovery target the timeline says is reachable (refused otherwise).
 */
export async function queueProtectionRestore(db: Kysely<StoreDatabase>, secrets: SecretBox, outbound: OutboundCheck, connectionIdOrName: string, body: ProtectionRestoreRequest) {
  const given = [body.target_time, body.target_lsn, body.target_name, body.latest ? true : undefined].filter((value) => value !== undefined);
  if (given.length !== 1) throw new PgferryError('PGF_VALIDATION_FAILED', 'give exactly one recovery target: target_time, target_lsn, target_name or latest');
  if (body.port !== undefined && !body.start) throw new PgferryError('PGF_VALIDATION_FAILED', 'port applies with start only');
  const timeline = await protectionTimeline(db, secrets, outbound, connectionIdOrName);
  const window = timeline.windows.find((candidate) => candidate.backup === body.backup);
  if (!window) throw refuse('backup', `backup "${body.backup}" is not a base backup of this connection in storage "${timeline.storage_name}"; pick one from the timeline`);
  if (window.unrestorable) throw refuse('backup', `backup "${body.backup}" cannot be restored: the WAL it needs is missing from ${window.first_missing ?? 'its start'}; pick another backup`);
  let target: RecoveryTarget;
  if (body.target_time !== undefined) {
    const at = Date.parse(body.target_time);
    if (at < Date.parse(window.consistent_at) || at > Date.now()) {
      throw refuse('target_time', `${body.target_time} is outside the restorable window of backup "${body.backup}": pick a moment from ${window.consistent_at} to now (the end of the streamed WAL)`);
    }
    // As given: a round trip through Date would cut microseconds and move the target.
    target = { time: body.target_time };
  } else if (body.target_lsn !== undefined) {
    const lsn = parseLsn(body.target_lsn);
    if (lsn < parseLsn(window.consistent_lsn) || lsn > parseLsn(window.end_lsn)) {
      throw refuse('target_lsn', `${body.target_lsn} is outside the restorable window of backup "${body.backup}": pick a WAL position from ${window.consistent_lsn} to ${window.end_lsn}`);
    }
    target = { lsn: body.target_lsn };
  } else if (body.target_name !== undefined) {
    target = { name: body.target_name };
  } else {
    if (window.first_missing) throw refuse('latest', `the WAL after backup "${body.backup}" has a hole at ${window.first_missing}: recover to a point before ${window.end_lsn} instead`);
    target = 'latest';
  }
  const protectionRow = await db.selectFrom('connection_protection').select(['storage_id']).where('connection_id', '=', timeline.connection_id).executeTakeFirstOrThrow();
  const params: PhysicalRestoreRunParams = {
    physical: true,
    connection_id: timeline.connection_id,
    storage_id: protectionRow.storage_id,
    backup: body.backup,
    target,
    to_dir: body.to_dir,
    start: body.start,
    ...(body.port !== undefined ? { port: body.port } : {}),
  };
  return enqueueRun(db, { kind: 'restore', jobName: `physical restore ${body.backup} → ${body.to_dir}`, trigger: 'api', params: params as unknown as Record<string, unknown> });
}
