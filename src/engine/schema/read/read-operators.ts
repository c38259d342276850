import { qualified, quoteIdent, quoteLiteral } from '../../sql/quote-ident.js';
import { type ObjectReader, type SchemaObject, address, makeObject } from '../model/schema-object.js';
import { commentStatement, notExtensionMember, statements, userNamespace } from './read-helpers.js';

// A function by its qualified name only (CREATE OPERATOR and CREATE CONVERSION want no argument list).
const functionName = (oidColumn: string) =>
  `(SELECT quote_ident(fn.nspname) || '.' || quote_ident(f.proname) FROM pg_catalog.pg_proc f JOIN pg_catalog.pg_namespace fn ON fn.oid = f.pronamespace WHERE f.oid = ${oidColumn})`;
// `OPERATOR(schema.op)`, the spelling that works wherever an operator is named.
const operatorReference = (oidColumn: string) =>
  `(SELECT 'OPERATOR(' || quote_ident(rn.nspname) || '.' || ro.oprname || ')' FROM pg_catalog.pg_operator ro JOIN pg_catalog.pg_namespace rn ON rn.oid = ro.oprnamespace WHERE ro.oid = ${oidColumn})`;

interface OperatorRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  schema: string;
  name: string;
  signature: string;
  left: string | null;
  right: string;
  function: string;
  commutator: string | null;
  negator: string | null;
  restrict: string | null;
  join: string | null;
  hashes: boolean;
  merges: boolean;
  comment: string | null;
  owner: string;
}

export const readOperators: ObjectReader = async (context) => {
  const rows = await context.query<OperatorRow>(`
    SELECT o.tableoid::int, o.oid::int, n.nspname AS schema, o.oprname AS name, o.oid::regoperator::text AS signature,
           CASE WHEN o.oprleft <> 0 THEN format_type(o.oprleft, NULL) END AS left, format_type(o.oprright, NULL) AS right,
           ${functionName('o.oprcode')} AS function, ${operatorReference('nullif(o.oprcom, 0)')} AS commutator,
           ${operatorReference('nullif(o.oprnegate, 0)')} AS negator, ${functionName('nullif(o.oprrest, 0)')} AS restrict,
           ${functionName('nullif(o.oprjoin, 0)')} AS join, o.oprcanhash AS hashes, o.oprcanmerge AS merges,
           obj_description(o.oid, 'pg_operator') AS comment, pg_get_userbyid(o.oprowner) AS owner
      FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
     WHERE o.oprcode <> 0 AND ${userNamespace('o.oprnamespace')} AND ${notExtensionMember('pg_operator', 'o.oid')}
     ORDER BY 5`);
  return rows.map((row): SchemaObject => {
    // Operator names are never quoted: `schema.<#`.
    const name = `${quoteIdent(row.schema)}.${row.name}`;
    const options = [
      `FUNCTION = ${row.function}`,
      row.left ? `LEFTARG = ${row.left}` : null,
      `RIGHTARG = ${row.right}`,
      row.commutator ? `COMMUTATOR = ${row.commutator}` : null,
      row.negator ? `NEGATOR = ${row.negator}` : null,
      row.restrict ? `RESTRICT = ${row.restrict}` : null,
      row.join ? `JOIN = ${row.join}` : null,
      row.hashes ? 'HASHES' : null,
      row.merges ? 'MERGES' : null,
    ].filter((o): o is string => o !== null);
    return makeObject({
      key: `operator ${row.signature}`,
      kind: 'operator',
      schema: row.schema,
      label: `operator ${row.signature}`,
      section: 'pre-data',
      create: statements(`CREATE OPERATOR ${name} (${options.join(', ')})`, commentStatement(`OPERATOR ${name} (${row.left ?? 'NONE'}, ${row.right})`, row.comment)),
      addresses: [address(row.tableoid, row.oid)],
      owner: row.owner,
      drop: `DROP OPERATOR IF EXISTS ${name} (${row.left ?? 'NONE'}, ${row.right}) CASCADE`,
    });
  });
};

interface MemberRow {
  address: string;
  text: string;
}

