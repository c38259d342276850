import { quoteIdent, quoteLiteral } from '../../sql/quote-ident.js';
import { type ObjectReader, type SchemaObject, address, makeObject } from '../model/schema-object.js';
import { commentStatement, notExtensionMember, securityLabelStatements, securityLabelsJson, statements } from './read-helpers.js';

interface EventTriggerRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  name: string;
  event: string;
  tags: string[] | null;
  function: string;
  enabled: string;
  comment: string | null;
  labels: { provider: string; label: string }[] | null;
  owner: string;
}

// evtenabled: 'O' (origin, the default after CREATE), 'D', 'R', 'A'.
const enabling: Record<string, string> = { D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS' };

/** Event triggers (superuser only), after everything else as pg_dump does: they would fire during the restore. */
export const readEventTriggers: ObjectReader = async (context) => {
  const rows = await context.query<EventTriggerRow>(`
    SELECT e.tableoid::int, e.oid::int, e.evtname AS name, e.evtevent AS event, e.evttags AS tags,
           e.evtfoid::regproc::text AS function, e.evtenabled::text AS enabled,
           obj_description(e.oid, 'pg_event_trigger') AS comment, ${securityLabelsJson('pg_event_trigger', 'e.oid')} AS labels,
           pg_get_userbyid(e.evtowner) AS owner
      FROM pg_catalog.pg_event_trigger e
     WHERE e.oid >= 16384 AND ${notExtensionMember('pg_event_trigger', 'e.oid')}
     ORDER BY e.evtname`);
  return rows.map((row): SchemaObject => {
    const name = quoteIdent(row.name);
    const what = `EVENT TRIGGER ${name}`;
    const when = row.tags && row.tags.length > 0 ? `\n WHEN TAG IN (${row.tags.map(quoteLiteral).join(', ')})` : '';
    const state = enabling[row.enabled];
    return makeObject({
      key: `event trigger ${name}`,
      kind: 'event trigger',
      schema: null,
      label: `event trigger ${name}`,
      section: 'post-data',
      create: statements(
        `CREATE ${what} ON ${quoteIdent(row.event)}${when}\n EXECUTE FUNCTION ${row.function}()`,
        state !== undefined ? `ALTER ${what} ${state}` : null,
        commentStatement(what, row.comment),
        securityLabelStatements(what, row.labels),
      ),
      addresses: [address(row.tableoid, row.oid)],
      owner: row.owner,
      requires: { superuser: true },
      drop: `DROP EVENT TRIGGER IF EXISTS ${name}`,
    });
  });
};
