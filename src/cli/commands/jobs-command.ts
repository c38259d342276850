import { readFile } from 'node:fs/promises';

import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { parse as parseYaml } from 'yaml';

import { errorCodes } from '../../errors/error-codes.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { describeCron } from '../../cron/cron-schedule.js';
import { backupJobCreateSchema, followJobCreateSchema, syncJobCreateSchema } from '../../jobs/job-input-schemas.js';
import { validationError } from '../../errors/validation-error.js';
import { createCheckedSyncJob } from '../../jobs/sync-job-service.js';
import { createFollowJob } from '../../jobs/follow-job-service.js';
import { followJobView } from '../../jobs/follow-job-views.js';
import { followStates } from '../../store/follow-job-repository.js';
import { backupJobView, syncJobView } from '../../jobs/job-views.js';
import { runJobNow } from '../../jobs/run-service.js';
import { findBackupJob, listBackupJobs } from '../../store/backup-job-repository.js';
import { createBackupJob, deleteBackupJob, setBackupJobEnabled } from '../../jobs/backup-job-service.js';
import { resolveEncryptionKey } from '../../secrets/encryption-key.js';
import { SecretBox } from '../../secrets/secret-box.js';
import { type OpenedStore, openStore } from '../../store/open-store.js';
import { getRun } from '../../store/run-repository.js';
import { isTerminalRunStatus } from '../../store/run-statuses.js';
import type { RunRow, StoreDatabase } from '../../store/store-types.js';
import { findSyncJob, listSyncJobs } from '../../store/sync-job-repository.js';
import { deleteSyncJob, setSyncJobEnabled } from '../../jobs/sync-job-service.js';
import { createCliContext } from '../cli-context.js';
import { isUuid } from '../../store/uuid.js';

export async function withJobStore<T>(work: (store: OpenedStore) => Promise<T>): Promise<T> {
  const { config } = createCliContext();
  const store = await openStore({ config, schema: config.PGFERRY_SCHEMA_MODE === 'auto' ? 'migrate' : 'check' });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

export const printJson = (value: unknown) => console.log(JSON.stringify(value, null, 2));
const list = (value: string) => value.split(',').map((item) => item.trim()).filter(Boolean);
type Kind = 'sync' | 'backup';

function kindOption(value: string | undefined): Kind | undefined {
  if (value === undefined) return undefined;
  if (value !== 'sync' && value !== 'backup') throw validationError([{ field: '--kind', message: `expected sync or backup, got "${value}"` }]);
  return value;
}

/** `jobs list` also lists continuous-sync jobs (managed with `pgferry replication`). */
function listKindOption(value: string | undefined): Kind | 'follow' | undefined {
  if (value === 'follow') return value;
  if (value !== undefined && value !== 'sync' && value !== 'backup') throw validationError([{ field: '--kind', message: `expected sync, backup or follow, got "${value}"` }]);
  return kindOption(value);
}

/** A job by id or name across both kinds; a name used by both needs --kind. */
async function resolveJob(db: Kysely<StoreDatabase>, idOrName: string, kind: Kind | undefined) {
  const sync = kind === 'backup' ? undefined : await findSyncJob(db, idOrName);
  const backup = kind === 'sync' ? undefined : await findBackupJob(db, idOrName);
  if (sync && backup) throw new PgferryError('PGF_CONFLICT', `both a sync job and a backup job are called "${idOrName}"; add --kind sync or --kind backup`);
  if (sync) return { kind: 'sync' as const, view: syncJobView(sync) };
  if (backup) return { kind: 'backup' as const, view: backupJobView(backup) };
  throw new PgferryError('PGF_NOT_FOUND', `no ${kind ?? 'sync or backup'} job with id or name "${idOrName}"; see \`pgferry jobs list\``);
}

async function connectionId(db: Kysely<StoreDatabase>, idOrName: string | undefined, flag: string): Promise<string | undefined> {
  if (idOrName === undefined) return undefined;
  const row = await db
    .selectFrom('connections')
    .select('id')
    .where((eb) => (isUuid(idOrName) ? eb('id', '=', idOrName) : eb(eb.fn('lower', ['name']), '=', idOrName.toLowerCase())))
    .executeTakeFirst();
  if (!row) throw validationError([{ field: flag, message: `no connection with id or name "${idOrName}" (see \`pgferry connections list\`)` }]);
  return row.id;
}

async function storageIds(db: Kysely<StoreDatabase>, names: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const name of names) {
    const row = await db
      .selectFrom('storages')
      .select('id')
      .where((eb) => (isUuid(name) ? eb('id', '=', name) : eb(eb.fn('lower', ['name']), '=', name.toLowerCase())))
      .executeTakeFirst();
    if (!row) throw validationError([{ field: '--storage', message: `no storage with id or name "${name}"` }]);
    ids.push(row.id);
  }
  return ids;
}

function intFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw validationError([{ field: flag, message: `expected a whole number, got "${value}"` }]);
  return Number(value);
}

interface CreateFlags {
  file?: string;
  name?: string;
  source?: string;
  destination?: string;
  connection?: string;
  storage?: string[];
  cron?: string;
  timezone?: string;
  mode?: string;
  schemas?: string[];
  tables?: string[];
  exclude?: string[];
  parallelism?: string;
  retryMax?: string;
  retryBackoff?: string;
  timeout?: string;
  format?: string;
  compress?: string;
  keepLast?: string;
  incrementalFullEvery?: string;
  disabled?: boolean;
  json?: boolean;
}

function parseIssues(result: { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } }): PgferryError {
  return validationError(result.error.issues.map((issue) => ({ field: issue.path.map(String).join('.') || '(job)', message: issue.message })));
}

/** A continuous-sync job (kind follow): the sync fields without schedule or mode. */
async function createFollowFromFlags(db: Kysely<StoreDatabase>, flags: CreateFlags, secrets: SecretBox) {
  for (const [flag, value] of [['--cron', flags.cron], ['--mode', flags.mode], ['--timezone', flags.timezone], ['--retry-max', flags.retryMax], ['--timeout', flags.timeout]] as const) {
    if (value !== undefined) throw validationError([{ field: flag, message: 'a continuous-sync job has no schedule, mode, retries or timeout: it copies once, then streams until paused or dropped' }]);
  }
  let body: Record<string, unknown> = {};
  if (flags.file) {
    const text = await readFile(flags.file, 'utf8');
    body = (flags.file.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as Record<string, unknown>;
  }
  const selection = { ...(flags.schemas ? { schemas: flags.schemas } : {}), ...(flags.tables ? { tables: flags.tables } : {}), ...(flags.exclude ? { exclude: flags.exclude } : {}) };
  const candidate = {
    ...body,
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(Object.keys(selection).length > 0 ? { selection } : {}),
    ...(flags.parallelism !== undefined ? { parallelism: intFlag(flags.parallelism, '--parallelism') } : {}),
    ...(flags.disabled ? { enabled: false } : {}),
    ...(flags.source ? { source_connection_id: await connectionId(db, flags.source, '--source') } : {}),
    ...(flags.destination ? { destination_connection_id: await connectionId(db, flags.destination, '--destination') } : {}),
  };
  const parsed = followJobCreateSchema.safeParse(candidate);
  if (!parsed.success) throw parseIssues(parsed);
  return followJobView(await createFollowJob(db, secrets, parsed.data));
}

async function createFromFlags(db: Kysely<StoreDatabase>, kind: Kind, flags: CreateFlags, secrets: () => Promise<SecretBox>) {
  let body: Record<string, unknown> = {};
  if (flags.file) {
    const text = await readFile(flags.file, 'utf8');
    body = (flags.file.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as Record<string, unknown>;
  }
  const selection = { ...(flags.schemas ? { schemas: flags.schemas } : {}), ...(flags.tables ? { tables: flags.tables } : {}), ...(flags.exclude ? { exclude: flags.exclude } : {}) };
  const common = {
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(flags.cron !== undefined ? { cron: flags.cron } : {}),
    ...(flags.timezone !== undefined ? { timezone: flags.timezone } : {}),
    ...(Object.keys(selection).length > 0 ? { selection } : {}),
    ...(flags.parallelism !== undefined ? { parallelism: intFlag(flags.parallelism, '--parallelism') } : {}),
    ...(flags.retryMax !== undefined ? { retry_max: intFlag(flags.retryMax, '--retry-max') } : {}),
    ...(flags.retryBackoff !== undefined ? { retry_backoff_s: intFlag(flags.retryBackoff, '--retry-backoff') } : {}),
    ...(flags.timeout !== undefined ? { timeout_s: intFlag(flags.timeout, '--timeout') } : {}),
    ...(flags.disabled ? { enabled: false } : {}),
  };
  if (kind === 'sync') {
    const candidate = {
      ...body,
      ...common,
      ...(flags.source ? { source_connection_id: await connectionId(db, flags.source, '--source') } : {}),
      ...(flags.destination ? { destination_connection_id: await connectionId(db, flags.destination, '--destination') } : {}),
      ...(flags.mode ? { default_mode: flags.mode } : {}),
    };
    const parsed = syncJobCreateSchema.safeParse(candidate);
    if (!parsed.success) throw parseIssues(parsed);
    return syncJobView(await createCheckedSyncJob(db, await secrets(), parsed.data));
  }
  const candidate = {
    ...body,
    ...common,
    ...(flags.connection ? { connection_id: await connectionId(db, flags.connection, '--connection') } : {}),
    ...(flags.storage ? { storage_ids: await storageIds(db, flags.storage) } : {}),
    ...(flags.format ? { format: flags.format } : {}),
    ...(flags.compress ? { compression: flags.compress } : {}),
    ...(flags.keepLast ? { retention: { keep_last: intFlag(flags.keepLast, '--keep-last') } } : {}),
    ...(flags.incrementalFullEvery !== undefined ? { incremental_full_every: intFlag(flags.incrementalFullEvery, '--incremental-full-every') } : {}),
  };
  const parsed = backupJobCreateSchema.safeParse(candidate);
  if (!parsed.success) throw parseIssues(parsed);
  return backupJobView(await createBackupJob(db, parsed.data));
}

/** Polls the store until the run ends; the exit code tells scripts how it went. */
export async function waitForRun(db: Kysely<StoreDatabase>, runId: string, onTick?: (run: RunRow) => void): Promise<RunRow> {
  for (;;) {
    const run = await getRun(db, runId);
    onTick?.(run);
    if (isTerminalRunStatus(run.status)) return run;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** 0 succeeded, 1 failed, 6 cancelled, 15 incomplete (the exits of PGF_RUN_CANCELLED and PGF_RUN_INCOMPLETE). */
export function runExitCode(run: Pick<RunRow, 'status'>): number {
  if (run.status === 'succeeded') return 0;
  if (run.status === 'cancelled') return errorCodes.PGF_RUN_CANCELLED.exit;
  if (run.status === 'incomplete') return errorCodes.PGF_RUN_INCOMPLETE.exit;
  return 1;
}

function scheduleText(view: { cron: string | null; timezone: string; enabled: boolean; next_fire_at: string | null }): string {
  if (!view.cron) return 'on demand';
  return `${view.cron} (${view.timezone}; ${describeCron(view.cron)})${view.enabled ? `, next ${view.next_fire_at ?? '-'}` : ', disabled'}`;
}

export function registerJobsCommand(program: Command): void {
  const jobs = program.command('jobs').description('Saved sync and backup jobs: list, create, run now, enable/disable, remove');

  jobs
    .command('list')
    .description('List saved jobs with their schedules')
    .option('--kind <kind>', 'sync, backup or follow (continuous sync)')
    .option('--json', 'machine-readable output')
    .action(async (flags: { kind?: string; json?: boolean }) => {
      const kind = listKindOption(flags.kind);
      await withJobStore(async (store) => {
        const query = { page: 1, page_size: 200 };
        const sync = kind === undefined || kind === 'sync' ? (await listSyncJobs(store.db, query)).items.map(syncJobView) : [];
        const backup = kind === undefined || kind === 'backup' ? (await listBackupJobs(store.db, query)).items.map(backupJobView) : [];
        const followJobs = kind === undefined || kind === 'follow' ? (await listSyncJobs(store.db, { ...query, kind: 'follow' })).items : [];
        const states = await followStates(store.db, followJobs.map((job) => job.id));
        const follow = followJobs.flatMap((job) => {
          const state = states.get(job.id);
          return state ? [followJobView({ ...job, follow: state })] : [];
        });
        if (flags.json) return printJson({ items: [...sync, ...backup, ...follow] });
        if (sync.length + backup.length + follow.length === 0) return console.log('No jobs yet; create one with `pgferry jobs create sync|backup|follow …` or in the web UI.');
        for (const job of [...sync, ...backup]) console.log(`${job.kind.padEnd(6)} ${job.id}  ${job.name}  — ${scheduleText(job)}`);
        for (const job of follow) console.log(`${'follow'.padEnd(6)} ${job.id}  ${job.name}  — continuous, ${job.state} (\`pgferry replication show ${job.name}\`)`);
      });
    });

  jobs
    .command('show <job>')
    .description('Show one job (id or name)')
    .option('--kind <kind>', 'sync or backup, when a name is used by both')
    .option('--json', 'machine-readable output')
    .action(async (idOrName: string, flags: { kind?: string; json?: boolean }) => {
      await withJobStore(async (store) => {
        const job = await resolveJob(store.db, idOrName, kindOption(flags.kind));
        if (flags.json) return printJson(job.view);
        console.log(`${job.kind} job "${job.view.name}" (${job.view.id})`);
        console.log(`schedule: ${scheduleText(job.view)}`);
        console.log(`retries: ${job.view.retry_max} (backoff ${job.view.retry_backoff_s} s), timeout: ${job.view.timeout_s ?? 'none'}`);
        console.log(JSON.stringify(job.view, null, 2));
      });
    });

  jobs
    .command('create <kind>')
    .description('Create a sync, backup or follow (continuous sync) job from flags and/or --file (YAML or JSON with the API fields)')
    .option('--file <path>', 'job definition (fields as in POST /api/v1/sync-jobs or /backup-jobs)')
    .option('--name <name>', 'job name')
    .option('--source <connection>', 'sync: source connection (id or name)')
    .option('--destination <connection>', 'sync: destination connection (id or name)')
    .option('--connection <connection>', 'backup: connection to back up (id or name)')
    .option('--storage <list>', 'backup: storages (ids or names, comma-separated)', list)
    .option('--cron <expr>', 'cron, 5 fields or 6 with seconds first')
    .option('--timezone <zone>', 'IANA time zone of the cron (default UTC)')
    .option('--mode <mode>', 'sync: full, append, upsert, incremental or mirror')
    .option('--schemas <list>', 'schemas to include', list)
    .option('--tables <globs>', 'tables to include (schema.table globs)', list)
    .option('--exclude <globs>', 'tables to leave out', list)
    .option('--parallelism <n>', 'tables at once')
    .option('--retry-max <n>', 'automatic retries after a failure')
    .option('--retry-backoff <seconds>', 'first retry delay (doubles after)')
    .option('--timeout <seconds>', 'fail a run after this long')
    .option('--format <format>', 'backup: native, pg_dump or physical')
    .option('--compress <kind>', 'backup: gzip, zstd or none')
    .option('--keep-last <n>', 'backup: keep the newest N backups')
    .option('--incremental-full-every <n>', 'backup, format physical: incremental backups (PostgreSQL 17+, summarize_wal = on), a full one every N runs')
    .option('--disabled', 'create the job with its schedule off')
    .option('--json', 'machine-readable output')
    .action(async (kindText: string, flags: CreateFlags) => {
      await withJobStore(async (store) => {
        // The key opens the connections' passwords, to check the job's options against the servers.
        const secrets = async () => {
          const { config, logger } = createCliContext();
          return new SecretBox(await resolveEncryptionKey(config, logger));
        };
        if (kindText === 'follow') {
          const view = await createFollowFromFlags(store.db, flags, await secrets());
          if (flags.json) return printJson(view);
          return console.log(`created continuous-sync job "${view.name}" (${view.id}); a worker starts following it (see \`pgferry replication show ${view.name}\`)`);
        }
        const kind = kindOption(kindText) as Kind;
        const view = await createFromFlags(store.db, kind, flags, secrets);
        if (flags.json) return printJson(view);
        console.log(`created ${kind} job "${view.name}" (${view.id}); schedule: ${scheduleText(view)}`);
      });
    });

  jobs
    .command('run <job>')
    .description('Queue a run of a job now (a worker or `pgferry serve` runs it); --wait follows it to the end')
    .option('--kind <kind>', 'sync or backup, when a name is used by both')
    .option('--wait', 'wait for the run to end; exit 0 succeeded, 1 failed, 6 cancelled, 15 incomplete')
    .option('--json', 'machine-readable output')
    .action(async (idOrName: string, flags: { kind?: string; wait?: boolean; json?: boolean }) => {
      await withJobStore(async (store) => {
        const job = await resolveJob(store.db, idOrName, kindOption(flags.kind));
        const run = await runJobNow(store.db, job.kind, job.view.id, { trigger: 'cli', createdBy: process.env.USER ?? null });
        if (!flags.wait) {
          if (flags.json) return printJson({ run_id: run.id, status: run.status });
          return console.log(`queued run ${run.id} of ${job.kind} job "${job.view.name}"; follow it with \`pgferry runs logs ${run.id} --follow\``);
        }
        let last = '';
        const done = await waitForRun(store.db, run.id, (current) => {
          if (!flags.json && current.status !== last) console.error(`run ${current.id}: ${current.status}`);
          last = current.status;
        });
        if (flags.json) {
          printJson({ run_id: done.id, status: done.status, total_rows: Number(done.total_rows), total_bytes: Number(done.total_bytes), error_message: done.error_message, missing_objects: done.missing_objects });
        } else {
          console.log(`run ${done.id} ${done.status}${done.error_message ? `: ${done.error_message}` : ''}`);
          for (const missing of done.missing_objects) console.log(`  not reproduced: ${missing.object}: ${missing.reason}`);
        }
        process.exitCode = runExitCode(done);
      });
    });

  for (const action of ['enable', 'disable'] as const) {
    jobs
      .command(`${action} <job>`)
      .description(`${action === 'enable' ? 'Turn on' : 'Turn off'} the schedule of a job`)
      .option('--kind <kind>', 'sync or backup, when a name is used by both')
      .action(async (idOrName: string, flags: { kind?: string }) => {
        await withJobStore(async (store) => {
          const job = await resolveJob(store.db, idOrName, kindOption(flags.kind));
          const updated = job.kind === 'sync' ? syncJobView(await setSyncJobEnabled(store.db, job.view.id, action === 'enable')) : backupJobView(await setBackupJobEnabled(store.db, job.view.id, action === 'enable'));
          console.log(`${job.kind} job "${updated.name}" ${action}d; schedule: ${scheduleText(updated)}`);
        });
      });
  }

  jobs
    .command('rm <job>')
    .description('Delete a job (its runs stay in the history)')
    .option('--kind <kind>', 'sync or backup, when a name is used by both')
    .action(async (idOrName: string, flags: { kind?: string }) => {
      await withJobStore(async (store) => {
        const job = await resolveJob(store.db, idOrName, kindOption(flags.kind));
        if (job.kind === 'sync') await deleteSyncJob(store.db, job.view.id);
        else await deleteBackupJob(store.db, job.view.id);
        console.log(`deleted ${job.kind} job "${job.view.name}"`);
      });
    });
}