// Operators and support functions that belong to an opclass, or loosely to a family (pg_depend says which), as the clauses spell them.
const membersOf = (referenceClass: string, oidColumn: string) => `
  (SELECT coalesce(json_agg(json_build_object('address', m.address, 'text', m.text) ORDER BY m.kind, m.number, m.text), '[]') FROM (
     SELECT 1 AS kind, ao.amopstrategy AS number, ao.tableoid::int || ':' || ao.oid::int AS address,
            'OPERATOR ' || ao.amopstrategy || ' ' || ao.amopopr::regoperator::text
            || CASE WHEN ao.amoppurpose = 'o' THEN ' FOR ORDER BY ' || (SELECT quote_ident(sn.nspname) || '.' || quote_ident(sf.opfname)
                 FROM pg_catalog.pg_opfamily sf JOIN pg_catalog.pg_namespace sn ON sn.oid = sf.opfnamespace WHERE sf.oid = ao.amopsortfamily) ELSE '' END AS text
       FROM pg_catalog.pg_amop ao JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_amop'::regclass AND d.objid = ao.oid
      WHERE d.refclassid = '${referenceClass}'::regclass AND d.refobjid = ${oidColumn}
     UNION ALL
     SELECT 2, ap.amprocnum, ap.tableoid::int || ':' || ap.oid::int,
            'FUNCTION ' || ap.amprocnum || ' (' || format_type(ap.amproclefttype, NULL) || ', ' || format_type(ap.amprocrighttype, NULL) || ') '
            || ap.amproc::regprocedure::text
       FROM pg_catalog.pg_amproc ap JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_amproc'::regclass AND d.objid = ap.oid
      WHERE d.refclassid = '${referenceClass}'::regclass AND d.refobjid = ${oidColumn}) m)`;

interface FamilyRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  schema: string;
  name: string;
  method: string;
  members: MemberRow[];
  comment: string | null;
  owner: string;
}

/**
 * Operator families, always made explicitly (a class then names its FAMILY, so CREATE
 * OPERATOR CLASS never makes one of its own), with their loose members: operators and
 * functions added to the family itself rather than through a class.
 */
export const readOperatorFamilies: ObjectReader = async (context) => {
  const rows = await context.query<FamilyRow>(`
    SELECT f.tableoid::int, f.oid::int, n.nspname AS schema, f.opfname AS name, am.amname AS method,
           ${membersOf('pg_catalog.pg_opfamily', 'f.oid')} AS members,
           obj_description(f.oid, 'pg_opfamily') AS comment, pg_get_userbyid(f.opfowner) AS owner
      FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace JOIN pg_catalog.pg_am am ON am.oid = f.opfmethod
     WHERE ${userNamespace('f.opfnamespace')} AND ${notExtensionMember('pg_opfamily', 'f.oid')}
     ORDER BY n.nspname, f.opfname, am.amname`);
  return rows.map((row): SchemaObject => {
    const name = `${qualified(row.schema, row.name)} USING ${quoteIdent(row.method)}`;
    return makeObject({
      key: `operator family ${qualified(row.schema, row.name)} using ${row.method}`,
      kind: 'operator family',
      schema: row.schema,
      label: `operator family ${qualified(row.schema, row.name)} using ${row.method}`,
      section: 'pre-data',
      create: statements(
        `CREATE OPERATOR FAMILY ${name}`,
        row.members.length > 0 ? `ALTER OPERATOR FAMILY ${name} ADD\n    ${row.members.map((m) => m.text).join(',\n    ')}` : null,
        commentStatement(`OPERATOR FAMILY ${name}`, row.comment),
      ),
      addresses: [address(row.tableoid, row.oid), ...row.members.map((m) => m.address)],
      owner: row.owner,
      drop: `DROP OPERATOR FAMILY IF EXISTS ${name} CASCADE`,
    });
  });
};

interface ClassRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  schema: string;
  name: string;
  method: string;
  type: string;
  is_default: boolean;
  family_schema: string;
  family: string;
  storage: string | null;
  members: MemberRow[];
  comment: string | null;
  owner: string;
}

export const readOperatorClasses: ObjectReader = async (context) => {
  const rows = await context.query<ClassRow>(`
    SELECT c.tableoid::int, c.oid::int, n.nspname AS schema, c.opcname AS name, am.amname AS method, format_type(c.opcintype, NULL) AS type,
           c.opcdefault AS is_default, fn.nspname AS family_schema, f.opfname AS family,
           CASE WHEN c.opckeytype <> 0 THEN format_type(c.opckeytype, NULL) END AS storage,
           ${membersOf('pg_catalog.pg_opclass', 'c.oid')} AS members,
           obj_description(c.oid, 'pg_opclass') AS comment, pg_get_userbyid(c.opcowner) AS owner
      FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace JOIN pg_catalog.pg_am am ON am.oid = c.opcmethod
      JOIN pg_catalog.pg_opfamily f ON f.oid = c.opcfamily JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace
     WHERE ${userNamespace('c.opcnamespace')} AND ${notExtensionMember('pg_opclass', 'c.oid')}
     ORDER BY n.nspname, c.opcname, am.amname`);
  return rows.map((row): SchemaObject => {
    const name = qualified(row.schema, row.name);
    const items = [...row.members.map((m) => m.text), ...(row.storage ? [`STORAGE ${row.storage}`] : [])];
    const family = `operator family ${qualified(row.family_schema, row.family)} using ${row.method}`;
    return makeObject({
      key: `operator class ${name} using ${row.method}`,
      kind: 'operator class',
      schema: row.schema,
      label: `operator class ${name} using ${row.method}`,
      section: 'pre-data',
      create: statements(
        `CREATE OPERATOR CLASS ${name}${row.is_default ? ' DEFAULT' : ''} FOR TYPE ${row.type} USING ${quoteIdent(row.method)} FAMILY ${qualified(row.family_schema, row.family)} AS\n    ${items.join(',\n    ')}`,
        commentStatement(`OPERATOR CLASS ${name} USING ${quoteIdent(row.method)}`, row.comment),
      ),
      addresses: [address(row.tableoid, row.oid), ...row.members.map((m) => m.address)],
      deps: new Set([family]),
      owner: row.owner,
      drop: `DROP OPERATOR CLASS IF EXISTS ${name} USING ${quoteIdent(row.method)} CASCADE`,
    });
  });
};

