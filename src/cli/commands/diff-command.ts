import type { Command } from 'commander';
import type pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import { connectionConfigFromUrl } from '../../engine/connection-config.js';
import { describeRange } from '../../engine/diff/describe-range.js';
import { compareTables } from '../../engine/diff/diff-tables.js';
import type { DiffSummary, RowDifference, TableComparison } from '../../engine/diff/diff-types.js';
import { diffSchemas } from '../../engine/diff/schema-diff.js';
import { resolveEncryptionKey } from '../../secrets/encryption-key.js';
import { SecretBox } from '../../secrets/secret-box.js';
import { loadConnectionTarget } from '../../store/connection-repository.js';
import { openStore } from '../../store/open-store.js';
import { createCliContext } from '../cli-context.js';
import { schemaDiffLines } from './schema-diff-output.js';
import { formatBytes } from '../../engine/format-bytes.js';

/**
 * Exit codes of `pgferry diff`: 0 the databases are equal for every compared table;
 * 20 at least one difference (rows, a table missing on the destination, columns that do not
 * line up); 1 a table could not be compared (no difference found elsewhere); other codes are
 * the documented error codes (2 bad input, 3 connection, 6 cancelled).
 */
export const diffExitCodes = { equal: 0, different: 20, incomplete: 1 } as const;

interface DiffCommandOptions {
  from: string;
  to: string;
  schemas?: string;
  tables?: string;
  exclude?: string;
  maxRows?: string;
  json?: boolean;
  schema?: boolean;
  ignoreOwners?: boolean;
  ignorePrivileges?: boolean;
}

const list = (value: string | undefined) =>
  value === undefined ? undefined : value.split(',').map((item) => item.trim()).filter((item) => item.length > 0);

const isUrl = (value: string) => /^postgres(ql)?:\/\//i.test(value.trim());

/**
 * `postgres://` URLs are used as given; anything else is the name (or id) of a saved
 * connection, read from the metadata store with its password decrypted. The store is opened
 * only when a name is given.
 */
async function resolveTargets(from: string, to: string): Promise<[pg.ClientConfig, pg.ClientConfig]> {
  if (isUrl(from) && isUrl(to)) return [connectionConfigFromUrl(from), connectionConfigFromUrl(to)];
  const { config, logger } = createCliContext();
  const secrets = new SecretBox(await resolveEncryptionKey(config, logger));
  const store = await openStore({ config, schema: config.PGFERRY_SCHEMA_MODE === 'auto' ? 'migrate' : 'check' });
  try {
    const resolve = async (value: string) => (isUrl(value) ? connectionConfigFromUrl(value) : (await loadConnectionTarget(store.db, secrets, value.trim())).config);
    return [await resolve(from), await resolve(to)];
  } finally {
    await store.close();
  }
}

function positiveInteger(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 1_000_000) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `${flag} expects an integer between 1 and 1000000, got "${value}"`);
  }
  return number;
}

function rowLine(difference: RowDifference, key: readonly string[] | null): string {
  if ('key' in difference) {
    const shown = (key ?? []).map((name, index) => `${name}=${JSON.stringify(difference.key[index] ?? null)}`).join(', ');
    return `    ${difference.kind.padEnd(7)} ${shown}`;
  }
  return `    ${difference.kind.padEnd(7)} ${difference.copies}× ${difference.row}`;
}

function tableLines(table: TableComparison): string[] {
  const name = `${table.schema}.${table.name}`;
  const rows = (side: 'source' | 'destination') => (table[side] === null ? '?' : Number(table[side].rows).toLocaleString('en-US'));
  switch (table.status) {
    case 'equal':
      return [`= ${name}: equal (${rows('source')} rows)`];
    case 'missing_on_destination':
      return [`! ${name}: missing on the destination`];
    case 'incomparable':
    case 'failed':
      return [`! ${name}: ${table.status === 'failed' ? 'could not be compared' : 'not comparable'}: ${table.reason ?? ''}`];
    case 'different': {
      const lines = [`≠ ${name}: different (source ${rows('source')} rows, destination ${rows('destination')} rows)`];
      for (const range of table.ranges.slice(0, 20)) {
        lines.push(`    range ${describeRange(range.range, table.key)}: source ${range.sourceRows}, destination ${range.destinationRows} rows`);
      }
      if (table.ranges.length > 20) lines.push(`    … ${table.ranges.length - 20} more ranges`);
      for (const row of table.rows) lines.push(rowLine(row, table.key));
      if (table.truncated) lines.push('    … more differences not listed (raise --max-rows)');
      return lines;
    }
  }
}

