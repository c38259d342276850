import type pg from 'pg';

import { rangeChecksumSql } from '../checksum/checksum-sql.js';
import { type ChecksumTable, wholeTableRange } from '../checksum/checksum-types.js';

/**
 * The diff engine's exact multiset checksum of a whole table over the archived columns, as
 * `rows:sum1:sum2`. Runs on a session with the engine's data settings (same text forms on
 * both sides), so a backup's value and a drill's value are comparable.
 */
export async function tableChecksum(client: pg.Client, table: { schema: string; name: string; columns: readonly string[] }): Promise<string> {
  const spec: ChecksumTable = {
    schema: table.schema,
    name: table.name,
    partitioned: false,
    columns: table.columns.map((name) => ({ name, type: 'text', collatable: false })),
    key: null,
  };
  const statement = rangeChecksumSql(spec, wholeTableRange(spec));
  const result = await client.query<{ rows: string; sum1: string; sum2: string }>(statement.text, statement.values);
  const row = result.rows[0];
  return `${row?.rows ?? '0'}:${row?.sum1 ?? '0'}:${row?.sum2 ?? '0'}`;
}
