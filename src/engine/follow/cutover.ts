import type pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import { compareTables } from '../diff/diff-tables.js';
import { diffSchemas } from '../diff/schema-diff.js';
import { displayName } from '../sql/quote-ident.js';
import { openSession } from '../sql/session-settings.js';
import { planSync } from '../sync/run-sync.js';
import { filterPlaceholders } from '../sync/where-filter.js';
import type { CutoverOptions, CutoverReport, FollowContext } from './follow-api.js';
import { formatLsn, parseLsn } from './lsn.js';
import { readPosition } from './position-store.js';
import { followSyncOptions } from './run-follow.js';
import { syncSequences } from './sync-sequences.js';

const defaultTimeoutMs = 5 * 60_000;
const pollMs = 250;

/**
 * The follower commits asynchronously: before anyone is told to switch, what it applied (and
 * the sequences just set) is on the destination's disk — the WAL writer gets there within a
 * few wal_writer_delay.
 */
async function destinationOnDisk(destination: pg.Client): Promise<void> {
  const written = parseLsn((await destination.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0]!.lsn);
  while (parseLsn((await destination.query<{ lsn: string }>('SELECT pg_current_wal_flush_lsn()::text AS lsn')).rows[0]!.lsn) < written) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Cut-over check, with a follower running elsewhere and writes to the source stopped: takes
 * the source's current WAL position as the target, waits until the destination has applied
 * up to it (PGF_CUTOVER_TIMEOUT with the remaining lag otherwise), sets the sequences, then
 * compares every selected table (diff engine; masked columns left out, the filter applied to
 * the source) and the schemas of the selection. `equal` false means: do not switch. The
 * follower is not stopped here.
 */
export async function cutover(options: CutoverOptions, context: FollowContext = {}): Promise<CutoverReport> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const source = await openSession(options.source, 'source', 'pgferry cutover');
  try {
    const destination = await openSession(options.destination, 'destination', 'pgferry cutover');
    try {
      const target = parseLsn((await source.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn);
      let applied: bigint | null = null;
      while (true) {
        applied = (await readPosition(destination, options.followId))?.lsn ?? null;
        if (applied !== null && applied >= target) break;
        if (context.signal?.aborted) throw new PgferryError('PGF_RUN_CANCELLED', 'the cut-over was cancelled while waiting for the destination');
        if (Date.now() - started >= timeoutMs) {
          const lag = applied === null ? 'no position is stored at the destination' : `${target - applied} bytes behind (applied ${formatLsn(applied)})`;
          throw new PgferryError(
            'PGF_CUTOVER_TIMEOUT',
            `follow "${options.followId}" did not reach the source position ${formatLsn(target)} within ${Math.round(timeoutMs / 1000)} s: ${lag}; check that the follower runs and that writes to the source are stopped, then try again (or give a longer --timeout)`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
      const sync = followSyncOptions(options);
      const plan = await planSync(sync);
      const sequences = await syncSequences(source, destination, plan.sequences);
      for (const warning of sequences.warnings) context.logger?.warn({ followId: options.followId }, warning);
      await destinationOnDisk(destination);
      const tables = plan.tables.filter((t) => t.status !== 'refused');
      // A filter with {{placeholders}} cannot be re-evaluated as the copy bound it: such a table is reported, not compared.
      const comparable = tables.filter((t) => t.filter === null || filterPlaceholders(t.filter).length === 0);
      const uncompared = tables.filter((t) => !comparable.includes(t));
      const diff = await compareTables(
        options.source,
        options.destination,
        comparable.map((t) => ({
          schema: t.name.schema,
          name: t.name.name,
          excludeColumns: t.rules.map((r) => r.column),
          ...(t.filter !== null ? { sourceWhere: t.filter } : {}),
        })),
        { signal: context.signal },
      );
      const schemas = [...new Set(tables.map((t) => t.name.schema))];
      const schema = await diffSchemas(options.source, options.destination, { schemas, ignoreOwners: options.owners !== true, ignorePrivileges: options.grants !== true });
      const reported = diff.tables.map((t) => ({
        table: displayName(t),
        equal: t.status === 'equal',
        sourceRows: t.source === null ? 0 : Number(t.source.rows),
        destinationRows: t.destination === null ? 0 : Number(t.destination.rows),
        ...(t.status === 'equal' ? {} : { detail: t.reason ?? `${t.status}${t.rows.length > 0 ? `: ${t.rows.length} differing row(s)` : ''}` }),
      }));
      for (const t of uncompared) {
        reported.push({ table: displayName(t.name), equal: false, sourceRows: 0, destinationRows: 0, detail: 'not compared: its filter has {{placeholders}}, which cannot be bound as the copy bound them' });
      }
      return {
        followId: options.followId,
        targetLsn: formatLsn(target),
        appliedLsn: formatLsn(applied),
        sequencesSet: sequences.set,
        tables: reported,
        schemaEqual: schema.equal,
        equal: diff.equal && uncompared.length === 0 && schema.equal,
        seconds: (Date.now() - started) / 1000,
      };
    } finally {
      await destination.end().catch(() => undefined);
    }
  } finally {
    await source.end().catch(() => undefined);
  }
}
