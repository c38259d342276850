import type { RunExecutors } from '../run-executor.js';
import { backupExecutor } from './backup-executor.js';
import { physicalDrillExecutor } from './physical-drill-executor.js';
import { physicalRestoreExecutor } from './physical-restore-executor.js';
import { restoreExecutor } from './restore-executor.js';
import { syncExecutor } from './sync-executor.js';

/** What `pgferry worker` and `pgferry serve` run: the real sync, backup and restore engines. */
export const defaultExecutors: RunExecutors = { sync: syncExecutor, backup: backupExecutor, restore: (run, context) => ((run.params as { physical?: boolean }).physical ? physicalRestoreExecutor(run, context) : restoreExecutor(run, context)), drill: physicalDrillExecutor };
