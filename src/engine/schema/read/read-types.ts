import { qualified, quoteIdent, quoteLiteral } from '../../sql/quote-ident.js';
import { type ObjectReader, type SchemaObject, address, makeObject } from '../model/schema-object.js';
import { commentStatement, notExtensionMember, securityLabelStatements, securityLabelsJson, statements, userNamespace } from './read-helpers.js';

interface TypeRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  schema: string;
  name: string;
  /** Addresses the type stands for besides its own: array type, composite relation, multirange, range constructors. */
  parts: string[];
  comment: string | null;
  labels: { provider: string; label: string }[] | null;
  owner: string;
  acl: string | null;
}

// User types that are not a table's row type, an array type or a multirange (those come with their owner).
const userTypes = (typtype: string): string => `
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype = '${typtype}' AND ${userNamespace('t.typnamespace')} AND ${notExtensionMember('pg_type', 't.oid')}
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.typarray = t.oid)
   AND (t.typrelid = 0 OR (SELECT relkind FROM pg_catalog.pg_class WHERE oid = t.typrelid) = 'c')`;

const typeColumns = `t.tableoid::int, t.oid::int, n.nspname AS schema, t.typname AS name,
  obj_description(t.oid, 'pg_type') AS comment, ${securityLabelsJson('pg_type', 't.oid')} AS labels,
  pg_get_userbyid(t.typowner) AS owner, t.typacl::text AS acl`;

// The array type and whatever PostgreSQL made internally for the type (a range's constructors and multirange).
const typeParts = `ARRAY(SELECT '1247:' || t.typarray::int WHERE t.typarray <> 0
  UNION ALL SELECT d.classid::int || ':' || d.objid::int FROM pg_catalog.pg_depend d
   WHERE d.refclassid = 'pg_type'::regclass AND d.refobjid = t.oid AND d.deptype = 'i')`;

function typeObject(row: TypeRow, kind: 'type' | 'domain' | 'shell type', create: string[]): SchemaObject {
  const name = qualified(row.schema, row.name);
  const what = `${kind === 'domain' ? 'DOMAIN' : 'TYPE'} ${name}`;
  return makeObject({
    key: `${kind} ${name}`,
    kind,
    schema: row.schema,
    label: `${kind} ${name}`,
    section: 'pre-data',
    create: statements(create, commentStatement(what, row.comment), securityLabelStatements(what, row.labels)),
    addresses: [address(row.tableoid, row.oid), ...row.parts],
    owner: row.owner,
    acl: row.acl,
    drop: `DROP ${kind === 'domain' ? 'DOMAIN' : 'TYPE'} IF EXISTS ${name} CASCADE`,
  });
}

interface EnumRow extends TypeRow {
  labels_in_order: string[];
}

const readEnums: ObjectReader = async (context) => {
  const rows = await context.query<EnumRow>(`
    SELECT ${typeColumns}, ${typeParts} AS parts,
           ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS labels_in_order
    ${userTypes('e')}
     ORDER BY 3, 4`);
  return rows.map((row) =>
    typeObject(row, 'type', [`CREATE TYPE ${qualified(row.schema, row.name)} AS ENUM (${row.labels_in_order.map(quoteLiteral).join(', ')})`]),
  );
};

interface CompositeRow extends TypeRow {
  relation_class: number;
  relation: number;
  attributes: { name: string; type: string; collation: string | null; comment: string | null }[];
}

const readComposites: ObjectReader = async (context) => {
  const rows = await context.query<CompositeRow>(`
    SELECT ${typeColumns}, ${typeParts} AS parts, 'pg_class'::regclass::oid::int AS relation_class, t.typrelid::int AS relation,
           (SELECT coalesce(json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                'collation', CASE WHEN a.attcollation <> at.typcollation THEN
                  (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_catalog.pg_collation co
                     JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END,
                'comment', col_description(a.attrelid, a.attnum)) ORDER BY a.attnum), '[]')
              FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type at ON at.oid = a.atttypid
             WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) AS attributes
    ${userTypes('c')}
     ORDER BY 3, 4`);
  return rows.map((row) => {
    const name = qualified(row.schema, row.name);
    const attributes = row.attributes.map((a) => `${quoteIdent(a.name)} ${a.type}${a.collation ? ` COLLATE ${a.collation}` : ''}`);
    const object = typeObject(row, 'type', [
      `CREATE TYPE ${name} AS (${attributes.length > 0 ? `\n    ${attributes.join(',\n    ')}\n` : ''})`,
      ...row.attributes.flatMap((a) => commentStatement(`COLUMN ${name}.${quoteIdent(a.name)}`, a.comment)),
    ]);
    object.addresses.push(address(row.relation_class, row.relation));
    return object;
  });
};

interface RangeRow extends TypeRow {
  subtype: string;
  opclass: string | null;
  collation: string | null;
  canonical: string | null;
  subtype_diff: string | null;
  multirange: string | null;
}

