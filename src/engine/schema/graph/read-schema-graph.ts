import type pg from 'pg';

import type { ReadContext, SchemaObject } from '../model/schema-object.js';
import { objectReaders } from '../read/readers.js';

/** Every reproducible object of one database, by key, with dependencies resolved to keys. */
export interface SchemaGraph {
  serverVersionNum: number;
  objects: Map<string, SchemaObject>;
}

interface DependRow extends Record<string, unknown> {
  c: number;
  o: number;
  rc: number;
  ro: number;
  deptype: string;
  seq_owner: boolean;
}

// User objects only (OIDs below FirstNormalObjectId are built in and always present).
// Rows of a sequence on its owning column ('a', OWNED BY) are left out: the ownership is
// its own object after the table, else table → default → sequence → table would cycle.
const dependQuery = `
SELECT d.classid::int AS c, d.objid::int AS o, d.refclassid::int AS rc, d.refobjid::int AS ro, d.deptype::text AS deptype,
       (d.classid = 'pg_catalog.pg_class'::regclass AND d.deptype = 'a' AND d.refclassid = 'pg_catalog.pg_class'::regclass
        AND (SELECT relkind FROM pg_catalog.pg_class WHERE oid = d.objid) = 'S') AS seq_owner
  FROM pg_catalog.pg_depend d
 WHERE d.objid >= 16384 AND d.refobjid >= 16384 AND d.deptype IN ('n', 'a', 'i')`;

/**
 * Reads the whole database's reproducible objects (run on a session with `search_path = ''`,
 * inside the snapshot when data is read too) and links them with pg_depend: a row whose
 * depender is not an object itself belongs to the object it is internal to (a table's row
 * type, a constraint's index, a view's rewrite rule), and column sub-ids fold onto the table.
 */
export async function readSchemaGraph(client: pg.Client): Promise<SchemaGraph> {
  const version = await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
  const context: ReadContext = {
    serverVersionNum: Number(version.rows[0]?.v),
    query: async <T extends Record<string, unknown>>(text: string, values?: unknown[]) => (await client.query<T>(text, values)).rows,
  };
  const objects = new Map<string, SchemaObject>();
  const owner = new Map<string, string>();
  for (const reader of objectReaders) {
    for (const object of await reader(context)) {
      const existing = objects.get(object.key);
      if (existing) {
        // The same identity read twice (e.g. a constraint and its index): one object.
        existing.addresses.push(...object.addresses);
        for (const dep of object.deps) existing.deps.add(dep);
      } else {
        objects.set(object.key, object);
      }
      for (const a of object.addresses) if (!owner.has(a)) owner.set(a, object.key);
    }
  }

  const rows = await context.query<DependRow>(dependQuery);
  // Internal parts without an object of their own (row types, rewrite rules, a key's index)
  // stand for what they are part of; chains (array type → row type → table) resolve in turns.
  for (let changed = true; changed; ) {
    changed = false;
    for (const row of rows) {
      if (row.deptype !== 'i') continue;
      const part = `${row.c}:${row.o}`;
      const whole = owner.get(`${row.rc}:${row.ro}`);
      if (whole !== undefined && !owner.has(part)) {
        owner.set(part, whole);
        changed = true;
      }
    }
  }
  for (const row of rows) {
    if (row.seq_owner) continue;
    const from = owner.get(`${row.c}:${row.o}`);
    const to = owner.get(`${row.rc}:${row.ro}`);
    if (from === undefined || to === undefined || from === to) continue;
    // An internal row points from the part to its whole; the whole is the dependency only
    // when the part is a separate object (a constraint's index is folded above).
    const shell = objects.get(to)?.shell;
    objects.get(from)?.deps.add(shell?.functions.has(from) ? shell.key : to);
  }
  for (const object of objects.values()) {
    for (const dep of object.deps) if (dep === object.key || !objects.has(dep)) object.deps.delete(dep);
  }
  return { serverVersionNum: context.serverVersionNum, objects };
}
