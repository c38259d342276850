import pg from 'pg';
import { describe, it } from 'vitest';

import { connectionConfigFromUrl } from '../../../src/engine/connection-config.js';
import { readSchemaGraph } from '../../../src/engine/schema/graph/read-schema-graph.js';
import { sortObjects } from '../../../src/engine/schema/graph/sort-objects.js';
import { openSession } from '../../../src/engine/sql/session-settings.js';
import { createTestDatabase } from '../../helpers/test-database.js';
import { type FidelityCase, fidelityCases, needsQuery } from './fidelity-cases.js';
import { expectSameSchema } from './fidelity-harness.js';

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Why the server cannot run this case, or undefined. */
async function unsupported(url: string, fidelityCase: FidelityCase): Promise<string | undefined> {
  return withClient(url, async (client) => {
    const version = Number((await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v);
    if (fidelityCase.minServerVersion !== undefined && version < fidelityCase.minServerVersion) return `needs server ${fidelityCase.minServerVersion}`;
    for (const need of fidelityCase.needs?.split(',') ?? []) {
      if (!(await client.query<{ ok: boolean }>(needsQuery(need.trim()))).rows[0]?.ok) return `needs ${need}`;
    }
    return undefined;
  });
}

/**
 * The schema layer's own oracle: every case's source read by `readSchemaGraph`, sorted by
 * `sortObjects`, its statements run in that order on an empty database, and the copy must
 * equal the source by `diff --schema` and by pg_dump.
 */
describe('schema graph round trip', () => {
  for (const fidelityCase of fidelityCases) {
    it(fidelityCase.name, async (context) => {
      const source = await createTestDatabase({ migrated: false, prefix: 'pgf_fid_src' });
      const why = await unsupported(source.url, fidelityCase);
      if (why !== undefined) context.skip(why);
      await withClient(source.url, async (client) => {
        await client.query('SET search_path = public');
        await client.query(fidelityCase.sql);
      });
      const reader = await openSession(connectionConfigFromUrl(source.url), 'source');
      const sorted = await (async () => {
        try {
          return sortObjects((await readSchemaGraph(reader)).objects.values());
        } finally {
          await reader.end();
        }
      })();
      const copy = await createTestDatabase({ migrated: false, prefix: 'pgf_fid_dst' });
      const writer = await openSession(connectionConfigFromUrl(copy.url), 'destination');
      try {
        for (const object of sorted.ordered) {
          for (const statement of object.create) {
            try {
              await writer.query(statement);
            } catch (error) {
              throw new Error(`${object.key}: ${(error as Error).message}\n  in: ${statement}${sorted.warnings.length > 0 ? `\n  sort warnings: ${sorted.warnings.join('; ')}` : ''}`);
            }
          }
        }
      } finally {
        await writer.end();
      }
      await expectSameSchema(source.url, copy.url);
    });
  }
});