const readRanges: ObjectReader = async (context) => {
  const rows = await context.query<RangeRow>(`
    SELECT ${typeColumns}, ${typeParts} AS parts, format_type(r.rngsubtype, NULL) AS subtype,
           CASE WHEN NOT oc.opcdefault THEN quote_ident(ocn.nspname) || '.' || quote_ident(oc.opcname) END AS opclass,
           CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation THEN
             (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_catalog.pg_collation co
                JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = r.rngcollation) END AS collation,
           nullif(r.rngcanonical, 0)::regproc::text AS canonical, nullif(r.rngsubdiff, 0)::regproc::text AS subtype_diff,
           ${context.serverVersionNum >= 140000 ? 'format_type(nullif(r.rngmultitypid, 0), NULL)' : 'NULL'} AS multirange
    ${userTypes('r').replace('FROM pg_catalog.pg_type t', `FROM pg_catalog.pg_type t JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid
      JOIN pg_catalog.pg_type st ON st.oid = r.rngsubtype JOIN pg_catalog.pg_opclass oc ON oc.oid = r.rngsubopc
      JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace`)}
     ORDER BY 3, 4`);
  return rows.map((row) => {
    const options = [
      `subtype = ${row.subtype}`,
      row.multirange ? `multirange_type_name = ${row.multirange}` : null,
      row.opclass ? `subtype_opclass = ${row.opclass}` : null,
      row.collation ? `collation = ${row.collation}` : null,
      row.canonical ? `canonical = ${row.canonical}` : null,
      row.subtype_diff ? `subtype_diff = ${row.subtype_diff}` : null,
    ].filter((o): o is string => o !== null);
    return typeObject(row, 'type', [`CREATE TYPE ${qualified(row.schema, row.name)} AS RANGE (\n    ${options.join(',\n    ')}\n)`]);
  });
};

interface DomainRow extends TypeRow {
  base: string;
  collation: string | null;
  default_value: string | null;
  not_null: boolean;
  not_null_name: string | null;
  constraints: { name: string; definition: string; valid: boolean; comment: string | null; address: string }[];
}

const readDomains: ObjectReader = async (context) => {
  const v17 = context.serverVersionNum >= 170000;
  const rows = await context.query<DomainRow>(`
    SELECT ${typeColumns}, ${typeParts} AS parts, format_type(t.typbasetype, t.typtypmod) AS base,
           CASE WHEN t.typcollation <> bt.typcollation THEN
             (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_catalog.pg_collation co
                JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = t.typcollation) END AS collation,
           t.typdefault AS default_value, t.typnotnull AS not_null,
           ${v17 ? `(SELECT k.conname FROM pg_catalog.pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'n')` : 'NULL'} AS not_null_name,
           (SELECT coalesce(json_agg(json_build_object('name', k.conname, 'definition', pg_get_constraintdef(k.oid), 'valid', k.convalidated,
                'comment', obj_description(k.oid, 'pg_constraint'), 'address', k.tableoid::int || ':' || k.oid::int) ORDER BY k.conname), '[]')
              FROM pg_catalog.pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c') AS constraints
    ${userTypes('d').replace('FROM pg_catalog.pg_type t', 'FROM pg_catalog.pg_type t JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype')}
     ORDER BY 3, 4`);
  return rows.map((row) => {
    const name = qualified(row.schema, row.name);
    const inline = row.constraints.filter((c) => c.valid);
    const later = row.constraints.filter((c) => !c.valid);
    const notNull =
      row.not_null && row.not_null_name !== null && row.not_null_name !== `${row.name}_not_null`
        ? ` CONSTRAINT ${quoteIdent(row.not_null_name)} NOT NULL`
        : row.not_null
          ? ' NOT NULL'
          : '';
    const create = [
      `CREATE DOMAIN ${name} AS ${row.base}${row.collation ? ` COLLATE ${row.collation}` : ''}${row.default_value !== null ? ` DEFAULT ${row.default_value}` : ''}${notNull}` +
        inline.map((c) => `\n    CONSTRAINT ${quoteIdent(c.name)} ${c.definition}`).join(''),
      ...later.map((c) => `ALTER DOMAIN ${name} ADD CONSTRAINT ${quoteIdent(c.name)} ${c.definition}`),
      ...row.constraints.flatMap((c) => commentStatement(`CONSTRAINT ${quoteIdent(c.name)} ON DOMAIN ${name}`, c.comment)),
    ];
    const object = typeObject(row, 'domain', create);
    object.addresses.push(...row.constraints.map((c) => c.address));
    return object;
  });
};

interface BaseTypeRow extends TypeRow {
  defined: boolean;
  functions: Record<string, string | null>;
  length: number;
  by_value: boolean;
  alignment: string;
  storage: string;
  category: string;
  preferred: boolean;
  default_value: string | null;
  element: string | null;
  delimiter: string;
  collatable: boolean;
}

