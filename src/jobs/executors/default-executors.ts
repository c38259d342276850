import type { RunExecutors } from '../run-executor.js';
import { backupExecutor } from './backup-executor.js';
import { restoreExecutor } from './restore-executor.js';
import { syncExecutor } from './sync-executor.js';

/** What `pgferry worker` and `pgferry serve` run: the real sync, backup and restore engines. */
export const defaultExecutors: RunExecutors = { sync: syncExecutor, backup: backupExecutor, restore: restoreExecutor };
