import { z } from 'zod';

import { PgferryError } from '../../errors/pgferry-error.js';
import { archiveChunksSchema } from './archive-chunks.js';

/** Bumped when a reader of the old version could misread a new archive. */
// 2: tables may be stored in binary COPY format (`tables[].format`).
// 3: large objects (`large_objects`), and pre-data in dependency order from the schema layer.
// 4: physical base backups (`format: 'physical'`, the `physical` section).
// 5: incremental physical backups (`physical.incremental`). Only they are written as 5, so an
//    older pgferry refuses them (it would restore the blocks without their chain) and still
//    reads every other archive.
export const manifestFormatVersion = 4;
export const incrementalManifestFormatVersion = 5;
export const manifestFileName = 'manifest.json';

const fileEntry = z.object({
  path: z.string().min(1),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const tableEntry = z.object({
  schema: z.string(),
  name: z.string(),
  columns: z.array(z.string()),
  /** Rows COPY reported while dumping. */
  rows: z.number().int().nonnegative(),
  /** Uncompressed COPY bytes. */
  raw_bytes: z.number().int().nonnegative(),
  file: z.string(),
  /** COPY format of the data file (binary for tables of portable built-in types on UTF8 sources; see archive-copy-format). */
  format: z.enum(['text', 'binary']).default('text'),
  /** Multiset checksum computed in the backup snapshot, when the checksum module ran. */
  checksum: z.string().optional(),
});

/** A regular file inside a physical backup's tar archives, hashed as it streamed. */
const physicalFileEntry = z.object({
  /** Index into `physical.archives`. */
  archive: z.number().int().nonnegative(),
  /** Path in the restored data directory (tablespace files: `pg_tblspc/<oid>/…`). */
  path: z.string().min(1),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const physicalSection = z.object({
  label: z.string(),
  /** pg_control's system identifier (IDENTIFY_SYSTEM), as text: it does not fit a double. */
  system_identifier: z.string(),
  server_major: z.number().int(),
  timeline: z.number().int().positive(),
  start_lsn: z.string(),
  end_lsn: z.string(),
  end_timeline: z.number().int().positive(),
  /** included: the WAL from start to end is in the base archive (restores alone); archive: WAL must come from a WAL archive/stream. */
  wal: z.enum(['included', 'archive']),
  /** One tar per tablespace, in the server's order (the main data directory's last). */
  archives: z.array(
    z.object({
      /** null: the main data directory. */
      tablespace_oid: z.number().int().nullable(),
      /** The tablespace's directory on the source server (null for the data directory). */
      location: z.string().nullable(),
      /** Stored file (see `files`). */
      file: z.string(),
      raw_bytes: z.number().int().nonnegative(),
      /** Where its independently decodable chunks are (gzip/zstd archives written since chunking); restore decodes several at once. */
      chunks: archiveChunksSchema.optional(),
    }),
  ),
  /** The server's own backup_manifest, stored as sent; every file was checked against it. */
  server_manifest: z.string(),
  contents: z.array(physicalFileEntry),
  /**
   * An incremental backup (PostgreSQL 17+): relation files changed since the parent arrive as
   * `INCREMENTAL.<name>` (only the changed blocks); restoring needs the whole chain back to a full backup.
   */
  incremental: z
    .object({
      /** The parent's directory inside the storage, at backup time. */
      parent: z.string(),
      /** The parent's last path segment: found as a sibling when the storage is opened elsewhere. */
      parent_name: z.string(),
      parent_label: z.string(),
      parent_start_lsn: z.string(),
      parent_end_lsn: z.string(),
    })
    .optional(),
});

export const manifestSchema = z.object({
  format: z.enum(['native', 'pg_dump', 'globals', 'physical']),
  format_version: z.number().int().positive(),
  created_at: z.string(),
  finished_at: z.string(),
  pgferry_version: z.string(),
  source: z.object({
    server_version: z.string(),
    server_version_num: z.number().int(),
    database: z.string().nullable(),
    /** server_encoding of the source (native archives from format 2 on). */
    encoding: z.string().optional(),
  }),
  compression: z.enum(['gzip', 'zstd', 'none']),
  encryption: z
    .object({
      algorithm: z.literal('aes-256-gcm-chunked'),
      kdf: z.literal('scrypt'),
      kdf_params: z.object({ N: z.number().int(), r: z.number().int(), p: z.number().int() }),
      salt: z.string(),
      key_check: z.string(),
      chunk_size: z.number().int(),
    })
    .nullable(),
  /** Schemas the archive's objects live in (what `restore --clean` drops). */
  schemas: z.array(z.string()).default([]),
  tables: z.array(tableEntry).default([]),
  /** The database's large objects: one COPY file of (oid, data) rows; created empty in pre-data, filled after the tables. */
  large_objects: z.object({ file: z.string(), count: z.number().int().nonnegative(), raw_bytes: z.number().int().nonnegative() }).optional(),
  files: z.array(fileEntry),
  pg_dump: z.object({ binary: z.string(), version: z.string() }).optional(),
  globals: z.object({ roles: z.number().int(), with_passwords: z.boolean() }).optional(),
  physical: physicalSection.optional(),
  warnings: z.array(z.string()).default([]),
});

export type Manifest = z.output<typeof manifestSchema>;
export type ManifestFile = z.output<typeof fileEntry>;
export type ManifestTable = z.output<typeof tableEntry>;
export type PhysicalSection = z.output<typeof physicalSection>;
export type PhysicalFile = z.output<typeof physicalFileEntry>;

export function parseManifest(text: string, archive: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PgferryError('PGF_ARCHIVE_INVALID', `${archive}/manifest.json is not valid JSON; the archive is damaged or incomplete`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PgferryError(
      'PGF_ARCHIVE_INVALID',
      `${archive}/manifest.json is not a pgferry manifest (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'})`,
    );
  }
  if (parsed.data.format_version > incrementalManifestFormatVersion) {
    throw new PgferryError(
      'PGF_ARCHIVE_INVALID',
      `${archive} uses archive format ${parsed.data.format_version}; this pgferry reads up to ${incrementalManifestFormatVersion}: upgrade pgferry`,
    );
  }
  return parsed.data;
}
