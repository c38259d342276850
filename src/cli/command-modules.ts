import type { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Top-level commands and the module that defines each. Only the module of the command being
 * run is loaded (help loads all): `pgferry sync` never pays for the S3 SDK, Fastify or argon2.
 */
export const commandModules: Record<string, () => Promise<Register[]>> = {
  serve: async () => [(await import('./commands/serve-command.js')).registerServeCommand],
  worker: async () => [(await import('./commands/worker-command.js')).registerWorkerCommand],
  jobs: async () => [(await import('./commands/jobs-command.js')).registerJobsCommand],
  runs: async () => [(await import('./commands/runs-command.js')).registerRunsCommand],
  db: async () => [(await import('./commands/db-command.js')).registerDbCommand],
  sync: async () => [(await import('./commands/sync-command.js')).registerSyncCommand],
  cutover: async () => [(await import('./commands/cutover-command.js')).registerCutoverCommand],
  demo: async () => [(await import('./commands/demo-command.js')).registerDemoCommand],
  users: async () => [(await import('./commands/users-command.js')).registerUsersCommand],
  whoami: async () => [(await import('./commands/users-command.js')).registerWhoamiCommand],
  tokens: async () => [(await import('./commands/tokens-command.js')).registerTokensCommand],
  diff: async () => [(await import('./commands/diff-command.js')).registerDiffCommand],
  connections: async () => [(await import('./commands/connections-command.js')).registerConnectionsCommand],
  keys: async () => [(await import('./commands/keys-command.js')).registerKeysCommand],
  backup: async () => [(await import('./commands/backup-command.js')).registerBackupCommand],
  restore: async () => [(await import('./commands/restore-command.js')).registerRestoreCommand],
  verify: async () => [(await import('./commands/verify-command.js')).registerVerifyCommand],
  drill: async () => [(await import('./commands/drill-command.js')).registerDrillCommand],
  backups: async () => [(await import('./commands/backups-command.js')).registerBackupsCommand],
  wal: async () => [(await import('./commands/wal-command.js')).registerWalCommand],
  storage: async () => [(await import('./commands/storage-command.js')).registerStorageCommand],
  replication: async () => [(await import('./commands/replication-command.js')).registerReplicationCommand],
  protection: async () => [(await import('./commands/protection-command.js')).registerProtectionCommand],
};