interface CastRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  source: string;
  target: string;
  function: string | null;
  method: string;
  context: string;
  comment: string | null;
}

const castContexts: Record<string, string> = { a: ' AS ASSIGNMENT', i: ' AS IMPLICIT', e: '' };

/** User casts (between any types, built-in ones included, when the cast itself was created by a user). */
export const readCasts: ObjectReader = async (context) => {
  const rows = await context.query<CastRow>(`
    SELECT c.tableoid::int, c.oid::int, format_type(c.castsource, NULL) AS source, format_type(c.casttarget, NULL) AS target,
           CASE WHEN c.castfunc <> 0 THEN c.castfunc::regprocedure::text END AS function, c.castmethod::text AS method,
           c.castcontext::text AS context, obj_description(c.oid, 'pg_cast') AS comment
      FROM pg_catalog.pg_cast c
     WHERE c.oid >= 16384 AND ${notExtensionMember('pg_cast', 'c.oid')}
       -- A range type's cast to its multirange is internal to the type: CREATE TYPE makes it.
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_cast'::regclass AND d.objid = c.oid AND d.deptype = 'i')
     ORDER BY 3, 4`);
  return rows.map((row): SchemaObject => {
    const what = `CAST (${row.source} AS ${row.target})`;
    const how = row.method === 'f' ? `WITH FUNCTION ${row.function}` : row.method === 'i' ? 'WITH INOUT' : 'WITHOUT FUNCTION';
    return makeObject({
      key: `cast (${row.source} AS ${row.target})`,
      kind: 'cast',
      schema: null,
      label: `cast (${row.source} AS ${row.target})`,
      section: 'pre-data',
      create: statements(`CREATE ${what} ${how}${castContexts[row.context] ?? ''}`, commentStatement(what, row.comment)),
      addresses: [address(row.tableoid, row.oid)],
      drop: `DROP ${what.replace('CAST (', 'CAST IF EXISTS (')} CASCADE`,
    });
  });
};

interface ConversionRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  schema: string;
  name: string;
  is_default: boolean;
  source: string;
  target: string;
  function: string;
  comment: string | null;
  owner: string;
}

export const readConversions: ObjectReader = async (context) => {
  const rows = await context.query<ConversionRow>(`
    SELECT c.tableoid::int, c.oid::int, n.nspname AS schema, c.conname AS name, c.condefault AS is_default,
           pg_catalog.pg_encoding_to_char(c.conforencoding) AS source, pg_catalog.pg_encoding_to_char(c.contoencoding) AS target,
           ${functionName('c.conproc')} AS function, obj_description(c.oid, 'pg_conversion') AS comment, pg_get_userbyid(c.conowner) AS owner
      FROM pg_catalog.pg_conversion c JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace
     WHERE ${userNamespace('c.connamespace')} AND ${notExtensionMember('pg_conversion', 'c.oid')}
     ORDER BY n.nspname, c.conname`);
  return rows.map((row): SchemaObject => {
    const name = qualified(row.schema, row.name);
    return makeObject({
      key: `conversion ${name}`,
      kind: 'conversion',
      schema: row.schema,
      label: `conversion ${name}`,
      section: 'pre-data',
      create: statements(
        `CREATE ${row.is_default ? 'DEFAULT ' : ''}CONVERSION ${name} FOR ${quoteLiteral(row.source)} TO ${quoteLiteral(row.target)} FROM ${row.function}`,
        commentStatement(`CONVERSION ${name}`, row.comment),
      ),
      addresses: [address(row.tableoid, row.oid)],
      owner: row.owner,
      drop: `DROP CONVERSION IF EXISTS ${name} CASCADE`,
    });
  });
};
