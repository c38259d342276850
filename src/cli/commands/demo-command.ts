import path from 'node:path';

import type { Command } from 'commander';
import pg from 'pg';

import { compareTables } from '../../engine/diff/diff-tables.js';
import { quoteIdent } from '../../engine/sql/quote-ident.js';
import { runSqlFile } from '../../engine/sql/run-sql-file.js';
import { runSync } from '../../engine/sync/run-sync.js';
import type { HighWaterStore, SyncOptions, SyncResult } from '../../engine/types.js';
import { packageRoot } from '../../package-root.js';
import { EmbeddedPostgres } from '../../store/embedded-postgres.js';
import { createCliContext } from '../cli-context.js';
import { verifyAfterSync } from '../../engine/verify/verify-after-sync.js';
import { formatBytes } from '../../engine/format-bytes.js';

const fixturesDir = path.join(packageRoot, 'fixtures');
const fixtureNames = ['hadoop_fault', 'manufacturing', 'customer_service', 'plm'];
/** Tables with an `updated_at` cursor kept current by a trigger (see fixtures/README.md). */
const cursorTables = [
  'hadoop_fault.clusters',
  'hadoop_fault.nodes',
  'hadoop_fault.fault_records',
  'hadoop_fault.app_configurations',
  'manufacturing.anomalies',
  'manufacturing.work_orders',
  'customer_service.tickets',
  'customer_service.agents',
  'plm.items',
  'plm.ecos',
  'plm.conversion_jobs',
];
const sourceDb = 'pgferry_demo_source';
const destinationDb = 'pgferry_demo_destination';

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function memoryHighWater(): HighWaterStore {
  const marks = new Map<string, { cursor: string; value: string | null }>();
  return { get: async (scope, table) => marks.get(`${scope}/${table}`), set: async (scope, table, cursor, value) => void marks.set(`${scope}/${table}`, { cursor, value }) };
}

interface Step {
  step: string;
  tables: number;
  rows: number;
  written: number;
  bytes: number;
  seconds: number;
  verified: string;
}

const say = (text: string) => process.stdout.write(`${text}\n`);

function stepOf(name: string, result: SyncResult, verified: string): Step {
  return {
    step: name,
    tables: result.totals.succeeded,
    rows: result.totals.rows,
    written: result.totals.written,
    bytes: result.totals.bytes,
    seconds: result.totals.durationMs / 1000,
    verified,
  };
}

