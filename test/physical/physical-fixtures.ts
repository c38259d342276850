import pg from 'pg';

import type { TestCluster } from '../helpers/pg-cluster.js';

/** Two databases with rows, TOAST and an index, written before the backup. */
export async function seedTwoDatabases(cluster: TestCluster): Promise<void> {
  const alpha = await cluster.createDatabase('alpha');
  const beta = await cluster.createDatabase('beta');
  await withClient(alpha, async (client) => {
    await client.query('CREATE TABLE items (id int PRIMARY KEY, name text, body text)');
    await client.query("INSERT INTO items SELECT g, 'item ' || g, repeat(md5(g::text), 1 + g % 40) FROM generate_series(1, 20000) g");
  });
  await withClient(beta, async (client) => {
    await client.query('CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamptz, payload jsonb)');
    await client.query("INSERT INTO events (at, payload) SELECT '2026-01-01'::timestamptz + g * interval '1 minute', jsonb_build_object('n', g, 'tag', md5(g::text)) FROM generate_series(1, 15000) g");
    await client.query('CREATE TABLE big (id int PRIMARY KEY, blob bytea)');
    await client.query("INSERT INTO big SELECT g, decode(repeat(md5(g::text), 2000), 'hex') FROM generate_series(1, 50) g");
  });
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** count and md5 of the ordered rows of every table of the seeded databases. */
export async function fingerprint(url: (database: string) => string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const tables: Record<string, string[]> = { alpha: ['items'], beta: ['events', 'big'] };
  for (const [database, names] of Object.entries(tables)) {
    await withClient(url(database), async (client) => {
      for (const name of names) {
        const result = await client.query<{ n: string; h: string }>(`SELECT count(*) AS n, md5(string_agg(t::text, '|' ORDER BY t.id)) AS h FROM public.${name} t`);
        out[`${database}.${name}`] = `${result.rows[0]?.n}:${result.rows[0]?.h}`;
      }
    });
  }
  return out;
}
