import type pg from 'pg';

import { PgferryError, isPgferryError } from '../../errors/pgferry-error.js';
import { qualified } from '../sql/quote-ident.js';
import { safeServerReason } from '../sql/safe-server-reason.js';
import { defaultRuleKey } from '../sync/column-rules.js';
import { applyQueryParams } from '../sync/query-params.js';
import type { TablePlan } from '../sync/sync-plan-types.js';
import type { ColumnRule } from '../types.js';
import { type AddedColumn, type RelationApplier, type RelationMessage, type SetChange, type SourceType, type Statement, relationChange } from './apply-relation.js';
import { TableRun } from './change-runs.js';
import { DurablePositions } from './durable-position.js';
import { formatLsn, parseLsn } from './lsn.js';
import type { PgoutputMessage } from './pgoutput-decoder.js';
import { writePosition } from './position-store.js';

/** Statements sent ahead of their answers at most (bounds memory; the socket pipelines them). */
const maxInflight = 1000;
/** Changes of one table applied by one set-based statement at most (bounds its parameters). */
const maxRun = 2000;

interface CommitInfo {
  lsn: bigint;
  xid: number | null;
  commitTime: Date | null;
}

export interface ApplyOptions {
  followId: string;
  destination: pg.Client;
  plans: readonly TablePlan[];
  rules: readonly ColumnRule[];
  ruleKey: string | undefined;
  resolveType: (oid: number, typmod: number) => Promise<SourceType>;
  describeColumn: (relationOid: number, column: string) => Promise<AddedColumn | undefined>;
  /** The stored position: transactions that committed before it are already applied and are skipped. */
  position: bigint;
  batchChanges: number;
  batchWaitMs: number;
  /**
   * Foreign keys and ordinary triggers do not fire at the destination (session_replication_role
   * = replica), so changes of different tables may be applied in another order than the source's.
   */
  reorderTables: boolean;
  /**
   * The destination session commits with synchronous_commit = off: a committed position is
   * confirmed to the source (`durablePosition`) only once the destination's WAL is flushed
   * past it (see durable-position.ts). Without it every committed position is durable.
   */
  asyncCommit: boolean;
}

/** The destination's WAL position now (after a COMMIT: at or past its commit record) and how far it is flushed. */
const walProbe = { name: 'pgferry_follow_wal', text: 'SELECT pg_current_wal_insert_lsn()::text AS inserted, pg_current_wal_flush_lsn()::text AS flushed' };

/**
 * Applies decoded changes in commit order, several source transactions per destination
 * transaction. The position (end of the last applied commit) is written in the same
 * destination transaction as the changes, so the destination's rows and its position never
 * disagree; a batch is only committed at a source commit boundary.
 */
export class ChangeApplier {
  readonly #o: ApplyOptions;
  readonly #appliers = new Map<number, RelationApplier>();
  readonly #relations = new Map<number, RelationMessage>();
  /** Buffered changes per relation, applied set-based (see change-runs.ts). */
  readonly #runs = new Map<number, TableRun<SetChange['item']>>();
  #stored: bigint;
  readonly #durable: DurablePositions;
  /** The position the open batch (or an idle keepalive) has reached, not yet committed. */
  #pending: CommitInfo | null = null;
  #batchOpen = false;
  #batchStarted = 0;
  #batchChanges = 0;
  #txn: { xid: number; commitTime: Date; skip: boolean } | null = null;
  #oldestUnapplied: Date | null = null;
  #inflight: Promise<void>[] = [];
  /** The previous batch's COMMIT, sent and not yet answered. */
  #committing: Promise<bigint> | null = null;
  #lastApplied: { xid: number | null; commitTime: Date | null } = { xid: null, commitTime: null };
  changesApplied = 0;
  transactionsApplied = 0;

  constructor(options: ApplyOptions) {
    this.#o = options;
    this.#stored = options.position;
    this.#durable = new DurablePositions(options.asyncCommit ? null : options.position);
  }

