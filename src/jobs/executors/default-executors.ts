import type { RunExecutors } from '../run-executor.js';
import { backupExecutor } from './backup-executor.js';
import { syncExecutor } from './sync-executor.js';

/** What `pgferry worker` and `pgferry serve` run: the real sync and backup engines. */
export const defaultExecutors: RunExecutors = { sync: syncExecutor, backup: backupExecutor };
