import type pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type QualifiedName, displayName, qualified } from '../sql/quote-ident.js';
import type { TablePlan } from '../sync/sync-plan-types.js';
import { tableId } from '../types.js';
import type { RelationMessage } from './apply-relation.js';

/**
 * What the publication lists. A partitioned table whose partitions are all followed is listed
 * itself (not its partitions): PostgreSQL then publishes the partitions it gains later too,
 * each under its own name (publish_via_partition_root stays off, so a TRUNCATE of one
 * partition is published as well). Listing the partitions instead would silently leave out the
 * rows of a partition created after the start. Other tables are listed as they are.
 */
export async function publicationTables(source: pg.Client, leaves: readonly TablePlan[]): Promise<QualifiedName[]> {
  const followed = new Set(leaves.map((leaf) => leaf.source.oid));
  const partitions = leaves.filter((leaf) => leaf.source.partitionOf !== null).map((leaf) => leaf.source.oid);
  // Every partitioned ancestor of a followed partition, with all of its current leaves.
  const { rows } = await source.query<{ oid: number; schema: string; name: string; depth: number; leaves: number[] }>(
    `SELECT DISTINCT a.relid::oid::int AS oid, n.nspname AS schema, c.relname AS name,
            (SELECT count(*) FROM pg_partition_ancestors(a.relid))::int AS depth,
            (SELECT array_agg(t.relid::oid::int) FROM pg_partition_tree(a.relid) t WHERE t.isleaf) AS leaves
       FROM unnest($1::oid[]) AS p(oid)
       CROSS JOIN LATERAL pg_partition_ancestors(p.oid) AS a(relid)
       JOIN pg_class c ON c.oid = a.relid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'p'
      ORDER BY depth`,
    [partitions],
  );
  const covered = new Set<number>();
  const listed: QualifiedName[] = [];
  // Outermost first: a listed parent covers its sub-partitioned children.
  for (const parent of rows) {
    const leafOids = parent.leaves ?? [];
    if (leafOids.length === 0 || !leafOids.every((oid) => followed.has(oid)) || leafOids.every((oid) => covered.has(oid))) continue;
    listed.push({ schema: parent.schema, name: parent.name });
    for (const oid of leafOids) covered.add(oid);
  }
  for (const leaf of leaves) if (!covered.has(leaf.source.oid)) listed.push(leaf.name);
  return listed;
}

interface PartitionFacts {
  parent: QualifiedName;
  bound: string;
  /** The partition's partitioned ancestors (`schema.name` as tableId gives it). */
  ancestors: string[];
}

async function partitionFacts(source: pg.Client, oid: number): Promise<PartitionFacts | null> {
  const { rows } = await source.query<{ schema: string; name: string; bound: string; ancestors: { schema: string; name: string }[] }>(
    `SELECT pn.nspname AS schema, pc.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound,
            (SELECT json_agg(json_build_object('schema', an.nspname, 'name', ac.relname))
               FROM pg_partition_ancestors(c.oid) a JOIN pg_class ac ON ac.oid = a.relid JOIN pg_namespace an ON an.oid = ac.relnamespace
              WHERE a.relid <> c.oid) AS ancestors
       FROM pg_class c
       JOIN pg_inherits i ON i.inhrelid = c.oid
       JOIN pg_class pc ON pc.oid = i.inhparent
       JOIN pg_namespace pn ON pn.oid = pc.relnamespace
      WHERE c.oid = $1::oid AND c.relispartition`,
    [oid],
  );
  const row = rows[0];
  return row ? { parent: { schema: row.schema, name: row.name }, bound: row.bound, ancestors: row.ancestors.map((a) => tableId(a)) } : null;
}

/**
 * Partitions that appear while following. A Relation message of a table the plan does not
 * know, which is a partition of a followed partitioned table, gets a plan of its own (its
 * sibling's: partitions share their parent's columns, and rules and filters apply to the
 * parent's partitions alike). A followed partition the destination lacks is created there as
 * `PARTITION OF` its parent with the source's bound, in the open destination transaction,
 * before its first change; the parent's indexes and keys reach it as they do for any new
 * partition. Returns a function to call with each Relation message before the applier sees it.
 */
export function partitionArrivals(input: { source: pg.Client; destination: pg.Client; plans: TablePlan[] }): (message: RelationMessage) => Promise<void> {
  const { source, destination, plans } = input;
  const checked = new Set<number>();
  return async (message) => {
    if (checked.has(message.relationOid)) return;
    let plan = plans.find((p) => p.source.oid === message.relationOid);
    let facts: PartitionFacts | null | undefined;
    if (!plan) {
      facts = await partitionFacts(source, message.relationOid);
      if (!facts) return; // Not a partition: the applier names the unknown table.
      const ancestors = facts.ancestors;
      // A followed partition under the same partitioned ancestor.
      const sibling = plans.find((p) => p.source.partitionOf !== null && ancestors.includes(tableId(p.source.partitionOf.parent)));
      if (!sibling) return;
      const name = { schema: message.schema, name: message.name };
      plan = {
        ...sibling,
        id: tableId(name),
        name,
        createTable: false,
        ddl: [],
        postData: [],
        notes: [],
        source: { ...sibling.source, oid: message.relationOid, name, partitionOf: { parent: facts.parent, bound: facts.bound } },
      };
      plans.push(plan);
    }
    checked.add(message.relationOid);
    if (plan.source.partitionOf === null) return;
    const exists = await destination.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [qualified(plan.name)]);
    if (exists.rows[0]!.found) return;
    facts ??= await partitionFacts(source, message.relationOid);
    if (!facts) return;
    const parentThere = await destination.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [qualified(facts.parent)]);
    if (!parentThere.rows[0]!.found) {
      throw new PgferryError(
        'PGF_FOLLOW_SCHEMA_CHANGED',
        `table ${displayName(plan.name)} became a partition of ${displayName(facts.parent)} at the source, and the destination has no ${displayName(facts.parent)} to create it in; create ${displayName(facts.parent)} at the destination and start the follow again`,
        { details: { table: displayName(plan.name), change: `new partition of ${displayName(facts.parent)}` } },
      );
    }
    await destination.query(`CREATE TABLE ${qualified(plan.name)} PARTITION OF ${qualified(facts.parent)} ${facts.bound}`);
  };
}
