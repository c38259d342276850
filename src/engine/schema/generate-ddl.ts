import { qualified, quoteIdent } from '../sql/quote-ident.js';
import type { CatalogColumn, CatalogTable, SequenceOptions } from './schema-types.js';

// DDL the schema layer (./read) does not write: columns that `--schema-policy add-columns`
// adds to an existing destination table.

/** One DDL statement and the object it creates, so failures and plans can name it. */
export interface DdlStatement {
  object: string;
  sql: string;
  /** What may be printed instead of `sql` when that holds a secret (a user mapping's password). */
  shown?: string | undefined;
}

const stmt = (object: string, sql: string): DdlStatement => ({ object, sql });

function sequenceOptions(options: SequenceOptions, withType = true): string {
  return [
    withType ? `AS ${options.dataType}` : '',
    `INCREMENT BY ${options.increment}`,
    `MINVALUE ${options.min}`,
    `MAXVALUE ${options.max}`,
    `START WITH ${options.start}`,
    `CACHE ${options.cache}`,
    options.cycle ? 'CYCLE' : 'NO CYCLE',
  ]
    .filter(Boolean)
    .join(' ');
}

/** One column definition for CREATE TABLE or ALTER TABLE ADD COLUMN. */
export function columnDefinition(column: CatalogColumn): string {
  const parts = [quoteIdent(column.name), column.type];
  if (column.collation !== null) parts.push(`COLLATE ${column.collation}`);
  if (column.generated !== null) {
    parts.push(`GENERATED ALWAYS AS (${column.generated}) STORED`);
  } else if (column.identity !== '') {
    const seq = column.identitySequence;
    const options = seq ? ` (SEQUENCE NAME ${qualified(seq.name)} ${sequenceOptions(seq, false)})` : '';
    parts.push(`GENERATED ${column.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY${options}`);
  } else if (column.default !== null) {
    parts.push(`DEFAULT ${column.default}`);
  }
  if (column.notNull) parts.push('NOT NULL');
  return parts.join(' ');
}

export function addColumnDdl(table: CatalogTable, column: CatalogColumn): DdlStatement {
  return stmt(`column ${qualified(table.name)}.${quoteIdent(column.name)}`, `ALTER TABLE ${qualified(table.name)} ADD COLUMN ${columnDefinition(column)}`);
}