export function exitCodeFor(summary: DiffSummary): number {
  if (summary.tables.some((table) => table.status === 'different' || table.status === 'missing_on_destination' || table.status === 'incomparable')) {
    return diffExitCodes.different;
  }
  if (summary.tables.some((table) => table.status === 'failed')) return diffExitCodes.incomplete;
  return diffExitCodes.equal;
}

/** `--schema`: the two schema graphs compared object by object; no row is read. */
async function runSchemaDiff(options: DiffCommandOptions): Promise<void> {
  if (options.tables !== undefined || options.exclude !== undefined || options.maxRows !== undefined) {
    throw new PgferryError('PGF_VALIDATION_FAILED', '--tables, --exclude and --max-rows apply to the data comparison; with --schema, narrow by --schemas');
  }
  const [source, destination] = await resolveTargets(options.from, options.to);
  const diff = await diffSchemas(source, destination, {
    schemas: list(options.schemas),
    ignoreOwners: options.ignoreOwners === true,
    ignorePrivileges: options.ignorePrivileges === true,
  });
  if (options.schemas !== undefined && diff.source.objects + diff.destination.objects === 0) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `no object of either database is in --schemas ${options.schemas}`);
  }
  const exitCode = diff.equal ? diffExitCodes.equal : diffExitCodes.different;
  if (options.json) process.stdout.write(`${JSON.stringify({ ...diff, exitCode }, null, 2)}\n`);
  else process.stdout.write(`${schemaDiffLines(diff).join('\n')}\n`);
  process.exitCode = exitCode;
}

export function registerDiffCommand(program: Command): void {
  program
    .command('diff')
    .description(
      'Compare tables of two databases by server-side checksums; only hashes cross the network until differing key ranges are small.\n' +
        'With --schema, compare their schemas instead: every object sync and backup reproduce, by name and definition.\n' +
        'Exit code: 0 equal, 20 differences found, 1 a table could not be compared, 2 bad input, 3 connection failed, 6 cancelled.',
    )
    .requiredOption('--from <url|name>', 'source database: postgres:// URL or saved connection name')
    .requiredOption('--to <url|name>', 'destination database: postgres:// URL or saved connection name')
    .option('--schemas <list>', 'comma-separated schemas (default: all non-system schemas)')
    .option('--tables <globs>', "comma-separated globs on schema.table, or table in any schema (e.g. 'sales.*,staff')")
    .option('--exclude <globs>', 'comma-separated globs to leave out')
    .option('--max-rows <n>', 'differing rows listed per table (default 100)')
    .option('--json', 'machine-readable output on stdout')
    .option('--schema', 'compare schema objects (missing, extra, different) instead of rows')
    .option('--ignore-owners', 'with --schema: leave owners out of the comparison')
    .option('--ignore-privileges', 'with --schema: leave GRANTs (ACLs) out of the comparison')
    .action(async (options: DiffCommandOptions) => {
      if (options.schema) return runSchemaDiff(options);
      if (options.ignoreOwners || options.ignorePrivileges) {
        throw new PgferryError('PGF_VALIDATION_FAILED', '--ignore-owners and --ignore-privileges apply to --schema only');
      }
      const maxRows = positiveInteger(options.maxRows, '--max-rows', 100);
      const [source, destination] = await resolveTargets(options.from, options.to);
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let summary: DiffSummary;
      try {
        summary = await compareTables(
          source,
          destination,
          { schemas: list(options.schemas), tables: list(options.tables), exclude: list(options.exclude) },
          {
            signal: controller.signal,
            maxRows,
            onEvent: (event) => {
              if (!options.json && event.type === 'table:start' && process.stderr.isTTY) process.stderr.write(`comparing ${event.schema}.${event.name}…\r`);
            },
          },
        );
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      if (summary.tables.length === 0) {
        throw new PgferryError('PGF_VALIDATION_FAILED', 'no table of the source matches --schemas/--tables/--exclude; list the tables with `pgferry connections show`');
      }
      const exitCode = exitCodeFor(summary);
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ ...summary, exitCode }, null, 2)}\n`);
      } else {
        const lines = summary.tables.flatMap(tableLines);
        const counts = new Map<string, number>();
        for (const table of summary.tables) counts.set(table.status, (counts.get(table.status) ?? 0) + 1);
        const parts = [...counts.entries()].map(([status, count]) => `${count} ${status.replaceAll('_', ' ')}`);
        lines.push(
          `${summary.tables.length} table(s) compared: ${parts.join(', ')}; ${formatBytes(summary.bytesTransferred)} transferred in ${(summary.durationMs / 1000).toFixed(1)} s`,
        );
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      process.exitCode = exitCode;
    });
}
