import type pg from 'pg';

import { PgferryError, isPgferryError } from '../../errors/pgferry-error.js';
import { qualified } from '../sql/quote-ident.js';
import { safeServerReason } from '../sql/safe-server-reason.js';
import { openSession } from '../sql/session-settings.js';
import { planSync, runSync } from '../sync/run-sync.js';
import type { SyncPlan } from '../sync/sync-plan-types.js';
import type { SyncOptions } from '../types.js';
import { ChangeApplier } from './apply-changes.js';
import type { AddedColumn, SourceType } from './apply-relation.js';
import type { FollowContext, FollowOptions, FollowPhase, FollowProgress, FollowResult } from './follow-api.js';
import { checkDefinition, followDefinition, storeDefinition } from './follow-definition.js';
import { partitionArrivals, publicationTables } from './follow-partitions.js';
import { followNames } from './follow-names.js';
import { formatLsn, parseLsn } from './lsn.js';
import { decodePgoutput } from './pgoutput-decoder.js';
import { ensurePositionTable, readPosition, writePosition } from './position-store.js';
import { preflightFollow } from './preflight.js';
import { ReplicationConnection } from './replication-connection.js';
import { dropSlotAndPublication } from './source-objects.js';
import { waitUntilVisible } from './source-visibility.js';
import { syncSequences } from './sync-sequences.js';

const defaults = { batchChanges: 5000, batchWaitMs: 100 };
/** How often progress is emitted, feedback sent and sequences set while streaming (ms). */
const progressEveryMs = 2000;
const feedbackEveryMs = 10_000;
const sequencesEveryMs = 60_000;
/** How often, between batches, the destination is asked how far its WAL is flushed while positions wait for it. */
const flushCheckEveryMs = 50;
/** How long positions wait for the WAL writer (default wal_writer_delay) before the follower flushes the WAL itself. */
const flushForceAfterMs = 200;

/** The sync options of a follow: the copy is always `full` (the stream then keeps the tables equal). */
export function followSyncOptions(options: FollowOptions): SyncOptions {
  const { followId: _id, batchChanges: _b, batchWaitMs: _w, ...sync } = options;
  // Per-table filters and keys apply; per-table modes and cursors do not (every table is copied whole, then followed).
  const tableOptions = sync.tableOptions?.map(({ mode: _mode, cursor: _cursor, ...rest }) => rest);
  return { ...sync, ...(tableOptions ? { tableOptions } : {}), mode: 'full' };
}

/**
 * Continuous sync. First start: preflight, publication and logical slot (pgoutput, exported
 * snapshot), the initial copy by the sync engine reading that snapshot, the position stored
 * at the slot's consistent point — then streaming. A later start finds the position in the
 * destination and streams from it without copying. A failed first start drops the slot and
 * publication it created. Runs until `context.signal` aborts (the batch in progress is
 * committed, feedback sent) or throws PgferryError.
 */
export async function follow(options: FollowOptions, context: FollowContext = {}): Promise<FollowResult> {
  const names = followNames(options.followId);
  const sync = followSyncOptions(options);
  const source = await openSession(options.source, 'source', 'pgferry follow');
  let destination: pg.Client | undefined;
  let replication: ReplicationConnection | undefined;
  const progress: FollowProgress = {
    followId: options.followId,
    phase: 'starting',
    ...names,
    sourceLsn: null,
    appliedLsn: null,
    lagBytes: null,
    lagSeconds: null,
    retainedBytes: null,
    lastAppliedXid: null,
    lastAppliedCommitTime: null,
    changesApplied: 0,
    changesPerSecond: 0,
    transactionsApplied: 0,
  };
  const report = (phase: FollowPhase) => {
    progress.phase = phase;
    context.onProgress?.({ ...progress });
  };
  try {
    // Pipelined: the applier sends changes without waiting for each answer (see ChangeApplier).
    destination = await openSession({ ...options.destination, pipeline: true } as pg.ClientConfig, 'destination', 'pgferry follow apply');
    report('starting');
    const stored = await readPosition(destination, options.followId);
    let start: bigint;
    let copied = false;
    if (stored) {
      start = stored.lsn;
      const slot = await source.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [names.slotName]);
      if (slot.rowCount === 0) {
        throw new PgferryError(
          'PGF_FOLLOW_STREAM_FAILED',
          `follow "${options.followId}" has a position at the destination but its slot ${names.slotName} is gone from the source (dropped by hand?); the changes since ${formatLsn(start)} cannot be read — drop the follow and start it again (it copies anew)`,
        );
      }
      await checkDefinition(destination, options.followId, followDefinition(sync));
      replication = await ReplicationConnection.open(options.source);
    } else {
      report('copying');
      ({ replication, start } = await firstStart(options, sync, source, destination, context));
      copied = true;
    }
    progress.appliedLsn = formatLsn(start);
    const plan = await planSync(sync);
    return await stream({ options, plan, source, destination, replication, start, copied, progress, report, context });
  } catch (error) {
    report('failed');
    throw error;
  } finally {
    await replication?.close();
    await destination?.end().catch(() => undefined);
    await source.end().catch(() => undefined);
  }
}

