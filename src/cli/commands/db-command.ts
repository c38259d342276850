import type { Command } from 'commander';

import { writeMigrationRevision } from '../../store/migration-template.js';
import { type OpenedStore, openStore, translateStoreError } from '../../store/open-store.js';
import { createCliContext } from '../cli-context.js';

async function withStore<T>(work: (store: OpenedStore) => Promise<T>): Promise<T> {
  const { config } = createCliContext();
  const store = await openStore({ config, schema: 'none' });
  try {
    return await work(store);
  } catch (error) {
    throw translateStoreError(error);
  } finally {
    await store.close();
  }
}

const json = (value: unknown) => console.log(JSON.stringify(value, null, 2));

export function registerDbCommand(program: Command): void {
  const db = program.command('db').description("Manage the metadata store's schema (migrations)");

  db.command('upgrade')
    .description('Apply pending migrations (all, or up to --to NAME)')
    .option('--to <name>', 'stop after this migration')
    .option('--json', 'machine-readable output')
    .action(async (options: { to?: string; json?: boolean }) => {
      const applied = await withStore((store) => store.migrator.upgrade(options.to));
      if (options.json) return json({ applied });
      console.log(applied.length === 0 ? 'Already up to date.' : applied.map((name) => `applied ${name}`).join('\n'));
    });

  db.command('downgrade')
    .description('Revert the last migration, or every migration after --to NAME ("base" reverts all)')
    .option('--to <name>', 'migration to end on, or "base"')
    .option('--json', 'machine-readable output')
    .action(async (options: { to?: string; json?: boolean }) => {
      const reverted = await withStore((store) => store.migrator.downgrade(options.to));
      if (options.json) return json({ reverted });
      console.log(reverted.length === 0 ? 'Nothing to revert.' : reverted.map((name) => `reverted ${name}`).join('\n'));
    });

  db.command('current')
    .description('Show the last applied migration and what is pending')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const status = await withStore((store) => store.migrator.status());
      if (options.json) return json(status);
      console.log(status.current ?? '(no migrations applied)');
      if (status.pending.length > 0) console.log(`pending: ${status.pending.join(', ')}`);
      if (status.unknown.length > 0) console.log(`unknown to this pgferry: ${status.unknown.join(', ')}`);
    });

  db.command('history')
    .description('List every migration with when it was applied')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const history = await withStore((store) => store.migrator.history());
      if (options.json) return json(history);
      for (const item of history) {
        console.log(`${item.executedAt ? item.executedAt.toISOString() : 'pending                 '}  ${item.name}`);
      }
    });

  db.command('revision')
    .description('Write a new, numbered migration file from the template')
    .requiredOption('-m, --message <text>', 'what the migration does')
    .option('--dir <path>', 'migrations folder (default: the one pgferry runs from)')
    .action(async (options: { message: string; dir?: string }) => {
      const file = await writeMigrationRevision(options.message, options.dir);
      console.log(`created ${file}`);
    });
}
