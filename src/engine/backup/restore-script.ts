import type { Manifest } from '../archive/manifest.js';

const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

const decompressor = { gzip: 'gzip -dc', zstd: 'zstd -dc', none: 'cat' } as const;

/**
 * A POSIX shell script that restores a native archive with stock tools only (psql, gzip or
 * zstd, sha256sum when present): checks every file, runs pre-data, loads each table with
 * psql's \copy, then post-data. Paths come from the manifest (no table names in the shell).
 * It trusts its files (it has no key to check the manifest's signature), and says so.
 */
export function renderRestoreScript(manifest: Manifest): string {
  const lines = [
    '#!/bin/sh',
    `# Restores this pgferry ${manifest.format} archive (database ${manifest.source.database ?? '?'}, PostgreSQL ${manifest.source.server_version})`,
    '# with stock psql alone. Usage: sh restore.sh "postgres://user@host:5432/new_database"',
    '# The target database must exist and be empty; run from anywhere.',
    '# This script trusts its files: it checks them against manifest.json but cannot check the',
    "# manifest's signature (that needs pgferry's key), so run it only on an archive you trust;",
    '# `pgferry restore` checks the signature and refuses statements a backup never holds.',
    'set -eu',
    'URL="${1:?usage: sh restore.sh postgres://user@host:port/database}"',
    'cd "$(dirname "$0")"',
    'export PGCLIENTENCODING=UTF8',
    'export PGOPTIONS="-c DateStyle=ISO -c IntervalStyle=postgres -c TimeZone=UTC -c check_function_bodies=off"',
    'PSQL="psql -X -q -v ON_ERROR_STOP=1"',
  ];
  if (manifest.encryption) {
    lines.push(
      'echo "this archive is encrypted: restore it with \\`pgferry restore\\` (which holds the key), not with psql alone" >&2',
      'exit 1',
    );
    return `${lines.join('\n')}\n`;
  }
  lines.push(
    'check() {',
    '  if command -v sha256sum >/dev/null 2>&1; then',
    '    echo "$2  $1" | sha256sum -c --quiet - >/dev/null 2>&1 || { echo "restore.sh: $1 is corrupt (sha256 differs from the manifest); restore it from another copy" >&2; exit 1; }',
    '  fi',
    '}',
  );
  for (const file of manifest.files) lines.push(`check ${shellQuote(file.path)} ${file.sha256}`);
  if (manifest.tables.some((table) => table.format === 'binary')) {
    // Binary COPY files carry text in the source's encoding, unconverted.
    const encoding = manifest.source.encoding ?? 'UTF8';
    lines.push(
      `ENCODING=$($PSQL -d "$URL" -tAc 'SHOW server_encoding')`,
      `[ "$ENCODING" = ${shellQuote(encoding)} ] || { echo "restore.sh: the target database uses $ENCODING; this archive needs a ${encoding} database (createdb -E ${encoding} -T template0)" >&2; exit 1; }`,
    );
  }
  lines.push('echo "pre-data" >&2', '$PSQL -d "$URL" -1 -f schema/pre-data.sql');
  for (const table of manifest.tables) {
    const loader = table.file.replace(/\.copy(\.[a-z]+)?$/, '.sql');
    lines.push(
      `echo ${shellQuote(`data ${table.schema}.${table.name} (${table.rows} rows)`)} >&2`,
      `${decompressor[manifest.compression]} ${shellQuote(table.file)} | $PSQL -d "$URL" -1 -f ${shellQuote(loader)}`,
    );
  }
  if (manifest.large_objects) {
    const entry = manifest.large_objects;
    lines.push(
      `echo ${shellQuote(`large objects (${entry.count})`)} >&2`,
      `${decompressor[manifest.compression]} ${shellQuote(entry.file)} | $PSQL -d "$URL" -1 -f ${shellQuote(entry.file.replace(/\.copy(\.[a-z]+)?$/, '.sql'))} >/dev/null`,
    );
  }
  lines.push('echo "post-data" >&2', '$PSQL -d "$URL" -1 -f schema/post-data.sql', 'echo "restore.sh: done" >&2');
  return `${lines.join('\n')}\n`;
}
