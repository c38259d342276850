import { Command, CommanderError } from 'commander';

import { isPgferryError } from '../errors/pgferry-error.js';
import { registerConnectionsCommand } from './commands/connections-command.js';
import { registerDbCommand } from './commands/db-command.js';
import { registerDemoCommand } from './commands/demo-command.js';
import { registerSyncCommand } from './commands/sync-command.js';
import { registerTokensCommand } from './commands/tokens-command.js';
import { registerUsersCommand, registerWhoamiCommand } from './commands/users-command.js';
import { registerKeysCommand } from './commands/keys-command.js';
import { registerDiffCommand } from './commands/diff-command.js';
import { registerServeCommand } from './commands/serve-command.js';
import { registerWorkerCommand } from './commands/worker-command.js';
import { registerJobsCommand } from './commands/jobs-command.js';
import { registerRunsCommand } from './commands/runs-command.js';
import { registerBackupCommand } from './commands/backup-command.js';
import { registerBackupsCommand } from './commands/backups-command.js';
import { registerDrillCommand } from './commands/drill-command.js';
import { registerRestoreCommand } from './commands/restore-command.js';
import { registerStorageCommand } from './commands/storage-command.js';
import { registerVerifyCommand } from './commands/verify-command.js';

export function buildProgram(): Command {
  const program = new Command('pgferry')
    .description('Sync, back up and restore PostgreSQL databases')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerServeCommand(program);
  registerWorkerCommand(program);
  registerJobsCommand(program);
  registerRunsCommand(program);
  registerDbCommand(program);
  registerSyncCommand(program);
  registerDemoCommand(program);
  registerUsersCommand(program);
  registerTokensCommand(program);
  registerWhoamiCommand(program);
  registerConnectionsCommand(program);
  registerKeysCommand(program);
  registerDiffCommand(program);
  registerBackupCommand(program);
  registerRestoreCommand(program);
  registerVerifyCommand(program);
  registerDrillCommand(program);
  registerBackupsCommand(program);
  registerStorageCommand(program);
  return program;
}

/** Runs the CLI; errors become one line on stderr and a documented exit code. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    if (isPgferryError(error)) {
      process.stderr.write(`pgferry: ${error.message} [${error.code}]\n`);
      process.exitCode = error.exitCode;
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`pgferry: unexpected error: ${message}\n`);
    if (process.env.PGFERRY_DEBUG) process.stderr.write(`${(error as Error).stack ?? ''}\n`);
    process.exitCode = 1;
  }
}