  /**
   * With asynchronous commit, the stored position read at start may belong to a commit of a
   * previous run that is not on disk yet: it becomes durable once the WAL written so far is.
   */
  async start(): Promise<void> {
    if (!this.#o.asyncCommit) return;
    const wal = await this.#o.destination.query<{ inserted: string; flushed: string }>(walProbe);
    this.#durable.committed(this.#stored, parseLsn(wal.rows[0]!.inserted));
    this.#durable.flushed(parseLsn(wal.rows[0]!.flushed));
  }

  /** The highest applied position known to be on the destination's disk: what the source may be told (null: none yet). */
  get durablePosition(): bigint | null {
    return this.#durable.position;
  }
  /** Whether committed positions wait for the destination's WAL flush (poll with `refreshDurable`). */
  get awaitingFlush(): boolean {
    return this.#durable.waiting;
  }
  /** When the oldest committed position still waiting for the flush committed (null when none waits). */
  get flushWaitingSince(): number | null {
    return this.#durable.waitingSince;
  }

  /**
   * Between batches (nothing open or in flight): learns how far the destination's WAL is
   * flushed, and with `force` flushes it when a position still waits. The WAL writer alone may not get
   * there on an idle server (it flushes up to the last asynchronous commit, and the position
   * read after a COMMIT can lie past it); a synchronous commit of a transaction with an xid
   * flushes the WAL up to its own commit, every earlier one included.
   */
  async refreshDurable(force: boolean): Promise<void> {
    if (this.#batchOpen || this.#committing !== null || this.#inflight.length > 0) return;
    const destination = this.#o.destination;
    const flushed = async () => this.#durable.flushed(parseLsn((await destination.query<{ inserted: string; flushed: string }>(walProbe)).rows[0]!.flushed));
    await flushed();
    if (!force || !this.#durable.waiting) return;
    await destination.query('BEGIN');
    await destination.query('SET LOCAL synchronous_commit = on');
    await destination.query('SELECT txid_current()');
    await destination.query('COMMIT');
    await flushed();
  }

  get storedPosition(): bigint {
    return this.#stored;
  }
  get inTransaction(): boolean {
    return this.#txn !== null;
  }
  get commitInFlight(): boolean {
    return this.#committing !== null;
  }
  get batchOpen(): boolean {
    return this.#batchOpen;
  }
  get lastApplied(): { xid: number | null; commitTime: Date | null } {
    return this.#lastApplied;
  }
  /**
   * Seconds since the commit of the oldest change received and not yet committed at the
   * destination. With `backlog` (frames received but not decoded yet, whose commit times are
   * unknown) and nothing pending, the age of the last applied commit stands in: an upper bound.
   */
  lagSeconds(now = Date.now(), backlog = false): number {
    const oldest = this.#oldestUnapplied ?? (backlog ? this.#lastApplied.commitTime : null);
    return oldest === null ? 0 : Math.max(0, (now - oldest.getTime()) / 1000);
  }
  /** Milliseconds until the open batch must be committed (Infinity when none is open). */
  msUntilDue(now = Date.now()): number {
    if (!this.#batchOpen && (this.#pending === null || this.#pending.lsn <= this.#stored)) return Infinity;
    return Math.max(0, this.#batchStarted + this.#o.batchWaitMs - now);
  }

  /**
   * Takes the next decoded message. Returns a promise only when it must be waited for (a
   * statement's answer is needed, a relation is described, too many answers are pending):
   * the common change is buffered synchronously, which keeps the per-change cost low.
   */
  handle(message: PgoutputMessage): Promise<void> | undefined {
    switch (message.tag) {
      case 'begin': {
        // finalLsn is the commit's own position; the stored position is a commit's end, so an applied transaction lies before it.
        const skip = message.finalLsn < this.#stored;
        this.#txn = { xid: message.xid, commitTime: message.commitTime, skip };
        if (!skip) this.#oldestUnapplied ??= message.commitTime;
        return;
      }
      case 'commit': {
        const txn = this.#txn;
        this.#txn = null;
        if (txn === null || txn.skip) return;
        this.transactionsApplied++;
        this.#pending = { lsn: message.endLsn, xid: txn.xid, commitTime: message.commitTime };
        if (!this.#batchOpen && this.#batchStarted === 0) this.#batchStarted = Date.now();
        return;
      }
      case 'relation':
        return this.#relation(message);
      case 'insert':
      case 'update':
      case 'delete':
      case 'truncate':
        if (this.#txn?.skip !== false) return;
        return this.#change(message);
      default:
        // Origin, Type (types are cast by name) and logical messages change nothing here.
        return;
    }
  }

  /** An idle keepalive: everything before walEnd was sent, so with nothing in flight it is applied. */
  noteIdle(walEnd: bigint): void {
    if (this.#txn !== null || walEnd <= this.#stored || (this.#pending !== null && walEnd <= this.#pending.lsn)) return;
    if (this.#pending === null && !this.#batchOpen) this.#batchStarted = Date.now();
    this.#pending = { lsn: walEnd, xid: this.#pending?.xid ?? null, commitTime: this.#pending?.commitTime ?? null };
  }

  /** Whether the batch is full or old enough to commit now (never inside a source transaction). */
  due(now = Date.now()): boolean {
    return this.#txn === null && (this.#batchChanges >= this.#o.batchChanges || this.msUntilDue(now) === 0);
  }

  /**
   * Commits whatever is complete (nothing while inside a source transaction). The COMMIT is
   * not waited for: the next batch is received and sent behind it on the same session, and
   * the position moves (returned by a later call, or by `committed()`) only once it answered.
   * Returns the position an earlier commit moved to, if any.
   */
  async commit(): Promise<bigint | null> {
    if (this.#txn !== null) return null;
    // A batch never commits before the one ahead of it answered: were that one rolled back, this one must not land.
    const moved = await this.committed();
    const pending = this.#pending;
    if (pending === null || pending.lsn <= this.#stored) {
      this.#flushRuns();
      await this.#settle();
      if (this.#batchOpen) await this.#o.destination.query('COMMIT');
      this.#resetBatch();
      return moved;
    }
    this.#ensureBatch();
    this.#flushRuns();
    // Position and COMMIT go out behind the changes without waiting for their answers. If any
    // change failed the transaction is aborted, its COMMIT rolls back, and the first failure is
    // thrown from committed(): the stored position stays.
    const changes = this.#settle();
    const position = writePosition(this.#o.destination, this.#o.followId, pending);
    const answered = this.#o.destination.query('COMMIT');
    // Sent behind the COMMIT (outside the transaction): the WAL position it reads is at or past the commit record.
    const wal = this.#o.asyncCommit ? this.#o.destination.query<{ inserted: string; flushed: string }>(walProbe) : null;
    changes.catch(() => undefined);
    position.catch(() => undefined);
    answered.catch(() => undefined);
    wal?.catch(() => undefined);
    this.#committing = (async () => {
      await changes;
      await position;
      if ((await answered).command !== 'COMMIT') {
        throw new PgferryError('PGF_FOLLOW_APPLY_FAILED', `the destination rolled back the batch ending at ${formatLsn(pending.lsn)} instead of committing it; start the follow again to resume from the stored position`);
      }
      const walRow = wal === null ? null : (await wal).rows[0]!;
      this.#durable.committed(pending.lsn, walRow === null ? 0n : parseLsn(walRow.inserted));
      if (walRow !== null) this.#durable.flushed(parseLsn(walRow.flushed));
      this.#stored = pending.lsn;
      if (pending.xid !== null) this.#lastApplied = { xid: pending.xid, commitTime: pending.commitTime };
      return pending.lsn;
    })();
    this.#committing.catch(() => undefined);
    this.#oldestUnapplied = null;
    this.#resetBatch();
    return moved;
  }

  /** Waits for the COMMIT in flight; returns the position it moved to (null when none was in flight). */
  async committed(): Promise<bigint | null> {
    const committing = this.#committing;
    this.#committing = null;
    return committing === null ? null : await committing;
  }

  /** Abandons the open batch (an error): nothing of it is committed, the stored position stays. */
  async rollback(): Promise<void> {
    this.#runs.clear();
    await this.committed().catch(() => undefined);
    await Promise.allSettled(this.#inflight.splice(0));
    if (this.#batchOpen) await this.#o.destination.query('ROLLBACK').catch(() => undefined);
    this.#resetBatch();
    this.#txn = null;
  }

  #resetBatch(): void {
    this.#batchOpen = false;
    this.#batchChanges = 0;
    this.#batchStarted = 0;
    this.#pending = null;
  }

  /**
   * BEGIN and the rules' parameters are queued like the changes, not awaited: BEGIN's answer
   * comes only after the previous batch's COMMIT, and waiting for it would stop decoding the
   * next batch until the destination finished the previous one.
   */
  #ensureBatch(): void {
    if (this.#batchOpen) return;
    this.#track(this.#o.destination.query('BEGIN'));
    this.#batchOpen = true;
    if (this.#batchStarted === 0) this.#batchStarted = Date.now();
    const params = [...this.#appliers.values()].flatMap((a) => a.params);
    this.#track(applyQueryParams(this.#o.destination, params));
  }

  /** Queues an answer to be checked before the batch commits (the first failure is thrown then). */
  #track(answer: Promise<unknown>): void {
    const sent = answer.then(() => undefined);
    sent.catch(() => undefined);
    this.#inflight.push(sent);
  }

  async #relation(message: RelationMessage): Promise<void> {
    const destination = this.#o.destination;
    this.#ensureBatch();
    this.#flushRuns();
    await this.#settle();
    const plan = this.#o.plans.find((p) => p.source.oid === message.relationOid);
    const columns = plan
      ? await destination.query<{ name: string }>(
          `SELECT attname AS name FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
          [qualified(plan.name)],
        )
      : { rows: [] };
    const change = await relationChange({
      relation: message,
      previous: this.#relations.get(message.relationOid),
      plans: this.#o.plans,
      destinationColumns: new Set(columns.rows.map((r) => r.name)),
      resolveType: this.#o.resolveType,
      describeColumn: this.#o.describeColumn,
      rules: this.#o.rules,
      ruleKey: this.#o.ruleKey ?? defaultRuleKey,
    });
    for (const statement of change.addColumns) await destination.query(statement);
    await applyQueryParams(destination, change.applier.params);
    this.#appliers.set(message.relationOid, change.applier);
    this.#runs.set(message.relationOid, new TableRun(this.#o.reorderTables && plan !== undefined && (await this.#keyIsOnlyUnique(plan.name, change.applier))));
    this.#relations.set(message.relationOid, message);
  }

  /**
   * Whether changes of distinct keys of a table may be reordered across kinds: no other
   * unique index or exclusion constraint at the destination could see a value freed and
   * taken again in another order.
   */
  async #keyIsOnlyUnique(table: TablePlan['name'], applier: RelationApplier): Promise<boolean> {
    const key = applier.matchColumns;
    if (!applier.setBased || key === null) return false;
    const result = await this.#o.destination.query<{ columns: string[] | null; partial: boolean }>(
      `SELECT (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)) AS columns,
              i.indpred IS NOT NULL OR i.indexprs IS NOT NULL AS partial
         FROM pg_index i WHERE i.indrelid = to_regclass($1) AND (i.indisunique OR i.indisexclusion)`,
      [qualified(table)],
    );
    const wanted = [...key].sort().join('\u0000');
    return result.rows.every((row) => !row.partial && (row.columns ?? []).join('\u0000') === wanted);
  }

  /** Buffers a change into its table's run (applying the run first when they do not commute). */
  #buffer(oid: number, change: SetChange): void {
    if (!this.#o.reorderTables) {
      for (const [other, run] of this.#runs) if (other !== oid && run.size > 0) this.#flushRun(other);
    }
    const run = this.#runs.get(oid)!;
    if (!run.accepts(change)) this.#flushRun(oid);
    run.add(change);
    if (run.size >= maxRun) this.#flushRun(oid);
  }

  #flushRuns(): void {
    for (const oid of this.#runs.keys()) this.#flushRun(oid);
  }

  #flushRun(oid: number): void {
    const run = this.#runs.get(oid);
    if (!run || run.size === 0) return;
    const applier = this.#applier(oid);
    for (const group of run.drain()) {
      if (group.kind === 'insert') this.#send(applier, applier.insertMany(group.items.map((c) => c.new!)));
      else if (group.kind === 'delete') this.#send(applier, applier.deleteMany(group.items.map((c) => c.old!)));
      else this.#send(applier, applier.updateMany(group.items.map((c) => ({ old: c.old, new: c.new! }))));
    }
  }

  #applier(oid: number): RelationApplier {
    const applier = this.#appliers.get(oid);
    if (!applier) throw new PgferryError('PGF_FOLLOW_STREAM_FAILED', `the stream sent a change of relation ${oid} before describing it; start the follow again`);
    return applier;
  }

  /**
   * Sends a statement without waiting for its answer (the destination session is pipelined):
   * its outcome is awaited before the batch commits, or when too many are in flight. In an
   * explicit transaction the first failure aborts the rest, so the first error is the cause.
   */
  #send(applier: RelationApplier, statement: Statement): void {
    this.#track(this.#run(applier, statement));
  }

  /** Waits for the answers when too many statements are in flight (null when none need waiting for). */
  #bound(): Promise<void> | undefined {
    return this.#inflight.length >= maxInflight ? this.#settle() : undefined;
  }

  async #settle(): Promise<void> {
    const inflight = this.#inflight.splice(0);
    const outcomes = await Promise.allSettled(inflight);
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async #run(applier: RelationApplier, statement: Statement): Promise<pg.QueryResult> {
    try {
      return await this.#o.destination.query({ name: statement.name, text: statement.text, values: statement.values });
    } catch (error) {
      if (isPgferryError(error)) throw error;
      throw new PgferryError('PGF_FOLLOW_APPLY_FAILED', `a change of ${applier.name} could not be applied at the destination: ${safeServerReason(error)}; the follow stopped at its last applied transaction — fix the destination table and start it again`, {
        cause: error,
      });
    }
  }

  #change(message: Extract<PgoutputMessage, { tag: 'insert' | 'update' | 'delete' | 'truncate' }>): Promise<void> | undefined {
    this.#ensureBatch();
    this.#batchChanges++;
    this.changesApplied++;
    if (message.tag !== 'truncate') {
      const set = this.#applier(message.relationOid).setChange(message);
      if (set !== null) {
        this.#buffer(message.relationOid, set);
        return this.#bound();
      }
    }
    return this.#alone(message);
  }

  /** A change applied by its own statement, in the source order: whatever was buffered goes first. */
  async #alone(message: Extract<PgoutputMessage, { tag: 'insert' | 'update' | 'delete' | 'truncate' }>): Promise<void> {
    if (message.tag === 'truncate') {
      const tables = message.relationOids.map((oid) => qualified(this.#applier(oid).table.name));
      this.#flushRuns();
      await this.#settle();
      await this.#o.destination.query(`TRUNCATE ONLY ${tables.join(', ')}`);
      return;
    }
    const applier = this.#applier(message.relationOid);
    this.#flushRuns();
    if (message.tag === 'insert') {
      this.#send(applier, applier.insert(message.newTuple));
    } else if (message.tag === 'delete') {
      this.#send(applier, applier.delete(message.oldTuple));
    } else {
      const check = applier.filterCheck(message.newTuple);
      if (check === null) {
        const update = applier.update(message.oldTuple, message.newTuple);
        if (update !== null) this.#send(applier, update);
        return this.#bound();
      }
      // Answers are needed now; an earlier failure must surface as itself, not as "transaction aborted".
      await this.#settle();
      const keep = (await this.#run(applier, check)).rows[0]?.keep === true;
      const identity = message.oldTuple;
      if (!keep) {
        // The row left the filter: it goes from the destination (if it was there).
        await this.#run(applier, applier.delete(identity ?? message.newTuple));
        return;
      }
      const update = applier.update(identity, message.newTuple);
      if (update === null) return;
      const updated = await this.#run(applier, update);
      // It entered the filter: it was not at the destination yet.
      if (check !== null && updated.rowCount === 0) await this.#run(applier, applier.insert(message.newTuple));
      return;
    }
    return this.#bound();
  }
}
