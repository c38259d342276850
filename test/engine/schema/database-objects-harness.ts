import { execFileSync } from 'node:child_process';

import pg from 'pg';

import { readSchemaGraph } from '../../../src/engine/schema/graph/read-schema-graph.js';
import { sortObjects } from '../../../src/engine/schema/graph/sort-objects.js';
import { type ObjectKind, type ObjectReader, type ReadContext, type SchemaObject, kindPriority } from '../../../src/engine/schema/model/schema-object.js';
import { createTestDatabase } from '../../helpers/test-database.js';

/** A connected client with `search_path = ''`, as the schema layer's readers expect. */
export async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`SET search_path = ''`);
  return client;
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(url);
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function readWith(client: pg.Client, readers: readonly ObjectReader[]): Promise<SchemaObject[]> {
  const version = await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
  const context: ReadContext = {
    serverVersionNum: Number(version.rows[0]!.v),
    query: async <T extends Record<string, unknown>>(text: string, values?: unknown[]) => (await client.query<T>(text, values)).rows,
  };
  const out: SchemaObject[] = [];
  for (const reader of readers) out.push(...(await reader(context)));
  return out;
}

/** `pg_dump --schema-only --no-owner [--no-privileges]` without comments, blank lines and settings. */
export function dumpSchema(url: string, options: { privileges?: boolean } = {}): string {
  const args = ['--schema-only', '--no-owner', ...(options.privileges ? [] : ['--no-privileges']), url];
  return execFileSync('pg_dump', args, { maxBuffer: 64 * 1024 * 1024 })
    .toString()
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('--') && !l.startsWith('SET ') && !l.includes('pg_catalog.set_config') && !/^\\(un)?restrict /.test(l))
    .join('\n');
}

export async function runScript(url: string, script: string): Promise<void> {
  if (script.trim() === '') return;
  await withClient(url, async (client) => {
    await client.query('SET search_path = public');
    await client.query(script);
  });
}

/** Applies objects' statements in kind order (readers' objects, already free of mutual dependencies) or as given. */
export async function applyObjects(url: string, objects: readonly SchemaObject[], options: { sortByKind?: boolean } = {}): Promise<void> {
  const ordered = options.sortByKind ? [...objects].sort((a, b) => kindPriority.get(a.kind)! - kindPriority.get(b.kind)!) : objects;
  await withClient(url, async (client) => {
    for (const object of ordered) {
      for (const statement of object.create) {
        try {
          await client.query(statement);
        } catch (error) {
          throw new Error(`${object.key}: ${statement}\n${(error as Error).message}`);
        }
      }
    }
  });
}

export interface RoundTrip {
  source: { name: string; url: string };
  /** What the readers gave, and what readSchemaGraph gave for the same kinds. */
  objects: SchemaObject[];
  graphObjects: SchemaObject[];
  /** pg_dump of the source, of the copy made from the readers' objects, of the copy made from the graph's. */
  dumps: { source: string; fromReaders: string; fromGraph: string };
  copies: { name: string; url: string }[];
}

/**
 * The brief's round trip: `prerequisites` (objects other readers own) go to all three
 * databases by script; `setup` only to the source. The copies get the objects read, once
 * from the readers (in kind order), once from readSchemaGraph (in sortObjects' order).
 */
export async function roundTrip(input: {
  prerequisites: string;
  setup: string;
  readers: readonly ObjectReader[];
  kinds: readonly ObjectKind[];
  privileges?: boolean;
}): Promise<RoundTrip> {
  const source = await createTestDatabase({ migrated: false, prefix: 'pgf_dbobj' });
  await runScript(source.url, input.prerequisites);
  await runScript(source.url, input.setup);
  const { objects, graphObjects } = await withClient(source.url, async (client) => ({
    objects: await readWith(client, input.readers),
    graphObjects: [...(await readSchemaGraph(client)).objects.values()].filter((o) => input.kinds.includes(o.kind)),
  }));
  const fromReaders = await createTestDatabase({ migrated: false, prefix: 'pgf_dbobj' });
  await runScript(fromReaders.url, input.prerequisites);
  await applyObjects(fromReaders.url, objects, { sortByKind: true });
  const fromGraph = await createTestDatabase({ migrated: false, prefix: 'pgf_dbobj' });
  await runScript(fromGraph.url, input.prerequisites);
  const sorted = sortObjects(graphObjects);
  await applyObjects(fromGraph.url, sorted.ordered);
  const privileges = input.privileges ?? false;
  return {
    source,
    objects,
    graphObjects,
    dumps: {
      source: dumpSchema(source.url, { privileges }),
      fromReaders: dumpSchema(fromReaders.url, { privileges }),
      fromGraph: dumpSchema(fromGraph.url, { privileges }),
    },
    copies: [fromReaders, fromGraph],
  };
}

/** Subscriptions keep DROP DATABASE from working: detach their slots and drop them. */
export async function dropSubscriptions(url: string): Promise<void> {
  await withClient(url, async (client) => {
    const { rows } = await client.query<{ name: string }>(
      `SELECT subname AS name FROM pg_catalog.pg_subscription WHERE subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())`,
    );
    for (const { name } of rows) {
      const id = client.escapeIdentifier(name);
      await client.query(`ALTER SUBSCRIPTION ${id} DISABLE`);
      await client.query(`ALTER SUBSCRIPTION ${id} SET (slot_name = NONE)`);
      await client.query(`DROP SUBSCRIPTION ${id}`);
    }
  });
}
