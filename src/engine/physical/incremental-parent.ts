import path from 'node:path';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type ArchiveLocation, readArchiveFile } from '../archive/archive-files.js';
import { openArchiveKey } from '../archive/encryption.js';
import { type Manifest, type PhysicalSection, manifestFileName } from '../archive/manifest.js';
import type { ArchiveTrust } from '../archive/manifest-signature.js';
import { readTrustedManifest } from '../archive/verify-archive.js';
import { type ArchiveStorage, joinPath } from '../storage/archive-storage.js';
import { loadBackupChain } from './backup-chain.js';
import { assertIncrementalServer } from './incremental-protocol.js';
import { listPhysicalBackups } from './list-physical-backups.js';
import type { ReplicationSession } from './replication-client.js';

export interface IncrementalParentRequest {
  storage: ArchiveStorage;
  /** Where the new backup goes (its parent directory): a default parent is looked for here. */
  under: string;
  /** The parent's directory: inside the storage, or relative to `under` (default: the latest backup of the same system and timeline). */
  from?: string | undefined;
  trust: ArchiveTrust;
  encryptionSecret?: string | undefined;
  /** How the server is named in messages (no credentials). */
  server: string;
}

export interface IncrementalStart {
  /** The parent's backup_manifest, as the server sent it then: what UPLOAD_MANIFEST sends. */
  serverManifest: Buffer;
  record: NonNullable<PhysicalSection['incremental']>;
}

async function holdsManifest(storage: ArchiveStorage, dir: string): Promise<boolean> {
  return storage.exists(joinPath(dir, manifestFileName)).catch(() => false);
}

async function findParent(session: ReplicationSession, request: IncrementalParentRequest): Promise<string> {
  const { storage } = request;
  if (request.from !== undefined) {
    for (const candidate of [joinPath(request.under, request.from), joinPath(request.from)]) if (await holdsManifest(storage, candidate)) return candidate;
    throw new PgferryError('PGF_BACKUP_CHAIN_BROKEN', `--incremental-from: no backup ${request.from} in ${storage.describe(request.under)}; name a physical backup of this storage (see \`pgferry backups timeline\`)`);
  }
  const backups = (await listPhysicalBackups(storage, { under: request.under, systemId: session.systemIdentifier })).filter((backup) => backup.timeline === session.timeline);
  const latest = backups.at(-1);
  if (!latest) {
    throw new PgferryError(
      'PGF_BACKUP_CHAIN_BROKEN',
      `no physical backup of ${request.server} (system ${session.systemIdentifier}, timeline ${session.timeline}) in ${storage.describe(request.under)} to base an incremental backup on; take a full backup first (without --incremental)`,
    );
  }
  return latest.path;
}

/** The parent's manifest must be a physical backup of the same cluster, timeline and major. */
function assertSameCluster(session: ReplicationSession, manifest: Manifest, where: string, server: string): NonNullable<Manifest['physical']> {
  const physical = manifest.physical;
  if (manifest.format !== 'physical' || !physical) throw new PgferryError('PGF_BACKUP_CHAIN_BROKEN', `${where} is a ${manifest.format} archive; an incremental backup builds on a physical backup`);
  const problem =
    physical.system_identifier !== session.systemIdentifier
      ? `it is of system ${physical.system_identifier}, ${server} is system ${session.systemIdentifier}`
      : physical.end_timeline !== session.timeline
        ? `it ended on timeline ${physical.end_timeline}, ${server} is on timeline ${session.timeline} now`
        : physical.server_major !== Math.floor(session.serverVersionNum / 10000)
          ? `it was taken from PostgreSQL ${physical.server_major}`
          : undefined;
  if (problem) throw new PgferryError('PGF_BACKUP_CHAIN_BROKEN', `${where} cannot be the parent of an incremental backup of ${server}: ${problem}; take a full backup (without --incremental)`);
  return physical;
}

/**
 * Checks the server can take an incremental backup and picks its parent: the backup named by
 * --incremental-from, else the latest full or incremental physical backup of the same system
 * identifier and timeline under the destination. Returns the parent's stored backup_manifest.
 */
export async function prepareIncremental(session: ReplicationSession, request: IncrementalParentRequest): Promise<IncrementalStart> {
  await assertIncrementalServer(session, request.server);
  const parentPath = await findParent(session, request);
  const location: ArchiveLocation = { storage: request.storage, path: parentPath };
  const where = request.storage.describe(parentPath);
  const manifest = await readTrustedManifest(location, request.trust);
  const physical = assertSameCluster(session, manifest, where, request.server);
  // A parent whose own chain is broken would make this backup unrestorable from the start.
  await loadBackupChain(location, manifest, request.trust);
  const stored = manifest.files.find((file) => file.path === physical.server_manifest);
  if (!stored) throw new PgferryError('PGF_BACKUP_CHAIN_BROKEN', `${where} does not list its server backup_manifest (${physical.server_manifest}); it cannot be the parent of an incremental backup — take a full backup`);
  const key = manifest.encryption ? openArchiveKey(request.encryptionSecret, manifest.encryption, where) : undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of await readArchiveFile(location, stored, { compression: manifest.compression, key })) chunks.push(chunk as Buffer);
  return {
    serverManifest: Buffer.concat(chunks),
    record: {
      parent: parentPath,
      parent_name: path.posix.basename(parentPath),
      parent_label: physical.label,
      parent_start_lsn: physical.start_lsn,
      parent_end_lsn: physical.end_lsn,
    },
  };
}
