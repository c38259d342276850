import { qualified, quoteIdent, quoteLiteral } from '../sql/quote-ident.js';
import type {
  CatalogColumn,
  CatalogExtension,
  CatalogSequence,
  CatalogTable,
  CatalogType,
  CatalogView,
  SequenceOptions,
} from './schema-types.js';

/** One DDL statement and the object it creates, so failures and plans can name it. */
export interface DdlStatement {
  object: string;
  sql: string;
}

const stmt = (object: string, sql: string): DdlStatement => ({ object, sql });

export function createSchemaDdl(name: string, comment: string | null): DdlStatement[] {
  const out = [stmt(`schema ${quoteIdent(name)}`, `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(name)}`)];
  if (comment !== null) out.push(stmt(`schema ${quoteIdent(name)}`, `COMMENT ON SCHEMA ${quoteIdent(name)} IS ${quoteLiteral(comment)}`));
  return out;
}

export function createExtensionDdl(extension: CatalogExtension): DdlStatement {
  return stmt(
    `extension ${quoteIdent(extension.name)}`,
    `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(extension.name)} WITH SCHEMA ${quoteIdent(extension.schema)}`,
  );
}

export function createTypeDdl(type: CatalogType): DdlStatement[] {
  const name = qualified(type.name);
  const object = `type ${name}`;
  const out: DdlStatement[] = [];
  switch (type.kind) {
    case 'enum':
      out.push(stmt(object, `CREATE TYPE ${name} AS ENUM (${type.labels.map(quoteLiteral).join(', ')})`));
      break;
    case 'composite':
      out.push(stmt(object, `CREATE TYPE ${name} AS (${type.attributes.map((a) => `${quoteIdent(a.name)} ${a.type}`).join(', ')})`));
      break;
    case 'range':
      out.push(stmt(object, `CREATE TYPE ${name} AS RANGE (${type.definition})`));
      break;
    case 'domain': {
      const parts = [`CREATE DOMAIN ${name} AS ${type.baseType}`];
      if (type.collation !== null) parts.push(`COLLATE ${type.collation}`);
      if (type.default !== null) parts.push(`DEFAULT ${type.default}`);
      if (type.notNull) parts.push('NOT NULL');
      out.push(stmt(object, parts.join(' ')));
      for (const constraint of type.constraints) {
        if (/^NOT NULL$/i.test(constraint.definition)) continue;
        out.push(stmt(object, `ALTER DOMAIN ${name} ADD CONSTRAINT ${quoteIdent(constraint.name)} ${constraint.definition}`));
      }
      break;
    }
  }
  if (type.comment !== null) {
    out.push(stmt(object, `COMMENT ON ${type.kind === 'domain' ? 'DOMAIN' : 'TYPE'} ${name} IS ${quoteLiteral(type.comment)}`));
  }
  return out;
}

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

/** Stand-alone and serial sequences (identity sequences come with their column). */
export function createSequenceDdl(sequence: CatalogSequence): DdlStatement[] {
  const name = qualified(sequence.name);
  const out = [stmt(`sequence ${name}`, `CREATE SEQUENCE ${name} ${sequenceOptions(sequence)}`)];
  if (sequence.comment !== null) out.push(stmt(`sequence ${name}`, `COMMENT ON SEQUENCE ${name} IS ${quoteLiteral(sequence.comment)}`));
  return out;
}

