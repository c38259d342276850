import { qualified, quoteIdent } from '../../sql/quote-ident.js';
import { type ObjectKind, type ObjectReader, type SchemaObject, address, makeObject } from '../model/schema-object.js';
import { commentStatement, notExtensionMember, statements, userNamespace } from './read-helpers.js';

interface TextSearchRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  schema: string;
  name: string;
  comment: string | null;
  owner: string | null;
}

// A function by its qualified name only, as the text search DDL wants it.
const functionName = (oidColumn: string) =>
  `(SELECT quote_ident(fn.nspname) || '.' || quote_ident(f.proname) FROM pg_catalog.pg_proc f JOIN pg_catalog.pg_namespace fn ON fn.oid = f.pronamespace WHERE f.oid = ${oidColumn})`;

const rowsOf = <T extends TextSearchRow>(
  context: Parameters<ObjectReader>[0],
  catalog: string,
  prefix: string,
  owner: string | null,
  extra: string,
): Promise<T[]> =>
  context.query<T>(`
    SELECT x.tableoid::int, x.oid::int, n.nspname AS schema, x.${prefix}name AS name, obj_description(x.oid, '${catalog}') AS comment,
           ${owner ? `pg_get_userbyid(x.${owner})` : 'NULL'} AS owner${extra}
      FROM pg_catalog.${catalog} x JOIN pg_catalog.pg_namespace n ON n.oid = x.${prefix}namespace
     WHERE ${userNamespace(`x.${prefix}namespace`)} AND ${notExtensionMember(catalog, 'x.oid')}
     ORDER BY n.nspname, x.${prefix}name`);

function textSearchObject(row: TextSearchRow, kind: ObjectKind, create: string[], superuser = false): SchemaObject {
  const name = qualified(row.schema, row.name);
  const what = `${kind.toUpperCase()} ${name}`;
  return makeObject({
    key: `${kind} ${name}`,
    kind,
    schema: row.schema,
    label: `${kind} ${name}`,
    section: 'pre-data',
    create: statements(create, commentStatement(what, row.comment)),
    addresses: [address(row.tableoid, row.oid)],
    owner: row.owner,
    requires: superuser ? { superuser: true } : undefined,
    drop: `DROP ${kind.toUpperCase()} IF EXISTS ${name} CASCADE`,
  });
}

interface ParserRow extends TextSearchRow {
  start: string;
  token: string;
  end: string;
  headline: string | null;
  lextypes: string;
}

/** Text search parsers (C functions: superuser only). */
export const readTextSearchParsers: ObjectReader = async (context) => {
  const rows = await rowsOf<ParserRow>(
    context,
    'pg_ts_parser',
    'prs',
    null,
    `, ${functionName('x.prsstart')} AS start, ${functionName('x.prstoken')} AS token, ${functionName('x.prsend')} AS "end",
       ${functionName('x.prsheadline')} AS headline, ${functionName('x.prslextype')} AS lextypes`,
  );
  return rows.map((row) =>
    textSearchObject(
      row,
      'text search parser',
      [
        `CREATE TEXT SEARCH PARSER ${qualified(row.schema, row.name)} (START = ${row.start}, GETTOKEN = ${row.token}, END = ${row.end}, LEXTYPES = ${row.lextypes}${row.headline ? `, HEADLINE = ${row.headline}` : ''})`,
      ],
      true,
    ),
  );
};

interface TemplateRow extends TextSearchRow {
  init: string | null;
  lexize: string;
}

/** Text search templates (C functions: superuser only). */
export const readTextSearchTemplates: ObjectReader = async (context) => {
  const rows = await rowsOf<TemplateRow>(context, 'pg_ts_template', 'tmpl', null, `, ${functionName('x.tmplinit')} AS init, ${functionName('x.tmpllexize')} AS lexize`);
  return rows.map((row) =>
    textSearchObject(
      row,
      'text search template',
      [`CREATE TEXT SEARCH TEMPLATE ${qualified(row.schema, row.name)} (${row.init ? `INIT = ${row.init}, ` : ''}LEXIZE = ${row.lexize})`],
      true,
    ),
  );
};

interface DictionaryRow extends TextSearchRow {
  template: string;
  options: string | null;
}

export const readTextSearchDictionaries: ObjectReader = async (context) => {
  const rows = await rowsOf<DictionaryRow>(
    context,
    'pg_ts_dict',
    'dict',
    'dictowner',
    `, (SELECT quote_ident(tn.nspname) || '.' || quote_ident(t.tmplname) FROM pg_catalog.pg_ts_template t JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace
         WHERE t.oid = x.dicttemplate) AS template, x.dictinitoption AS options`,
  );
  return rows.map((row) =>
    textSearchObject(row, 'text search dictionary', [
      // dictinitoption is kept as the server wrote it: `name = 'value', …`.
      `CREATE TEXT SEARCH DICTIONARY ${qualified(row.schema, row.name)} (TEMPLATE = ${row.template}${row.options ? `, ${row.options}` : ''})`,
    ]),
  );
};

interface ConfigurationRow extends TextSearchRow {
  parser: string;
  mappings: { token: string; dictionaries: string[] }[];
}

/** Configurations with their token-type mappings, each token type in its own ALTER … ADD MAPPING. */
export const readTextSearchConfigurations: ObjectReader = async (context) => {
  const rows = await rowsOf<ConfigurationRow>(
    context,
    'pg_ts_config',
    'cfg',
    'cfgowner',
    `, (SELECT quote_ident(pn.nspname) || '.' || quote_ident(p.prsname) FROM pg_catalog.pg_ts_parser p JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace
         WHERE p.oid = x.cfgparser) AS parser,
       (SELECT coalesce(json_agg(json_build_object('token', m.token, 'dictionaries', m.dictionaries) ORDER BY m.tokid), '[]')
          FROM (SELECT cm.maptokentype AS tokid,
                       (SELECT tt.alias FROM pg_catalog.ts_token_type(x.cfgparser) tt WHERE tt.tokid = cm.maptokentype) AS token,
                       array_agg((SELECT quote_ident(dn.nspname) || '.' || quote_ident(d.dictname) FROM pg_catalog.pg_ts_dict d
                                    JOIN pg_catalog.pg_namespace dn ON dn.oid = d.dictnamespace WHERE d.oid = cm.mapdict) ORDER BY cm.mapseqno) AS dictionaries
                  FROM pg_catalog.pg_ts_config_map cm WHERE cm.mapcfg = x.oid GROUP BY cm.maptokentype) m) AS mappings`,
  );
  return rows.map((row) => {
    const name = qualified(row.schema, row.name);
    return textSearchObject(row, 'text search configuration', [
      `CREATE TEXT SEARCH CONFIGURATION ${name} (PARSER = ${row.parser})`,
      ...row.mappings.map((m) => `ALTER TEXT SEARCH CONFIGURATION ${name} ADD MAPPING FOR ${quoteIdent(m.token)} WITH ${m.dictionaries.join(', ')}`),
    ]);
  });
};
