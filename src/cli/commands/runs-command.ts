import type { Command } from 'commander';

import { runDetailView, runSummaryView } from '../../jobs/job-views.js';
import { validationError } from '../../errors/validation-error.js';
import { listRunLogs } from '../../store/run-log-repository.js';
import { getRun, listRuns, requestCancel } from '../../store/run-repository.js';
import { runStatuses } from '../../store/run-statuses.js';
import type { RunStatus } from '../../store/store-types.js';
import { findBackupJob } from '../../store/backup-job-repository.js';
import { findSyncJob } from '../../store/sync-job-repository.js';
import { printJson, runExitCode, waitForRun, withJobStore } from './jobs-command.js';

const statuses: readonly string[] = runStatuses;

function duration(run: { started_at: string | null; finished_at: string | null }): string {
  if (!run.started_at) return '-';
  const end = run.finished_at ? Date.parse(run.finished_at) : Date.now();
  return `${((end - Date.parse(run.started_at)) / 1000).toFixed(1)}s`;
}

export function registerRunsCommand(program: Command): void {
  const runs = program.command('runs').description('Run history: list, show, logs, cancel');

  runs
    .command('list')
    .description('Recent runs, newest first')
    .option('--job <job>', 'only runs of this job (id or name)')
    .option('--status <list>', `comma-separated: ${statuses.join(', ')}`)
    .option('--limit <n>', 'how many (default 20, at most 200)', '20')
    .option('--json', 'machine-readable output')
    .action(async (flags: { job?: string; status?: string; limit: string; json?: boolean }) => {
      const wanted = flags.status?.split(',').map((status) => status.trim());
      const bad = wanted?.find((status) => !statuses.includes(status));
      if (bad) throw validationError([{ field: '--status', message: `"${bad}" is not one of ${statuses.join(', ')}` }]);
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw validationError([{ field: '--limit', message: 'expected 1 to 200' }]);
      await withJobStore(async (store) => {
        let jobId: string | undefined;
        if (flags.job) {
          const job = (await findSyncJob(store.db, flags.job)) ?? (await findBackupJob(store.db, flags.job));
          if (!job) throw validationError([{ field: '--job', message: `no job with id or name "${flags.job}"` }]);
          jobId = job.id;
        }
        const page = await listRuns(store.db, { limit, job_id: jobId, status: wanted as RunStatus[] | undefined });
        const items = page.items.map(runSummaryView);
        if (flags.json) return printJson({ items, next_cursor: page.next_cursor });
        if (items.length === 0) return console.log('No runs.');
        for (const run of items) {
          console.log(
            `${run.id}  ${run.status.padEnd(10)} ${run.kind.padEnd(6)} ${(run.job_name ?? '-').padEnd(24)} ${run.trigger.padEnd(8)} ${run.queued_at}  ${duration(run).padStart(7)}  ${run.total_rows} rows${run.error_message ? `  ${run.error_message}` : ''}`,
          );
        }
      });
    });

  runs
    .command('show <run>')
    .description('One run with per-table figures and its error')
    .option('--json', 'machine-readable output')
    .action(async (runId: string, flags: { json?: boolean }) => {
      await withJobStore(async (store) => {
        const run = runDetailView(await getRun(store.db, runId));
        if (flags.json) return printJson(run);
        console.log(`run ${run.id}: ${run.status} (${run.kind} job "${run.job_name ?? '-'}", trigger ${run.trigger}, attempt ${run.attempt})`);
        console.log(`queued ${run.queued_at}, started ${run.started_at ?? '-'}, finished ${run.finished_at ?? '-'} (${duration(run)}), worker ${run.worker_id ?? '-'}`);
        console.log(`${run.total_rows} rows, ${run.total_bytes} bytes`);
        for (const table of run.tables as { table: string; status: string; rows: number; bytes: number; error?: string }[]) {
          console.log(`  ${table.status.padEnd(9)} ${table.table}  ${table.rows} rows  ${table.bytes} bytes${table.error ? `  ${table.error}` : ''}`);
        }
        for (const missing of run.missing_objects) console.log(`  not reproduced: ${missing.object}: ${missing.reason}`);
        if (run.error_message) console.log(`error [${run.error_code ?? ''}]: ${run.error_message}`);
      });
    });

  runs
    .command('logs <run>')
    .description("A run's log lines; --follow tails them until the run ends")
    .option('--follow', 'keep printing new lines until the run ends; exit 0 succeeded, 1 failed, 6 cancelled, 15 incomplete')
    .option('--level <level>', 'minimum level: debug, info, warn, error')
    .option('--json', 'one JSON object per line')
    .action(async (runId: string, flags: { follow?: boolean; level?: string; json?: boolean }) => {
      if (flags.level && !['debug', 'info', 'warn', 'error'].includes(flags.level)) throw validationError([{ field: '--level', message: 'expected debug, info, warn or error' }]);
      await withJobStore(async (store) => {
        const run = await getRun(store.db, runId);
        let after: string | undefined;
        const print = async () => {
          for (;;) {
            const lines = await listRunLogs(store.db, run.id, { after_id: after, limit: 1000, level: flags.level as 'info' | undefined });
            for (const line of lines) {
              if (flags.json) console.log(JSON.stringify(line));
              else console.log(`${line.at.toISOString()} ${line.level.toUpperCase().padEnd(5)} ${line.table_name ? `[${line.table_name}] ` : ''}${line.message}`);
              after = line.id;
            }
            if (lines.length < 1000) return;
          }
        };
        await print();
        if (!flags.follow) return;
        const done = await waitForRun(store.db, run.id, () => void print());
        await print();
        process.exitCode = runExitCode(done);
      });
    });

  runs
    .command('cancel <run>')
    .description('Cancel a queued or running run')
    .action(async (runId: string) => {
      await withJobStore(async (store) => {
        const run = await requestCancel(store.db, runId);
        console.log(run.status === 'cancelled' ? `run ${run.id} cancelled` : `cancel requested for run ${run.id}; its worker stops it within seconds`);
      });
    });
}
