import { quoteLiteral } from '../../sql/quote-ident.js';
import { type ObjectReader, type SchemaObject, address, makeObject } from '../model/schema-object.js';
import { commentStatement, notExtensionMember, securityLabelStatements, securityLabelsJson, statements, userNamespace } from './read-helpers.js';

interface RoutineRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  schema: string;
  /** `schema.name(argtype,…)`, the identity used in keys. */
  signature: string;
  /** `schema.name(arguments with names)`, what COMMENT ON and GRANT need. */
  identity: string;
  prokind: 'f' | 'p' | 'w' | 'a';
  trusted: boolean;
  comment: string | null;
  labels: { provider: string; label: string }[] | null;
  owner: string;
  acl: string | null;
}

// Routines of user schemas that nothing owns: extension members and a range type's
// constructors (internal to the type: CREATE TYPE makes them) are left out.
const routineRows = (kinds: string, extra = ''): string => `
    SELECT p.tableoid::int, p.oid::int, n.nspname AS schema, p.oid::regprocedure::text AS signature,
           quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS identity,
           p.prokind::text AS prokind, coalesce(l.lanpltrusted, true) AS trusted,
           obj_description(p.oid, 'pg_proc') AS comment, ${securityLabelsJson('pg_proc', 'p.oid')} AS labels,
           pg_get_userbyid(p.proowner) AS owner, p.proacl::text AS acl${extra}
      FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
      LEFT JOIN pg_catalog.pg_language l ON l.oid = p.prolang
     WHERE p.prokind IN (${kinds}) AND ${userNamespace('p.pronamespace')} AND ${notExtensionMember('pg_proc', 'p.oid')}
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'i')`;

function routineObject(row: RoutineRow, kind: 'function' | 'procedure' | 'aggregate', create: string, identity: string): SchemaObject {
  const what = `${kind.toUpperCase()} ${identity}`;
  return makeObject({
    key: `${kind} ${row.signature}`,
    kind,
    schema: row.schema,
    label: `${kind} ${row.signature}`,
    section: 'pre-data',
    create: statements(create, commentStatement(what, row.comment), securityLabelStatements(what, row.labels)),
    addresses: [address(row.tableoid, row.oid)],
    owner: row.owner,
    acl: row.acl,
    // C and other untrusted languages: only a superuser can create the function.
    requires: row.trusted ? undefined : { superuser: true },
    drop: `DROP ${kind.toUpperCase()} IF EXISTS ${identity} CASCADE`,
  });
}

interface FunctionRow extends RoutineRow {
  definition: string;
}

/** Functions, window functions and procedures, as `pg_get_functiondef` writes them. */
export const readFunctions: ObjectReader = async (context) => {
  const rows = await context.query<FunctionRow>(`${routineRows(`'f', 'w', 'p'`, ', pg_get_functiondef(p.oid) AS definition')} ORDER BY 4`);
  return rows.map((row) => routineObject(row, row.prokind === 'p' ? 'procedure' : 'function', row.definition, row.identity));
};

interface AggregateRow extends RoutineRow {
  arguments: string;
  ordered_set: boolean;
  hypothetical: boolean;
  transition: string;
  state_type: string;
  state_space: number;
  final: string | null;
  final_extra: boolean;
  final_modify: string;
  combine: string | null;
  serial: string | null;
  deserial: string | null;
  initial: string | null;
  moving_transition: string | null;
  moving_inverse: string | null;
  moving_state_type: string | null;
  moving_state_space: number;
  moving_final: string | null;
  moving_final_extra: boolean;
  moving_final_modify: string;
  moving_initial: string | null;
  sort_operator: string | null;
  parallel: string;
}

const modify: Record<string, string> = { r: 'READ_ONLY', s: 'SHAREABLE', w: 'READ_WRITE' };
const parallel: Record<string, string> = { s: 'SAFE', r: 'RESTRICTED' };