/**
 * `pgferry demo` (`npm run demo`): an embedded PostgreSQL in $PGFERRY_HOME, a source loaded
 * with the four business fixtures, an empty destination; full sync with verify, a few source
 * changes, an incremental sync, a diff, and a summary. Needs only Node.js.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Show pgferry end to end on an embedded PostgreSQL: load fixtures, full sync + verify, changes, incremental sync, diff')
    .option('--jobs <n>', 'tables copied at once', '2')
    .action(async (raw: { jobs: string }) => {
      const started = Date.now();
      const { config, logger } = createCliContext({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
      const embedded = new EmbeddedPostgres({ dataDir: path.join(config.PGFERRY_HOME, 'pg'), port: config.PGFERRY_EMBEDDED_PORT, logger });
      await embedded.start();
      say(`pgferry demo — embedded PostgreSQL in ${embedded.dataDir}`);
      try {
        const admin = embedded.connectionString('postgres');
        await withClient(admin, async (client) => {
          for (const db of [sourceDb, destinationDb]) {
            await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(db)} WITH (FORCE)`);
            await client.query(`CREATE DATABASE ${quoteIdent(db)}`);
          }
        });
        const sourceUrl = embedded.connectionString(sourceDb);
        const destinationUrl = embedded.connectionString(destinationDb);
        let t = Date.now();
        // Two loaders at once: the machine has at least two cores and each file is one transaction.
        const queue = [...fixtureNames];
        await Promise.all(
          [1, 2].map(() =>
            withClient(sourceUrl, async (client) => {
              for (let name = queue.shift(); name !== undefined; name = queue.shift()) await runSqlFile(client, path.join(fixturesDir, `${name}.sql`));
            }),
          ),
        );
        say(`loaded fixtures ${fixtureNames.join(', ')} into ${sourceDb} in ${((Date.now() - t) / 1000).toFixed(1)} s`);

        const highWater = memoryHighWater();
        const base: SyncOptions = {
          source: { connectionString: sourceUrl },
          destination: { connectionString: destinationUrl },
          jobs: Math.max(1, Number(raw.jobs) || 2),
          schemas: fixtureNames,
          cursor: 'updated_at',
          highWaterScope: 'demo',
        };
        const steps: Step[] = [];
        const progress = (result: SyncResult) => say(`  ${result.totals.succeeded}/${result.totals.tables} tables, ${result.totals.rows} rows read, ${result.totals.written} written, ${formatBytes(result.totals.bytes)} in ${(result.totals.durationMs / 1000).toFixed(1)} s`);

        say('\n1. full sync into the empty destination (schema, data, indexes, foreign keys, sequences) with --verify');
        const full = await runSync({ ...base, mode: 'full' }, { highWater });
        progress(full);
        const fullVerify = await verifyAfterSync(base, full, (line) => say(`  ${line}`));
        say(`  verify: ${fullVerify.verified ? 'every table equal' : 'DIFFERENCES'} (${formatBytes(fullVerify.bytesTransferred)} of checksums transferred)`);
        steps.push(stepOf('full sync', full, fullVerify.verified ? 'yes' : 'NO'));

        say('\n2. changing rows on the source (updated_at moves through the fixtures\' triggers)');
        const changed = await withClient(sourceUrl, async (client) => {
          let n = 0;
          n += (await client.query(`UPDATE customer_service.tickets SET description = coalesce(description, '') || ' (edited)' WHERE ctid IN (SELECT ctid FROM customer_service.tickets ORDER BY ticket_id LIMIT 110)`)).rowCount ?? 0;
          n += (await client.query(`UPDATE plm.items SET description = coalesce(description, '') || ' rev' WHERE ctid IN (SELECT ctid FROM plm.items ORDER BY id LIMIT 80)`)).rowCount ?? 0;
          n += (await client.query(`UPDATE manufacturing.work_orders SET instructions = coalesce(instructions, '') || ' (checked)' WHERE ctid IN (SELECT ctid FROM manufacturing.work_orders ORDER BY order_id LIMIT 60)`)).rowCount ?? 0;
          n += (await client.query(`UPDATE hadoop_fault.nodes SET updated_at = updated_at WHERE ctid IN (SELECT ctid FROM hadoop_fault.nodes ORDER BY 1 LIMIT 50)`)).rowCount ?? 0;
          return n;
        });
        say(`  ${changed} rows updated`);

        say('\n3. incremental sync (only rows at or after each table\'s high-water mark are read)');
        t = Date.now();
        const incremental = await runSync({ ...base, mode: 'incremental', tables: cursorTables }, { highWater });
        progress(incremental);
        steps.push(stepOf('incremental sync', incremental, '–'));

        say('\n4. diff of source and destination (checksums per table and key range)');
        t = Date.now();
        const diff = await compareTables(base.source, base.destination, full.tables.filter((r) => r.status === 'succeeded').map((r) => {
          const [schema, ...rest] = r.table.split('.');
          return { schema: schema!, name: rest.join('.') };
        }));
        const differing = diff.tables.filter((table) => table.status !== 'equal');
        say(`  ${diff.tables.length} tables compared: ${differing.length === 0 ? 'all equal' : `${differing.length} differ: ${differing.map((d) => `${d.schema}.${d.name}`).join(', ')}`} (${formatBytes(diff.bytesTransferred)} transferred, ${((Date.now() - t) / 1000).toFixed(1)} s)`);
        steps.push({ step: 'diff', tables: diff.tables.length, rows: 0, written: 0, bytes: diff.bytesTransferred, seconds: diff.durationMs / 1000, verified: differing.length === 0 ? 'yes' : 'NO' });

        say('\nsummary');
        say(`  ${'step'.padEnd(18)} ${'tables'.padStart(6)} ${'rows'.padStart(9)} ${'written'.padStart(9)} ${'bytes'.padStart(9)} ${'seconds'.padStart(8)}  verified`);
        for (const s of steps) {
          say(`  ${s.step.padEnd(18)} ${String(s.tables).padStart(6)} ${String(s.rows).padStart(9)} ${String(s.written).padStart(9)} ${formatBytes(s.bytes).padStart(9)} ${s.seconds.toFixed(1).padStart(8)}  ${s.verified}`);
        }
        say(`  total ${((Date.now() - started) / 1000).toFixed(1)} s`);
        // The server stops with the demo; its databases stay in the cluster for a later look.
        say(`\nThe embedded server stops now. Databases ${sourceDb} and ${destinationDb} stay in its cluster at ${embedded.dataDir}`);
        say(`(user postgres, password in ${path.join(path.dirname(embedded.dataDir), 'embedded-postgres.json')});`);
        say('`npx pgferry serve` with the same PGFERRY_HOME starts that cluster again, on the port it logs.');
        if (full.status !== 'succeeded' || incremental.status !== 'succeeded' || !fullVerify.verified || differing.length > 0) process.exitCode = 1;
      } finally {
        await embedded.stop();
      }
    });
}
