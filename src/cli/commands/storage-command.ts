import type { Command } from 'commander';

import { openStorage } from '../../engine/storage/open-storage.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { type StorageInput, createStorage } from '../../jobs/storage-service.js';
import { deleteStorage, getStorageRow, listStorages, storageTargetFromRow } from '../../store/storage-repository.js';
import { json, withLazyStore } from './backup-cli-support.js';
import { storageKinds } from '../../engine/storage/archive-storage.js';

interface AddFlags {
  kind: string;
  path?: string;
  bucket?: string;
  prefix?: string;
  region?: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  publicEndpoint?: string;
  accessKeyId?: string;
  secretAccessKeyEnv?: string;
  encryptionSecretEnv?: string;
  description?: string;
  create?: boolean;
  json?: boolean;
}

function fromEnv(name: string | undefined, flag: string): string | undefined {
  if (name === undefined) return undefined;
  const value = process.env[name];
  if (!value) throw new PgferryError('PGF_VALIDATION_FAILED', `${flag}: environment variable ${name} is empty or unset`);
  return value;
}

export function registerStorageCommand(program: Command): void {
  const storage = program.command('storage').description('Saved backup storages (local directories and S3 buckets)');

  storage
    .command('add')
    .description('Save a storage; secrets are read from environment variables, never from flags')
    .argument('<name>')
    .requiredOption('--kind <kind>', 'local or s3')
    .option('--path <dir>', 'local: absolute directory')
    .option('--bucket <bucket>', 's3: bucket')
    .option('--prefix <prefix>', 's3: key prefix')
    .option('--region <region>', 's3: region')
    .option('--endpoint <url>', 's3: S3-compatible endpoint')
    .option('--force-path-style', 's3: path-style addressing (MinIO, Ceph, s3rver)')
    .option('--public-endpoint <url>', 's3: endpoint for presigned download URLs')
    .option('--access-key-id <id>', 's3: access key id')
    .option('--secret-access-key-env <var>', 's3: environment variable holding the secret access key')
    .option('--encryption-secret-env <var>', 'environment variable holding the passphrase archives here are encrypted with')
    .option('--description <text>')
    .option('--create', 'local: create the directory (mode 0700) when it does not exist')
    .option('--json', 'machine-readable output')
    .action(async (name: string, flags: AddFlags) => {
      const kind = storageKinds.find((known) => known === flags.kind);
      if (!kind) throw new PgferryError('PGF_VALIDATION_FAILED', `--kind: expected one of ${storageKinds.join(', ')}, got "${flags.kind}"`);
      const config: Record<string, unknown> =
        kind === 'local'
          ? { path: flags.path }
          : Object.fromEntries(
              Object.entries({
                bucket: flags.bucket,
                prefix: flags.prefix,
                region: flags.region,
                endpoint: flags.endpoint,
                force_path_style: flags.forcePathStyle,
                public_endpoint: flags.publicEndpoint,
                access_key_id: flags.accessKeyId,
              }).filter(([, value]) => value !== undefined),
            );
      const input: StorageInput = {
        name,
        description: flags.description,
        kind,
        config,
        secrets: { secret_access_key: fromEnv(flags.secretAccessKeyEnv, '--secret-access-key-env'), encryption_secret: fromEnv(flags.encryptionSecretEnv, '--encryption-secret-env') },
      };
      await withLazyStore(async (lazy) => {
        const { store, secrets } = await lazy.get();
        const view = await createStorage(store.db, secrets, input, { create: flags.create });
        if (flags.json) json(view);
        else console.log(`saved storage "${view.name}" (${view.kind}) ${view.id}`);
      });
    });

  storage
    .command('list')
    .description('List saved storages')
    .option('--json', 'machine-readable output')
    .action(async (flags: { json?: boolean }) => {
      await withLazyStore(async (lazy) => {
        const { store } = await lazy.get();
        const page = await listStorages(store.db, { page_size: 500 });
        if (flags.json) return json(page);
        for (const item of page.items) {
          const where = item.kind === 'local' ? String(item.config.path) : `s3://${String(item.config.bucket)}/${String(item.config.prefix ?? '')}`;
          console.log(`${item.name}\t${item.kind}\t${where}${item.has_encryption_secret ? '\t(encryption secret set)' : ''}`);
        }
      });
    });

  for (const [command, description] of [
    ['test', 'Write, read and delete a probe object; report free space or bucket reachability'],
    ['init', 'Create the directory or bucket when missing'],
  ] as const) {
    storage
      .command(command)
      .description(description)
      .argument('<name>')
      .option('--json', 'machine-readable output')
      .action(async (name: string, flags: { json?: boolean }) => {
        await withLazyStore(async (lazy) => {
          const { store, secrets } = await lazy.get();
          const target = storageTargetFromRow(await getStorageRow(store.db, name), secrets);
          const opened = openStorage(target.spec);
          try {
            if (command === 'init') {
              const result = await opened.init();
              if (flags.json) json(result);
              else console.log(result.created ? `created ${opened.describe()}` : `${opened.describe()} already exists`);
              return;
            }
            const probe = await opened.probe();
            if (flags.json) json(probe);
            else console.log(`${probe.ok ? 'ok' : 'FAILED'}: ${probe.target}: ${probe.message} (${probe.latencyMs} ms)`);
            if (!probe.ok) throw new PgferryError('PGF_STORAGE_UNREACHABLE', `storage "${target.name}": ${probe.message}`);
          } finally {
            await opened.close();
          }
        });
      });
  }

  storage
    .command('rm')
    .description('Delete a saved storage (refused while backup jobs use it or it holds recorded backups)')
    .argument('<name>')
    .option('--json', 'machine-readable output')
    .action(async (name: string, flags: { json?: boolean }) => {
      await withLazyStore(async (lazy) => {
        const { store } = await lazy.get();
        const view = await deleteStorage(store.db, name);
        if (flags.json) json({ deleted: view.id });
        else console.log(`deleted storage "${view.name}"`);
      });
    });
}