/** User aggregates, written from pg_aggregate the way pg_dump does (there is no pg_get_aggregatedef). */
export const readAggregates: ObjectReader = async (context) => {
  const rows = await context.query<AggregateRow>(`${routineRows(
    `'a'`,
    `, pg_get_function_arguments(p.oid) AS arguments, a.aggkind <> 'n' AS ordered_set, a.aggkind = 'h' AS hypothetical,
       a.aggtransfn::regproc::text AS transition, format_type(a.aggtranstype, NULL) AS state_type, a.aggtransspace AS state_space,
       nullif(a.aggfinalfn, 0)::regproc::text AS final, a.aggfinalextra AS final_extra, a.aggfinalmodify::text AS final_modify,
       nullif(a.aggcombinefn, 0)::regproc::text AS combine, nullif(a.aggserialfn, 0)::regproc::text AS serial,
       nullif(a.aggdeserialfn, 0)::regproc::text AS deserial, a.agginitval AS initial,
       nullif(a.aggmtransfn, 0)::regproc::text AS moving_transition, nullif(a.aggminvtransfn, 0)::regproc::text AS moving_inverse,
       CASE WHEN a.aggmtranstype <> 0 THEN format_type(a.aggmtranstype, NULL) END AS moving_state_type, a.aggmtransspace AS moving_state_space,
       nullif(a.aggmfinalfn, 0)::regproc::text AS moving_final, a.aggmfinalextra AS moving_final_extra, a.aggmfinalmodify::text AS moving_final_modify,
       a.aggminitval AS moving_initial,
       CASE WHEN a.aggsortop <> 0 THEN (SELECT 'OPERATOR(' || quote_ident(opn.nspname) || '.' || o.oprname || ')' FROM pg_catalog.pg_operator o
         JOIN pg_catalog.pg_namespace opn ON opn.oid = o.oprnamespace WHERE o.oid = a.aggsortop) END AS sort_operator,
       p.proparallel::text AS parallel`,
  ).replace('LEFT JOIN pg_catalog.pg_language', 'JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid LEFT JOIN pg_catalog.pg_language')} ORDER BY 4`);
  return rows.map((row) => {
    // An aggregate of no arguments is named `name(*)`.
    const identity = row.identity.endsWith('()') ? `${row.identity.slice(0, -2)}(*)` : row.identity;
    const name = row.identity.slice(0, row.identity.indexOf('('));
    const defaultModify = row.ordered_set ? 'w' : 'r';
    const options = [
      `SFUNC = ${row.transition}`,
      `STYPE = ${row.state_type}`,
      row.state_space !== 0 ? `SSPACE = ${row.state_space}` : null,
      row.final ? `FINALFUNC = ${row.final}` : null,
      row.final_extra ? 'FINALFUNC_EXTRA' : null,
      row.final && row.final_modify !== defaultModify ? `FINALFUNC_MODIFY = ${modify[row.final_modify]}` : null,
      row.combine ? `COMBINEFUNC = ${row.combine}` : null,
      row.serial ? `SERIALFUNC = ${row.serial}` : null,
      row.deserial ? `DESERIALFUNC = ${row.deserial}` : null,
      row.initial !== null ? `INITCOND = ${quoteLiteral(row.initial)}` : null,
      row.moving_transition ? `MSFUNC = ${row.moving_transition}` : null,
      row.moving_inverse ? `MINVFUNC = ${row.moving_inverse}` : null,
      row.moving_state_type ? `MSTYPE = ${row.moving_state_type}` : null,
      row.moving_state_space !== 0 ? `MSSPACE = ${row.moving_state_space}` : null,
      row.moving_final ? `MFINALFUNC = ${row.moving_final}` : null,
      row.moving_final_extra ? 'MFINALFUNC_EXTRA' : null,
      row.moving_final && row.moving_final_modify !== defaultModify ? `MFINALFUNC_MODIFY = ${modify[row.moving_final_modify]}` : null,
      row.moving_initial !== null ? `MINITCOND = ${quoteLiteral(row.moving_initial)}` : null,
      row.sort_operator ? `SORTOP = ${row.sort_operator}` : null,
      parallel[row.parallel] ? `PARALLEL = ${parallel[row.parallel]}` : null,
      row.hypothetical ? 'HYPOTHETICAL' : null,
    ].filter((o): o is string => o !== null);
    const args = row.arguments === '' ? '*' : row.arguments;
    return routineObject(row, 'aggregate', `CREATE AGGREGATE ${name}(${args}) (\n    ${options.join(',\n    ')}\n)`, identity);
  });
};