/** `ALTER SEQUENCE … OWNED BY`, after the owning table exists. */
export function sequenceOwnershipDdl(sequence: CatalogSequence): DdlStatement | null {
  if (sequence.ownedBy === null || sequence.identity) return null;
  return stmt(
    `sequence ${qualified(sequence.name)}`,
    `ALTER SEQUENCE ${qualified(sequence.name)} OWNED BY ${qualified(sequence.ownedBy.table)}.${quoteIdent(sequence.ownedBy.column)}`,
  );
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

/** CREATE TABLE with columns, defaults, identity, generated columns and partitioning: no keys, indexes or checks. */
export function createTableDdl(table: CatalogTable): DdlStatement[] {
  const name = qualified(table.name);
  const object = `table ${name}`;
  let sql: string;
  if (table.partitionOf !== null) {
    sql = `CREATE TABLE ${name} PARTITION OF ${qualified(table.partitionOf.parent)} ${table.partitionOf.bound}`;
  } else {
    const columns = table.columns.map((column) => `  ${columnDefinition(column)}`).join(',\n');
    sql = `CREATE ${table.unlogged ? 'UNLOGGED ' : ''}TABLE ${name} (\n${columns}\n)`;
  }
  if (table.partitionKey !== null) sql += ` PARTITION BY ${table.partitionKey}`;
  const out = [stmt(object, sql)];
  if (table.comment !== null) out.push(stmt(object, `COMMENT ON TABLE ${name} IS ${quoteLiteral(table.comment)}`));
  for (const column of table.columns) {
    if (column.comment === null) continue;
    out.push(stmt(object, `COMMENT ON COLUMN ${name}.${quoteIdent(column.name)} IS ${quoteLiteral(column.comment)}`));
  }
  return out;
}

export function addColumnDdl(table: CatalogTable, column: CatalogColumn): DdlStatement {
  return stmt(`column ${qualified(table.name)}.${quoteIdent(column.name)}`, `ALTER TABLE ${qualified(table.name)} ADD COLUMN ${columnDefinition(column)}`);
}

/**
 * What follows a table's data: keys and unique/exclusion constraints, checks, indexes,
 * triggers with their enabled state, row security and policies. Foreign keys are separate
 * (`foreignKeyDdl`) because they need both tables loaded.
 */
export function tablePostDataDdl(table: CatalogTable): DdlStatement[] {
  const name = qualified(table.name);
  const out: DdlStatement[] = [];
  const order = { p: 0, u: 1, x: 2, c: 3, f: 4 } as const;
  const own = table.constraints.filter((c) => c.type !== 'f').sort((a, b) => order[a.type] - order[b.type]);
  for (const constraint of own) {
    const object = `constraint ${quoteIdent(constraint.name)} on ${name}`;
    out.push(stmt(object, `ALTER TABLE ${name} ADD CONSTRAINT ${quoteIdent(constraint.name)} ${constraint.definition}`));
    if (constraint.comment !== null) {
      out.push(stmt(object, `COMMENT ON CONSTRAINT ${quoteIdent(constraint.name)} ON ${name} IS ${quoteLiteral(constraint.comment)}`));
    }
  }
  for (const index of table.indexes) {
    // pg_get_indexdef says `ON ONLY` for a partitioned table's index, which would create an
    // invalid index without its partitions' indexes; without ONLY it builds them all.
    const definition = table.kind === 'partitioned' ? index.definition.replace(/^(CREATE (?:UNIQUE )?INDEX (?:"(?:[^"]|"")*"|\S+) ON) ONLY /, '$1 ') : index.definition;
    out.push(stmt(`index ${quoteIdent(index.name)} on ${name}`, definition));
    if (index.comment !== null) {
      out.push(stmt(`index ${quoteIdent(index.name)}`, `COMMENT ON INDEX ${qualified(table.name.schema, index.name)} IS ${quoteLiteral(index.comment)}`));
    }
  }
  for (const trigger of table.triggers) {
    const object = `trigger ${quoteIdent(trigger.name)} on ${name}`;
    out.push(stmt(object, trigger.definition));
    const state = { O: null, D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS' }[trigger.enabled];
    if (state !== null) out.push(stmt(object, `ALTER TABLE ${name} ${state} TRIGGER ${quoteIdent(trigger.name)}`));
  }
  if (table.rowSecurity.enabled) out.push(stmt(`row security on ${name}`, `ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY`));
  if (table.rowSecurity.forced) out.push(stmt(`row security on ${name}`, `ALTER TABLE ${name} FORCE ROW LEVEL SECURITY`));
  for (const policy of table.policies) {
    const roles = policy.roles.map((role) => (role === 'public' ? 'PUBLIC' : quoteIdent(role))).join(', ');
    let sql = `CREATE POLICY ${quoteIdent(policy.name)} ON ${name} AS ${policy.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${policy.command} TO ${roles}`;
    if (policy.using !== null) sql += ` USING (${policy.using})`;
    if (policy.withCheck !== null) sql += ` WITH CHECK (${policy.withCheck})`;
    out.push(stmt(`policy ${quoteIdent(policy.name)} on ${name}`, sql));
  }
  return out;
}

export function foreignKeyDdl(table: CatalogTable): DdlStatement[] {
  const name = qualified(table.name);
  return table.constraints
    .filter((c) => c.type === 'f')
    .map((c) => stmt(`foreign key ${quoteIdent(c.name)} on ${name}`, `ALTER TABLE ${name} ADD CONSTRAINT ${quoteIdent(c.name)} ${c.definition}`));
}

export function createViewDdl(view: CatalogView): DdlStatement[] {
  const name = qualified(view.name);
  const object = `${view.materialized ? 'materialized view' : 'view'} ${name}`;
  const query = view.query.trim().replace(/;$/, '');
  const out = [
    stmt(
      object,
      view.materialized
        ? `CREATE MATERIALIZED VIEW ${name} AS ${query} WITH ${view.populated ? '' : 'NO '}DATA`
        : `CREATE VIEW ${name} AS ${query}`,
    ),
  ];
  for (const index of view.indexes) out.push(stmt(`index ${quoteIdent(index.name)} on ${name}`, index.definition));
  if (view.comment !== null) {
    out.push(stmt(object, `COMMENT ON ${view.materialized ? 'MATERIALIZED VIEW' : 'VIEW'} ${name} IS ${quoteLiteral(view.comment)}`));
  }
  return out;
}
