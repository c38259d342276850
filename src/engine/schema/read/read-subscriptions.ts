import { quoteIdent, quoteIdentList, quoteLiteral } from '../../sql/quote-ident.js';
import { type ObjectReader, type SchemaObject, address, makeObject } from '../model/schema-object.js';
import { commentStatement, securityLabelStatements, securityLabelsJson, statements } from './read-helpers.js';

interface SubscriptionRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  name: string;
  connection: string;
  slot_name: string | null;
  publications: string[];
  synchronous_commit: string;
  binary: boolean;
  /** 'f' | 't' | 'p' (booleans before 16 read as 'f'/'t'). */
  streaming: string;
  two_phase: boolean;
  disable_on_error: boolean;
  password_required: boolean;
  run_as_owner: boolean;
  origin: string;
  failover: boolean;
  comment: string | null;
  labels: { provider: string; label: string }[] | null;
  owner: string;
}

const subscriptionsQuery = (v: number) => `
SELECT s.tableoid::int, s.oid::int, s.subname AS name, s.subconninfo AS connection, s.subslotname AS slot_name,
       s.subpublications AS publications, s.subsynccommit AS synchronous_commit,
       ${v >= 140000 ? 's.subbinary' : 'false'} AS binary,
       ${v >= 160000 ? 's.substream::text' : v >= 140000 ? `CASE WHEN s.substream THEN 't' ELSE 'f' END` : `'f'`} AS streaming,
       ${v >= 150000 ? `s.subtwophasestate <> 'd'` : 'false'} AS two_phase,
       ${v >= 150000 ? 's.subdisableonerr' : 'false'} AS disable_on_error,
       ${v >= 160000 ? 's.subpasswordrequired' : 'true'} AS password_required,
       ${v >= 160000 ? 's.subrunasowner' : 'false'} AS run_as_owner,
       ${v >= 160000 ? 's.suborigin' : `'any'`} AS origin,
       ${v >= 170000 ? 's.subfailover' : 'false'} AS failover,
       obj_description(s.oid, 'pg_subscription') AS comment, ${securityLabelsJson('pg_subscription', 's.oid')} AS labels,
       pg_get_userbyid(s.subowner) AS owner
  FROM pg_catalog.pg_subscription s
 WHERE s.subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
 ORDER BY s.subname`;

const secretKeywords = /(^|\s)((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s']+)/gi;

/**
 * A libpq connection string with its passwords shown as ***, in keyword=value form
 * (`password=…`, `sslpassword=…`) and URI form (`postgresql://user:…@host`, `?password=…`).
 */
export function maskConnectionString(connection: string): string {
  const trimmed = connection.trim();
  if (/^postgres(?:ql)?:\/\//i.test(trimmed)) {
    return trimmed.replace(/^(postgres(?:ql)?:\/\/[^:@/?]*:)[^@/?]*@/i, '$1***@').replace(/([?&](?:ssl)?password=)[^&]*/gi, '$1***');
  }
  return connection.replace(secretKeywords, '$1$2***');
}

/**
 * Subscriptions of this database, as pg_dump writes them: created without connecting (no
 * slot is made, the subscription stays disabled; enabling it is the operator's choice).
 * Reading the connection string takes a superuser; without one there is nothing to read.
 * The connection string may hold a password: only `create` has it, `definition` masks it.
 */
export const readSubscriptions: ObjectReader = async (context) => {
  const [allowed] = await context.query<{ ok: boolean }>(`SELECT has_column_privilege('pg_catalog.pg_subscription', 'subconninfo', 'SELECT') AS ok`);
  if (!allowed?.ok) return [];
  const v = context.serverVersionNum;
  return (await context.query<SubscriptionRow>(subscriptionsQuery(v))).map((row): SchemaObject => {
    const name = quoteIdent(row.name);
    const what = `SUBSCRIPTION ${name}`;
    const options = ['connect = false', `slot_name = ${row.slot_name === null ? 'NONE' : quoteLiteral(row.slot_name)}`, 'enabled = false'];
    if (row.binary) options.push('binary = true');
    if (row.streaming === 't') options.push('streaming = on');
    else if (row.streaming === 'p') options.push('streaming = parallel');
    // 18 streams in parallel by default: off must be said there.
    else if (v >= 180000) options.push('streaming = off');
    if (row.two_phase) options.push('two_phase = on');
    if (row.disable_on_error) options.push('disable_on_error = true');
    if (!row.password_required) options.push('password_required = false');
    if (row.run_as_owner) options.push('run_as_owner = true');
    if (row.failover) options.push('failover = true');
    if (row.synchronous_commit !== 'off') options.push(`synchronous_commit = ${quoteLiteral(row.synchronous_commit)}`);
    if (row.origin.toLowerCase() !== 'any') options.push(`origin = ${quoteLiteral(row.origin)}`);
    const tail = ` PUBLICATION ${quoteIdentList(row.publications)} WITH (${options.join(', ')})`;
    const rest = [commentStatement(what, row.comment), securityLabelStatements(what, row.labels)];
    return makeObject({
      key: `subscription ${name}`,
      kind: 'subscription',
      schema: null,
      label: `subscription ${name}`,
      section: 'post-data',
      create: statements(`CREATE ${what} CONNECTION ${quoteLiteral(row.connection)}${tail}`, ...rest),
      definition: statements(`CREATE ${what} CONNECTION ${quoteLiteral(maskConnectionString(row.connection))}${tail}`, ...rest).join(';\n'),
      addresses: [address(row.tableoid, row.oid)],
      owner: row.owner,
      requires: { superuser: true },
      // No drop for --clean: DROP SUBSCRIPTION would drop the remote slot, which the source's subscription may be using.
    });
  });
};
