import type pg from 'pg';

import { isPgferryError } from '../../errors/pgferry-error.js';
import { type ChecksumSession, openChecksumSession } from '../checksum/checksum-session.js';
import { type QualifiedName, displayName } from '../sql/quote-ident.js';
import { checkFilter } from '../sync/where-filter.js';
import { bisectTable } from './bisect-table.js';
import { describeSideTable, listComparableTables, pairTables } from './describe-compared-table.js';
import type { BisectOptions, DiffEvent, DiffSummary, TableComparison } from './diff-types.js';
import { type TableSelection, selectTables } from './select-tables.js';

/** One table to compare, with what the sync did to it that a comparison must respect. */
export interface CompareTableRequest extends QualifiedName {
  /** Columns left out (e.g. rewritten by anonymisation rules). */
  excludeColumns?: readonly string[] | undefined;
  /** The sync's WHERE filter: applied to the source only. */
  sourceWhere?: string | undefined;
}

export interface CompareOptions extends BisectOptions {
  signal?: AbortSignal | undefined;
  onEvent?: ((event: DiffEvent) => void) | undefined;
}

function blankComparison(table: QualifiedName): TableComparison {
  return {
    schema: table.schema,
    name: table.name,
    status: 'equal',
    key: null,
    source: null,
    destination: null,
    ranges: [],
    rows: [],
    truncated: false,
    bytesTransferred: 0,
    notes: [],
  };
}

async function compareOne(source: ChecksumSession, destination: ChecksumSession, request: CompareTableRequest, options: CompareOptions): Promise<TableComparison> {
  const comparison = blankComparison(request);
  // A filter that leaves its parentheses would cancel the key ranges of the bisection.
  if (request.sourceWhere !== undefined) checkFilter(request.sourceWhere);
  const [sourceSide, destinationSide] = await Promise.all([describeSideTable(source.queryable, request), describeSideTable(destination.queryable, request)]);
  if (sourceSide === undefined) {
    return { ...comparison, status: 'incomparable', reason: 'the table does not exist on the source' };
  }
  if (destinationSide === undefined) {
    return { ...comparison, status: 'missing_on_destination', reason: 'the table does not exist on the destination' };
  }
  const plan = pairTables(sourceSide, destinationSide, { excludeColumns: request.excludeColumns, sourceWhere: request.sourceWhere });
  comparison.notes = plan.notes;
  if (!plan.comparable) return { ...comparison, status: 'incomparable', reason: plan.reason };
  comparison.key = plan.source.key?.map((column) => column.name) ?? null;
  const outcome = await bisectTable({
    source,
    destination,
    sourceTable: plan.source,
    destinationTable: plan.destination,
    options,
    onLevel: (depth, ranges) => options.onEvent?.({ type: 'table:range', schema: request.schema, name: request.name, depth, ranges }),
  });
  return {
    ...comparison,
    status: outcome.equal ? 'equal' : 'different',
    source: outcome.source,
    destination: outcome.destination,
    ranges: outcome.ranges,
    rows: outcome.rows,
    truncated: outcome.truncated,
  };
}

/**
 * Compares tables of two databases by server-side checksums, each side inside one read-only
 * REPEATABLE READ transaction. Tables are compared one after the other; a table that fails
 * is reported as `failed` and the others still run (a connection lost or a cancel stops all).
 */
export async function compareTables(
  sourceConfig: pg.ClientConfig,
  destinationConfig: pg.ClientConfig,
  tables: readonly CompareTableRequest[] | TableSelection,
  options: CompareOptions = {},
): Promise<DiffSummary> {
  const started = Date.now();
  const source = await openChecksumSession(sourceConfig, { side: 'source', signal: options.signal });
  let destination: ChecksumSession | undefined;
  try {
    destination = await openChecksumSession(destinationConfig, { side: 'destination', signal: options.signal });
    const requests = Array.isArray(tables)
      ? (tables as readonly CompareTableRequest[])
      : selectTables(await listComparableTables(source.queryable), tables as TableSelection);
    const results: TableComparison[] = [];
    for (const request of requests) {
      options.onEvent?.({ type: 'table:start', schema: request.schema, name: request.name });
      const before = source.bytesTransferred() + destination.bytesTransferred();
      let result: TableComparison;
      // A savepoint per table: a statement that fails (a bad filter, a type without text
      // output) rolls back to it and the next table still reads the same snapshot.
      await Promise.all([source.queryable.query('SAVEPOINT pgferry_table'), destination.queryable.query('SAVEPOINT pgferry_table')]);
      try {
        result = await compareOne(source, destination, request, options);
      } catch (error) {
        const perTable = isPgferryError(error) && (error.code === 'PGF_COMPARE_QUERY_FAILED' || error.code === 'PGF_CONNECTION_PRIVILEGE' || error.code === 'PGF_FILTER_INVALID');
        if (options.signal?.aborted === true || !perTable) throw error;
        await Promise.all([
          source.queryable.query('ROLLBACK TO SAVEPOINT pgferry_table'),
          destination.queryable.query('ROLLBACK TO SAVEPOINT pgferry_table'),
        ]);
        result = { ...blankComparison(request), status: 'failed', reason: `table ${displayName(request)}: ${error.message}`, errorCode: error.code };
      }
      result.bytesTransferred = source.bytesTransferred() + destination.bytesTransferred() - before;
      results.push(result);
      options.onEvent?.({
        type: 'table:done',
        schema: request.schema,
        name: request.name,
        status: result.status,
        sourceRows: result.source === null ? null : Number(result.source.rows),
        destinationRows: result.destination === null ? null : Number(result.destination.rows),
        bytesTransferred: result.bytesTransferred,
      });
    }
    return {
      equal: results.every((result) => result.status === 'equal'),
      tables: results,
      bytesTransferred: source.bytesTransferred() + destination.bytesTransferred(),
      durationMs: Date.now() - started,
    };
  } finally {
    await source.close();
    await destination?.close();
  }
}
