import type { SyncOptions, SyncResult } from '../types.js';
import { filterPlaceholders } from '../sync/where-filter.js';
import { type VerifyResult, verifyTables } from './verify-tables.js';

/** A table the sync wrote but verification could not check, and why. */
export interface UnverifiedTable {
  schema: string;
  name: string;
  reason: string;
}

export type SyncVerification = VerifyResult & { notVerified: UnverifiedTable[] };

/**
 * Verifies the tables a sync wrote, leaving out masked columns and applying each table's
 * filter to the source. Append is not verified (it never updates rows); upsert and
 * incremental keep rows deleted at the source, which then show as differences. A filter
 * with `{{placeholders}}` reads values bound in the sync's own session, which verify cannot
 * re-create: those tables are reported as not verified rather than compared whole (which
 * would be a false mismatch). `signal` cancels the running checksum queries; the call then
 * throws PGF_RUN_CANCELLED. Used by the CLI's `--verify` and by saved jobs' verify switch.
 */
export async function verifyAfterSync(
  options: Pick<SyncOptions, 'source' | 'destination'>,
  result: SyncResult,
  onLine: (line: string) => void,
  signal?: AbortSignal,
): Promise<SyncVerification> {
  const written = result.tables.filter((t) => t.status === 'succeeded' && t.mode !== 'append');
  const notVerified: UnverifiedTable[] = [];
  const tables = [];
  for (const t of written) {
    if (t.filter !== undefined && filterPlaceholders(t.filter).length > 0) {
      notVerified.push({ schema: t.schema, name: t.name, reason: 'filtered' });
      onLine(`verify ${t.table}: not verified: filtered (its WHERE filter uses {{placeholders}}, which only the sync can bind)`);
      continue;
    }
    tables.push({ schema: t.schema, name: t.name, excludeColumns: t.maskedColumns, sourceWhere: t.filter });
  }
  const verification = await verifyTables(options.source, options.destination, tables, {
    signal,
    onEvent: (event) => {
      if (event.type === 'verify:table' && event.status !== 'verified') onLine(`verify ${event.schema}.${event.name}: ${event.status} (source ${event.sourceRows} rows, destination ${event.destinationRows})`);
    },
  });
  return { ...verification, notVerified };
}
