import { z } from 'zod';

import { PgferryError } from '../../errors/pgferry-error.js';

/** Bumped when a reader of the old version could misread a new archive. */
// 2: tables may be stored in binary COPY format (`tables[].format`).
// 3: large objects (`large_objects`), and pre-data in dependency order from the schema layer.
export const manifestFormatVersion = 3;
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

export const manifestSchema = z.object({
  format: z.enum(['native', 'pg_dump', 'globals']),
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
  warnings: z.array(z.string()).default([]),
});

export type Manifest = z.output<typeof manifestSchema>;
export type ManifestFile = z.output<typeof fileEntry>;
export type ManifestTable = z.output<typeof tableEntry>;

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
  if (parsed.data.format_version > manifestFormatVersion) {
    throw new PgferryError(
      'PGF_ARCHIVE_INVALID',
      `${archive} uses archive format ${parsed.data.format_version}; this pgferry reads up to ${manifestFormatVersion}: upgrade pgferry`,
    );
  }
  return parsed.data;
}