async function firstStart(
  options: FollowOptions,
  sync: SyncOptions,
  source: pg.Client,
  destination: pg.Client,
  context: FollowContext,
): Promise<{ replication: ReplicationConnection; start: bigint }> {
  const { slotName, publicationName } = followNames(options.followId);
  const plan = await planSync(sync);
  const tables = plan.tables.filter((t) => t.source.kind === 'table').map((t) => t.name);
  await preflightFollow(source, tables);
  // Before anything exists on the source: a destination role that cannot keep a position is refused first.
  await ensurePositionTable(destination);
  // A first start killed before its position was stored left these behind: nothing was streamed from them.
  await dropSlotAndPublication(source, slotName, publicationName);
  let replication: ReplicationConnection | undefined;
  try {
    await source.query('BEGIN READ WRITE');
    const listed = await publicationTables(source, plan.tables.filter((t) => t.source.kind === 'table'));
    await source.query(`CREATE PUBLICATION ${qualified(publicationName)} FOR TABLE ${listed.map((t) => qualified(t)).join(', ')}`);
    await source.query('COMMIT');
    const version = await source.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
    replication = await ReplicationConnection.open(options.source);
    const slot = await replication.createSlot(slotName, Math.floor(Number(version.rows[0]!.v) / 10000));
    // The replication session stays idle through the copy: that keeps its snapshot importable.
    const result = await runSync({ ...sync, importSnapshot: slot.snapshot }, context);
    if (result.status === 'failed' || result.status === 'cancelled') {
      const failed = result.tables.filter((t) => t.status === 'failed').map((t) => `${t.table} (${t.error?.message ?? 'failed'})`);
      throw new PgferryError(
        result.status === 'cancelled' ? 'PGF_RUN_CANCELLED' : 'PGF_SYNC_TABLE_FAILED',
        result.status === 'cancelled' ? 'the initial copy was cancelled; the slot and publication were dropped' : `the initial copy failed for ${failed.join(', ')}; the slot and publication were dropped, fix the cause and start again`,
      );
    }
    await writePosition(destination, options.followId, { lsn: slot.consistentPoint, xid: null, commitTime: null });
    await storeDefinition(destination, options.followId, followDefinition(sync));
    return { replication, start: slot.consistentPoint };
  } catch (error) {
    await source.query('ROLLBACK').catch(() => undefined);
    await replication?.close();
    await dropSlotAndPublication(source, slotName, publicationName).catch((cleanup: unknown) => {
      throw new PgferryError('PGF_FOLLOW_NOT_READY', `the first start failed (${(error as Error).message}) and its slot ${slotName} or publication could not be dropped: ${safeServerReason(cleanup)}; drop them by hand`, { cause: error });
    });
    throw error;
  }
}