const alignments: Record<string, string> = { c: 'char', s: 'int2', i: 'int4', d: 'double' };
const storages: Record<string, string> = { p: 'plain', e: 'external', m: 'main', x: 'extended' };

/**
 * Base types (C functions, so superuser only) and bare shell types. A base type's I/O
 * functions take and return the type itself: the shell type comes first, the functions
 * depend on it, and the full definition follows them (pg_dump's way).
 */
const readBaseTypes: ObjectReader = async (context) => {
  const subscript = context.serverVersionNum >= 140000 ? `, 'subscript', nullif(t.typsubscript, 0)::regprocedure::text` : '';
  const rows = await context.query<BaseTypeRow>(`
    SELECT ${typeColumns}, ${typeParts} AS parts, t.typisdefined AS defined,
           json_build_object('input', t.typinput::regprocedure::text, 'output', t.typoutput::regprocedure::text,
             'receive', nullif(t.typreceive, 0)::regprocedure::text, 'send', nullif(t.typsend, 0)::regprocedure::text,
             'typmod_in', nullif(t.typmodin, 0)::regprocedure::text, 'typmod_out', nullif(t.typmodout, 0)::regprocedure::text,
             'analyze', nullif(t.typanalyze, 0)::regprocedure::text${subscript}) AS functions,
           t.typlen::int AS length, t.typbyval AS by_value, t.typalign::text AS alignment, t.typstorage::text AS storage,
           t.typcategory::text AS category, t.typispreferred AS preferred, t.typdefault AS default_value,
           CASE WHEN t.typelem <> 0 THEN format_type(t.typelem, NULL) END AS element, t.typdelim::text AS delimiter,
           t.typcollation <> 0 AS collatable
      FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
     WHERE (t.typtype = 'b' OR (t.typtype = 'p' AND NOT t.typisdefined)) AND ${userNamespace('t.typnamespace')}
       AND ${notExtensionMember('pg_type', 't.oid')} AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.typarray = t.oid)
     ORDER BY 3, 4`);
  const out: SchemaObject[] = [];
  for (const row of rows) {
    const name = qualified(row.schema, row.name);
    const shell = makeObject({
      key: `shell type ${name}`,
      kind: 'shell type',
      schema: row.schema,
      label: `shell type ${name}`,
      section: 'pre-data',
      create: [`CREATE TYPE ${name}`],
      owner: row.owner,
    });
    if (!row.defined) {
      Object.assign(shell, { create: statements(`CREATE TYPE ${name}`, commentStatement(`TYPE ${name}`, row.comment)), addresses: [address(row.tableoid, row.oid)] });
      out.push(shell);
      continue;
    }
    const fn = row.functions;
    const name_ = (signature: string | null | undefined) => (signature ? signature.replace(/\(.*$/s, '') : null);
    const options = [
      `INPUT = ${name_(fn.input)}`,
      `OUTPUT = ${name_(fn.output)}`,
      ...(['receive', 'send', 'typmod_in', 'typmod_out', 'analyze', 'subscript'] as const).flatMap((k) => (fn[k] ? [`${k.toUpperCase()} = ${name_(fn[k])}`] : [])),
      `INTERNALLENGTH = ${row.length === -1 ? 'VARIABLE' : row.length === -2 ? 'VARIABLE' : String(row.length)}`,
      row.by_value ? 'PASSEDBYVALUE' : null,
      `ALIGNMENT = ${alignments[row.alignment] ?? 'int4'}`,
      `STORAGE = ${storages[row.storage] ?? 'plain'}`,
      row.category !== 'U' ? `CATEGORY = ${quoteLiteral(row.category)}` : null,
      row.preferred ? 'PREFERRED = true' : null,
      row.default_value !== null ? `DEFAULT = ${quoteLiteral(row.default_value)}` : null,
      row.element ? `ELEMENT = ${row.element}` : null,
      row.delimiter !== ',' ? `DELIMITER = ${quoteLiteral(row.delimiter)}` : null,
      row.collatable ? 'COLLATABLE = true' : null,
    ].filter((o): o is string => o !== null);
    const type = typeObject(row, 'type', [`CREATE TYPE ${name} (\n    ${options.join(',\n    ')}\n)`]);
    type.requires = { superuser: true };
    type.deps.add(shell.key);
    // The I/O functions' keys: the graph points their dependency on this type at the shell instead.
    const functions = new Set(
      Object.values(fn)
        .filter((s): s is string => s !== null)
        .map((s) => `function ${s}`),
    );
    for (const f of functions) type.deps.add(f);
    type.shell = { key: shell.key, functions };
    out.push(shell, type);
  }
  return out;
};

/** Every user-defined type: enums, composites, ranges (with their constructors and multirange), domains, base and shell types. */
export const readTypes: ObjectReader = async (context) => [
  ...(await readBaseTypes(context)),
  ...(await readEnums(context)),
  ...(await readComposites(context)),
  ...(await readRanges(context)),
  ...(await readDomains(context)),
];
