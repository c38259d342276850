import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import { PgferryError } from '../../errors/pgferry-error.js';
import type { PhysicalFile } from '../archive/manifest.js';
import type { TarHeader } from './tar-scanner.js';

export interface TarEntryPlacerOptions {
  root: string;
  /** The stored file's name, for messages. */
  archive: string;
  /** Files the manifest lists, by path; each one met is removed (what is left at the end is missing). */
  expected: Map<string, PhysicalFile>;
  /** Prefix of manifest paths (tablespace archives: `pg_tblspc/<oid>/`). */
  prefix: string;
  onSymlink: (entry: TarHeader) => Promise<void>;
}

/** A regular file of the archive, listed in the manifest with the size its header gives. */
export interface PlacedFile {
  /** Its manifest path. */
  name: string;
  /** Where it is written. */
  target: string;
  listed: PhysicalFile;
}

/**
 * What every extractor does with a tar entry before its bytes: a directory is made, a
 * symlink handed on, and a regular file checked against the manifest (listed, same size)
 * with its parent directory made. Directories made are remembered: a base backup holds
 * thousands of files in a few directories.
 */
export class TarEntryPlacer {
  readonly #options: TarEntryPlacerOptions;
  readonly #made = new Set<string>();

  constructor(options: TarEntryPlacerOptions) {
    this.#options = options;
  }

  /** The regular file to write next, or undefined when the entry was a directory or symlink (placed already). */
  async place(header: TarHeader): Promise<PlacedFile | undefined> {
    const { root, archive, expected, prefix } = this.#options;
    const target = path.join(root, header.path);
    if (header.type === 'directory') {
      await this.#makeDir(target);
      return undefined;
    }
    await this.#makeDir(path.dirname(target));
    if (header.type === 'symlink') {
      await this.#options.onSymlink(header);
      return undefined;
    }
    const name = prefix + header.path;
    const listed = expected.get(name);
    if (!listed) throw new PgferryError('PGF_ARCHIVE_CORRUPT', `${archive} holds ${name}, which the backup's manifest does not list; the archive was altered`);
    if (header.size !== listed.size) throw manifestMismatch(name, archive, 'size');
    expected.delete(name);
    return { name, target, listed };
  }

  async #makeDir(dir: string): Promise<void> {
    if (this.#made.has(dir)) return;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    this.#made.add(dir);
  }
}

/** A restored file that differs from the backup's manifest. */
export const manifestMismatch = (name: string, archive: string, what: 'size' | 'sha256') =>
  new PgferryError('PGF_ARCHIVE_CORRUPT', `${name} in ${archive} does not match the backup's manifest (${what} differs); restore from another copy of the backup`, {
    details: { file: name },
  });