async function stream(input: {
  options: FollowOptions;
  plan: SyncPlan;
  source: pg.Client;
  destination: pg.Client;
  replication: ReplicationConnection;
  start: bigint;
  copied: boolean;
  progress: FollowProgress;
  report: (phase: FollowPhase) => void;
  context: FollowContext;
}): Promise<FollowResult> {
  const { options, plan, source, destination, replication, progress, report, context } = input;
  const { slotName, publicationName } = followNames(options.followId);
  const signal = context.signal;
  // Triggers and foreign keys behave as in native logical replication when the role may say so.
  const replicaRole = await destination.query(`SET session_replication_role = replica`).then(
    () => true,
    () => false,
  );
  // As native logical replication's apply worker: COMMIT does not wait for the destination's
  // disk. Exactly-once and no loss still hold: the position is stored in the batch's own
  // transaction, and the source is told a position only once the destination's WAL is flushed
  // past its commit (ChangeApplier.durablePosition), so a batch a destination crash loses is
  // replayed from the slot on resume. Not with synchronous standbys at the destination: a
  // local flush would not say a failover keeps the batch, so COMMIT waits for them (`on`,
  // whatever the role's default): a committed position is then durable as it answers.
  const standbys = await destination.query<{ names: string }>(`SELECT current_setting('synchronous_standby_names') AS names`);
  const asyncCommit = standbys.rows[0]!.names.trim() === '';
  await destination.query(`SET synchronous_commit = ${asyncCommit ? 'off' : 'on'}`);
  const types = new Map<string, SourceType>();
  const resolveType = async (oid: number, typmod: number): Promise<SourceType> => {
    const key = `${oid}:${typmod}`;
    let type = types.get(key);
    if (!type) {
      const result = await source.query<SourceType>('SELECT format_type($1::oid, $2::int) AS type, typcategory AS category FROM pg_type WHERE oid = $1::oid', [oid, typmod]);
      type = result.rows[0]!;
      types.set(key, type);
    }
    return type;
  };
  const applier = new ChangeApplier({
    followId: options.followId,
    destination,
    plans: plan.tables,
    rules: options.rules ?? [],
    ruleKey: options.ruleKey,
    resolveType,
    describeColumn: async (relationOid, column) => {
      const result = await source.query<AddedColumn>(
        `SELECT pg_get_expr(d.adbin, d.adrelid) AS default, a.attnotnull AS "notNull", a.atthasmissing AS "hasMissing"
           FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          WHERE a.attrelid = $1::oid AND a.attname = $2 AND NOT a.attisdropped`,
        [relationOid, column],
      );
      return result.rows[0];
    },
    position: input.start,
    batchChanges: options.batchChanges ?? defaults.batchChanges,
    batchWaitMs: options.batchWaitMs ?? defaults.batchWaitMs,
    reorderTables: replicaRole,
    asyncCommit,
  });
  await applier.start();

  let lastFeedback = Date.now();
  let lastFlushCheck = Date.now();
  /** Confirms to the source what is durable at the destination (0: nothing yet, which confirms nothing). */
  const sendFeedback = async () => {
    await replication.sendStatus(applier.durablePosition ?? 0n);
    lastFeedback = Date.now();
  };
  let lastProgress = 0;
  let lastSequences = Date.now();
  let changesAtLastProgress = 0;
  const measure = async (now: number) => {
    const lsn = await source.query<{ current: string; restart: string | null }>(
      'SELECT pg_current_wal_lsn()::text AS current, (SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = $1) AS restart',
      [slotName],
    );
    const current = parseLsn(lsn.rows[0]!.current);
    const applied = applier.storedPosition;
    progress.sourceLsn = formatLsn(current);
    progress.appliedLsn = formatLsn(applied);
    progress.lagBytes = Number(current > applied ? current - applied : 0n);
    progress.retainedBytes = lsn.rows[0]!.restart === null ? null : Number(current - parseLsn(lsn.rows[0]!.restart));
    progress.lagSeconds = applier.lagSeconds(now, replication.buffered > 0);
    progress.changesPerSecond = lastProgress === 0 ? 0 : Math.round(((applier.changesApplied - changesAtLastProgress) * 1000) / Math.max(1, now - lastProgress));
    changesAtLastProgress = applier.changesApplied;
    lastProgress = now;
    progress.changesApplied = applier.changesApplied;
    progress.transactionsApplied = applier.transactionsApplied;
    const last = applier.lastApplied;
    if (last.xid !== null) {
      progress.lastAppliedXid = last.xid;
      progress.lastAppliedCommitTime = last.commitTime?.toISOString() ?? null;
    }
  };
  let confirmed: bigint | null = null;
  const afterCommit = async (moved: bigint | null) => {
    if (moved === null) return;
    if (applier.durablePosition !== confirmed) {
      await sendFeedback();
      confirmed = applier.durablePosition;
    }
    await measure(Date.now());
    report('streaming');
  };
  /** Between batches: what waits for the destination's WAL flush is flushed, then the source hears of it. */
  const checkFlush = async (now: number) => {
    const since = applier.flushWaitingSince;
    if (since === null || now - lastFlushCheck < flushCheckEveryMs) return;
    lastFlushCheck = now;
    await applier.refreshDurable(now - since >= flushForceAfterMs);
    if (applier.durablePosition !== confirmed) {
      await sendFeedback();
      confirmed = applier.durablePosition;
    }
  };

  const arrivals = partitionArrivals({ source, destination, plans: plan.tables });
  let streamedXid: number | null = null;

  try {
    replication.start(slotName, publicationName, input.start);
    await measure(Date.now());
    report('streaming');
    // After abort, the transaction being received is finished first: a batch only ends at a commit.
    while (!(signal?.aborted === true && !applier.inTransaction)) {
      const now = Date.now();
      const wait = Math.min(applier.msUntilDue(now), progressEveryMs, signal?.aborted ? 50 : Infinity, applier.awaitingFlush ? flushCheckEveryMs : Infinity);
      // Frames already received are taken without a promise each: the per-change cost bounds catch-up.
      const frame = replication.poll() ?? (await replication.next(wait));
      if (frame?.kind === 'data') {
        const message = decodePgoutput(frame.payload);
        if (message.tag === 'begin') streamedXid = message.xid;
        if (message.tag === 'relation') {
          // Catalog lookups follow (a new partition, an added column): they must see this transaction.
          if (streamedXid !== null) await waitUntilVisible(source, streamedXid);
          await arrivals(message);
        }
        const handled = applier.handle(message);
        if (handled !== undefined) await handled;
      } else if (frame?.kind === 'keepalive') {
        applier.noteIdle(frame.walEnd);
        if (frame.replyRequested) await sendFeedback();
      }
      if (applier.due()) await afterCommit(await applier.commit());
      // Nothing more received: the COMMIT in flight is waited for now, so the position and feedback do not wait for the next batch.
      if (applier.commitInFlight && replication.buffered === 0) await afterCommit(await applier.committed());
      const later = Date.now();
      if (!applier.batchOpen && !applier.commitInFlight) await checkFlush(later);
      if (!applier.batchOpen && later - lastSequences >= sequencesEveryMs) {
        await syncSequences(source, destination, plan.sequences);
        lastSequences = later;
      }
      if (later - lastFeedback >= feedbackEveryMs) await sendFeedback();
      if (later - lastProgress >= progressEveryMs) {
        await measure(later);
        report('streaming');
      }
    }
    report('stopping');
    await afterCommit(await applier.commit());
    await afterCommit(await applier.committed());
    // The last batches are flushed at the destination, then confirmed to the source.
    await applier.refreshDurable(true);
    await sendFeedback();
    await measure(Date.now());
    report('stopped');
    return {
      followId: options.followId,
      appliedLsn: formatLsn(applier.storedPosition),
      changesApplied: applier.changesApplied,
      transactionsApplied: applier.transactionsApplied,
      copied: input.copied,
    };
  } catch (error) {
    await applier.rollback();
    if (isPgferryError(error)) throw error;
    throw new PgferryError('PGF_FOLLOW_STREAM_FAILED', `following ${slotName} failed: ${safeServerReason(error)}; start again to resume from ${formatLsn(applier.storedPosition)}`, { cause: error });
  }
}
