import { randomBytes } from 'node:crypto';

import pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import type { RestoreEvent, RunHooks } from '../backup/backup-events.js';
import { explicitConfig } from '../backup/client-config.js';
import { tableChecksum } from '../backup/table-checksum.js';
import { runRestore } from '../restore/run-restore.js';
import { displayName, quoteIdent } from '../sql/quote-ident.js';
import { openSession } from '../sql/session-settings.js';
import type { ArchiveLocation } from './archive-files.js';
import type { ArchiveTrust } from './manifest-signature.js';
import { readTrustedManifest } from './verify-archive.js';

export interface DrillOptions {
  archive: ArchiveLocation;
  /** Any database on the server the drill runs on; the scratch database is created beside it. */
  server: pg.ClientConfig;
  encryptionSecret?: string | undefined;
  jobs?: number | undefined;
  /** Keep the scratch database for inspection (default: false). */
  keep?: boolean | undefined;
  /** The signing key the archive is checked with (a drill restores, so it trusts what a restore trusts). */
  trust: ArchiveTrust;
}

export interface DrillTableResult {
  table: string;
  expectedRows: number;
  rows: number;
  /** null when the archive holds no checksum for the table. */
  checksumMatches: boolean | null;
  ok: boolean;
}

export interface DrillResult {
  ok: boolean;
  scratchDatabase: string;
  tables: DrillTableResult[];
  /** What was compared: row counts, plus checksums where the manifest has them. */
  compared: 'rows' | 'rows+checksums' | 'restore only';
  durationMs: number;
  message: string;
}

/**
 * Restore drill: restores the archive into a scratch database, compares every table's row
 * count (and checksum when the manifest has one) with the manifest, then drops the scratch
 * database whatever happened.
 */
export async function runDrill(options: DrillOptions, hooks: RunHooks<RestoreEvent> = {}): Promise<DrillResult> {
  const started = Date.now();
  const server = explicitConfig(options.server);
  const scratch = `pgferry_drill_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const target = { ...server, database: scratch };
  try {
    await runRestore({ archive: options.archive, target, create: true, jobs: options.jobs, encryptionSecret: options.encryptionSecret, trust: options.trust }, hooks);
    const manifest = await readTrustedManifest(options.archive, options.trust);
    const client = await openSession(target, 'source', 'pgferry drill');
    const tables: DrillTableResult[] = [];
    try {
      for (const table of manifest.tables) {
        let rows: number;
        let checksumMatches: boolean | null = null;
        if (table.checksum) {
          const actual = await tableChecksum(client, table);
          rows = Number(actual.split(':')[0]);
          checksumMatches = actual === table.checksum;
        } else {
          const counted = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ONLY ${quoteIdent(table.schema)}.${quoteIdent(table.name)}`);
          rows = Number(counted.rows[0]?.n ?? 0);
        }
        tables.push({ table: displayName(table), expectedRows: table.rows, rows, checksumMatches, ok: rows === table.rows && checksumMatches !== false });
      }
    } finally {
      await client.end().catch(() => undefined);
    }
    const bad = tables.filter((table) => !table.ok);
    const compared = manifest.tables.length === 0 ? 'restore only' : manifest.tables.some((t) => t.checksum) ? 'rows+checksums' : 'rows';
    const message =
      bad.length === 0
        ? `restored into ${scratch} and ${compared === 'restore only' ? 'the restore succeeded (the archive lists no tables to compare)' : `all ${tables.length} tables match the manifest (${compared})`}`
        : `${bad.length} of ${tables.length} tables differ from the manifest: ${bad
            .slice(0, 5)
            .map((t) => `${t.table} (${t.rows} rows, expected ${t.expectedRows}${t.checksumMatches === false ? ', checksum differs' : ''})`)
            .join(', ')}`;
    return { ok: bad.length === 0, scratchDatabase: scratch, tables, compared, durationMs: Date.now() - started, message };
  } finally {
    if (!options.keep) await dropScratch(server, scratch);
  }
}

async function dropScratch(server: pg.ClientConfig, scratch: string): Promise<void> {
  const client = new pg.Client({ ...server, database: 'postgres' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(scratch)} WITH (FORCE)`);
  } catch (error) {
    throw new PgferryError('PGF_DRILL_FAILED', `the drill could not drop its scratch database ${scratch}: ${(error as Error).message}; drop it by hand`, { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}
