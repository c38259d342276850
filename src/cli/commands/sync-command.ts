import { randomUUID } from 'node:crypto';

import type { Command } from 'commander';
import type pg from 'pg';

import { connectionConfigFromUrl, describeTarget } from '../../engine/connection-config.js';
import { planSync, runSync } from '../../engine/sync/run-sync.js';
import { splitList } from '../../engine/sync/select-tables.js';
import type { SyncVerification } from '../../engine/verify/verify-after-sync.js';
import { SyncStateFile } from '../../engine/sync/sync-state-file.js';
import type { SyncPlan } from '../../engine/sync/sync-plan-types.js';
import { type SchemaPolicy, type SyncMode, type SyncOptions, type SyncResult, destructiveModes, keyedModes, schemaPolicies, syncModes } from '../../engine/types.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { formatBytes } from '../../engine/format-bytes.js';
import { createProgressReporter, summaryLine } from './sync-progress.js';

interface SyncCommandOptions {
  from: string;
  to: string;
  schemas?: string;
  tables?: string;
  exclude?: string;
  mode: string;
  cursor?: string;
  where?: string;
  rules?: string;
  schemaPolicy: string;
  jobs: string;
  splitRows?: string;
  owners?: boolean;
  grants?: boolean;
  verify?: boolean;
  resume?: string;
  dryRun?: boolean;
  json?: boolean;
  yes?: boolean;
  follow?: boolean;
  followId?: string;
  batchChanges?: string;
  batchWait?: string;
}

export interface ResolvedTarget {
  config: pg.ClientConfig;
  label: string;
  protected: boolean;
}

const isUrl = (value: string) => /^postgres(ql)?:\/\//i.test(value.trim());

/** URLs are used as given; anything else names a saved connection in the metadata store. */
export async function resolveTargets(values: string[]): Promise<ResolvedTarget[]> {
  if (values.every(isUrl)) {
    return values.map((value) => {
      const config = connectionConfigFromUrl(value);
      return { config, label: describeTarget(config), protected: false };
    });
  }
  // The store, secrets and logger are loaded only when a name must be resolved: a URL-only
  // sync keeps its memory for the data.
  const [{ createCliContext }, { resolveEncryptionKey }, { SecretBox }, { loadConnectionTarget }, { openStore }] = await Promise.all([
    import('../cli-context.js'),
    import('../../secrets/encryption-key.js'),
    import('../../secrets/secret-box.js'),
    import('../../store/connection-repository.js'),
    import('../../store/open-store.js'),
  ]);
  const { config, logger } = createCliContext();
  const secrets = new SecretBox(await resolveEncryptionKey(config, logger));
  const store = await openStore({ config, schema: config.PGFERRY_SCHEMA_MODE === 'auto' ? 'migrate' : 'check' });
  try {
    const out: ResolvedTarget[] = [];
    for (const value of values) {
      if (isUrl(value)) {
        const target = connectionConfigFromUrl(value);
        out.push({ config: target, label: describeTarget(target), protected: false });
      } else {
        const target = await loadConnectionTarget(store.db, secrets, value.trim());
        out.push({ config: target.config, label: `${target.name} (${describeTarget(target.config)})`, protected: target.protected });
      }
    }
    return out;
  } finally {
    await store.close();
  }
}

function positiveInteger(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 1_000_000_000) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `${flag} expects a positive integer, got "${value}"`);
  }
  return number;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new PgferryError('PGF_VALIDATION_FAILED', `${flag} must be one of ${allowed.join(', ')}; got "${value}"`);
  return value as T;
}

/** The --dry-run text: tables in load order with mode, key, estimate, DDL and constraint handling. */
export function formatPlan(plan: SyncPlan): string {
  const lines: string[] = [`plan: mode ${plan.mode}, schema policy ${plan.schemaPolicy}, source ${plan.sourceVersion}, destination ${plan.destinationVersion}`];
  if (plan.schema.length > 0) {
    // Every object of the selection in creation order: what is created, what exists, what cannot be.
    lines.push('', 'schema objects in creation order:');
    plan.schema.forEach((o, i) => {
      lines.push(`  ${String(i + 1).padStart(4)}. ${o.section.padEnd(9)} ${o.action.padEnd(7)} ${o.object}${o.reason ? ` — NOT REPRODUCED: ${o.reason}` : ''}`);
    });
  }
  if (plan.excluded.length > 0) {
    lines.push('', 'left out by the selection:');
    for (const e of plan.excluded) lines.push(`  ${e.object}: ${e.reason}`);
  }
  if (plan.extensions.length + plan.preData.length > 0) {
    lines.push('', 'pre-data (one transaction):');
    for (const s of [...plan.extensions, ...plan.preData]) lines.push(`  ${(s.shown ?? s.sql).split('\n').join('\n  ')};`);
  }
  lines.push('', 'tables in load order:');
  plan.tables.forEach((t, i) => {
    const key = t.key ? `${t.key.join(', ')} (${t.keySource ?? 'key'})` : 'none';
    lines.push(`  ${String(i + 1).padStart(3)}. ${t.id}  [${t.status}] mode ${t.mode}, key ${key}, ~${t.estimatedRows} rows, ${formatBytes(t.estimatedBytes)}, ${t.format} COPY${t.createTable ? ', created' : ''}`);
    if (t.reason) lines.push(`       ${t.reason.message}`);
    if (t.where) lines.push(`       where ${t.where.replace(/\s+/g, ' ')}`);
    for (const r of t.rules) lines.push(`       rule ${r.column}: ${r.strategy}`);
    for (const s of t.ddl) lines.push(`       ${s.sql};`);
    if (t.postData.length > 0) lines.push(`       after its data: ${t.postData.length} statements (keys, indexes, checks, triggers)`);
    if (t.dependsOn.length > 0) lines.push(`       after: ${t.dependsOn.join(', ')}`);
    for (const n of t.notes) lines.push(`       note: ${n}`);
  });
  if (plan.droppedForeignKeys.length > 0) {
    lines.push('', 'foreign keys dropped during the load and re-created (validated) after it:');
    for (const fk of plan.droppedForeignKeys) lines.push(`  ${fk.table.schema}.${fk.table.name} ${fk.name}: ${fk.why}`);
  }
  if (plan.finalDdl.length > 0) {
    lines.push('', 'after all data (foreign keys, index attachments, publications, refreshes…):');
    for (const s of plan.finalDdl) lines.push(`  ${s.sql.split('\n')[0]}${s.sql.includes('\n') ? ' …' : ''};`);
  }
  if (plan.privileges.length > 0) {
    lines.push('', 'owners and grants after the load:');
    for (const s of plan.privileges) lines.push(`  ${s.sql};`);
  }
  if (plan.sequences.length > 0) lines.push('', `sequences set from the source after the load: ${plan.sequences.map((s) => `${s.name.schema}.${s.name.name}`).join(', ')}`);
  for (const w of plan.warnings) lines.push(`warning: ${w}`);
  if (plan.missingObjects.length > 0) {
    lines.push('', `${plan.missingObjects.length} object(s) cannot be reproduced on the destination; the run would end incomplete (exit 15):`);
    for (const m of plan.missingObjects) lines.push(`  ${m.object}: ${m.reason}`);
  }
  return lines.join('\n');
}

/** `sync --follow`: the copy is always full, then the stream keeps the tables equal. */
async function syncFollow(raw: SyncCommandOptions): Promise<void> {
  const conflicting = [
    raw.mode !== 'full' ? '--mode' : '',
    raw.cursor ? '--cursor' : '',
    raw.resume ? '--resume' : '',
    raw.dryRun ? '--dry-run' : '',
    raw.verify ? '--verify' : '',
    raw.splitRows ? '--split-rows' : '',
  ].filter((flag) => flag !== '');
  if (conflicting.length > 0) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `--follow copies in mode full and then streams; it does not take ${conflicting.join(', ')} (use pgferry cutover to verify)`);
  }
  const schemaPolicy = oneOf<SchemaPolicy>(raw.schemaPolicy, schemaPolicies, '--schema-policy');
  const jobs = positiveInteger(raw.jobs, '--jobs') ?? 1;
  const [source, destination] = await resolveTargets([raw.from, raw.to]);
  if (destination!.protected) throw new PgferryError('PGF_DESTINATION_PROTECTED', `${destination!.label} is protected; --follow replaces the selected tables with the source's (mode full)`);
  if (process.stdin.isTTY && !raw.yes) {
    throw new PgferryError('PGF_CONFIRMATION_REQUIRED', `--follow replaces the contents of the selected tables on ${destination!.label} (mode full) and then streams into them; run again with --yes`);
  }
  const rules = raw.rules ? await (await import('../../engine/sync/rules-file.js')).readRulesFile(raw.rules) : undefined;
  const { deriveFollowId, parseDurationMs } = await import('./follow-cli-support.js');
  const selection = { schemas: splitList(raw.schemas), tables: splitList(raw.tables), exclude: splitList(raw.exclude) };
  const { runFollowCommand } = await import('./sync-follow.js');
  await runFollowCommand(
    {
      source: source!.config,
      destination: destination!.config,
      ...selection,
      where: raw.where,
      rules: rules?.rules,
      ruleKey: rules?.key,
      schemaPolicy,
      jobs,
      owners: raw.owners === true,
      grants: raw.grants === true,
      followId: raw.followId ?? deriveFollowId(source!.config, destination!.config, selection),
      batchChanges: positiveInteger(raw.batchChanges, '--batch-changes'),
      batchWaitMs: raw.batchWait === undefined ? undefined : parseDurationMs(raw.batchWait, '--batch-wait'),
    },
    raw.json === true,
  );
}

export function registerSyncCommand(program: Command): void {
  program
    .command('sync')
    .description('Copy tables between PostgreSQL databases (URL or saved connection name) in one consistent snapshot')
    .requiredOption('--from <url|name>', 'source database')
    .requiredOption('--to <url|name>', 'destination database')
    .option('--schemas <list>', 'comma-separated schemas (default: all non-system schemas)')
    .option('--tables <globs>', "comma-separated globs on schema.table or table, e.g. 'sales.*,hr.staff'")
    .option('--exclude <globs>', 'comma-separated globs to leave out')
    .option('--mode <mode>', `one of ${syncModes.join(', ')}`, 'full')
    .option('--cursor <column>', 'cursor column for incremental (updated_at or an increasing id)')
    .option('--where <sql>', 'boolean filter applied to every table, run in the read-only snapshot')
    .option('--rules <file>', 'YAML file of column rules (anonymisation)')
    .option('--schema-policy <policy>', `one of ${schemaPolicies.join(', ')}`, 'create-missing')
    .option('--jobs <n>', 'tables copied at once', '1')
    .option('--split-rows <n>', 'split tables with more estimated rows into ranges of the key (or of pages when there is no key)')
    .option('--owners', "give the copied tables, sequences, views and schemas the source's owners (the roles must exist on the destination)")
    .option('--grants', "add the source's GRANTs on the copied objects (tables, columns, sequences, views, schemas, functions, types)")
    .option('--verify', 'compare row counts and checksums after the load')
    .option('--resume <run>', 'resume a failed or cancelled run: skip what it committed')
    .option('--dry-run', 'print the plan and write nothing')
    .option('--json', 'events and the result as JSON lines on stdout')
    .option('--yes', 'confirm a destructive mode (full, mirror) when running on a terminal')
    .option('--follow', 'after the copy, stream changes (logical replication) until Ctrl-C; a restart resumes where it stopped')
    .option('--follow-id <id>', 'name of the follow (default: derived from the two databases and the selection)')
    .option('--batch-changes <n>', 'with --follow: changes per destination transaction at most (default 5000)')
    .option('--batch-wait <duration>', 'with --follow: longest wait before a partial batch is committed (default 100ms)')
    .action(async (raw: SyncCommandOptions) => {
      if (raw.follow) return syncFollow(raw);
      const mode = oneOf<SyncMode>(raw.mode, syncModes, '--mode');
      const schemaPolicy = oneOf<SchemaPolicy>(raw.schemaPolicy, schemaPolicies, '--schema-policy');
      const jobs = positiveInteger(raw.jobs, '--jobs') ?? 1;
      if (jobs > 64) throw new PgferryError('PGF_VALIDATION_FAILED', '--jobs must be at most 64');
      if (mode === 'incremental' && !raw.cursor) throw new PgferryError('PGF_VALIDATION_FAILED', '--mode incremental needs --cursor COLUMN (e.g. --cursor updated_at)');
      const [source, destination] = await resolveTargets([raw.from, raw.to]);
      // Loaded only with --rules: the YAML parser is a tenth of the command's start-up.
      const rules = raw.rules ? await (await import('../../engine/sync/rules-file.js')).readRulesFile(raw.rules) : undefined;
      const state = new SyncStateFile();
      let runId: string = randomUUID();
      let resumeCommitted: Set<string> | undefined;
      if (raw.resume) {
        resumeCommitted = await state.committed(raw.resume);
        if (resumeCommitted === undefined) {
          throw new PgferryError('PGF_SYNC_RUN_NOT_FOUND', `run ${raw.resume} has no saved progress in ${state.path}; start a new sync without --resume`);
        }
        runId = raw.resume;
      }
      const options: SyncOptions = {
        source: source!.config,
        destination: destination!.config,
        schemas: splitList(raw.schemas),
        tables: splitList(raw.tables),
        exclude: splitList(raw.exclude),
        mode,
        cursor: raw.cursor,
        where: raw.where,
        rules: rules?.rules,
        ruleKey: rules?.key,
        schemaPolicy,
        jobs,
        splitRows: positiveInteger(raw.splitRows, '--split-rows'),
        owners: raw.owners === true,
        grants: raw.grants === true,
        destinationProtected: destination!.protected,
        runId,
        resumeCommitted,
        highWaterScope: `${source!.label} -> ${destination!.label}`,
      };
      // {{last_success_at}}: the start of the last successful sync between the same two databases.
      const startedAt = new Date().toISOString();
      options.placeholders = { last_success_at: (await state.lastSuccessAt(options.highWaterScope!)) ?? '-infinity', run_started_at: startedAt };
      const out = (text: string) => process.stdout.write(text);
      if (raw.dryRun) {
        const plan = await planSync(options, { highWater: state });
        if (raw.json) {
          // A user mapping's statement holds its password: only the masked text is printed.
          const printable = (list: typeof plan.preData) => list.map(({ shown, ...s }) => ({ ...s, sql: shown ?? s.sql }));
          out(`${JSON.stringify({ ...plan, extensions: printable(plan.extensions), preData: printable(plan.preData), tables: plan.tables.map(({ source: _source, ...rest }) => rest) })}\n`);
        }
        else out(`${formatPlan(plan)}\n`);
        return;
      }
      if (destructiveModes.has(mode) && process.stdin.isTTY && !raw.yes && !destination!.protected) {
        throw new PgferryError(
          'PGF_CONFIRMATION_REQUIRED',
          `mode "${mode}" ${mode === 'full' ? 'replaces the contents of' : 'deletes rows from'} the selected tables on ${destination!.label}; run again with --yes (or --dry-run to see the plan)`,
        );
      }
      const reporter = createProgressReporter(raw.json ? 'json' : process.stderr.isTTY ? 'tty' : 'plain', raw.json ? out : undefined);
      const controller = new AbortController();
      const onSignal = () => controller.abort(new PgferryError('PGF_RUN_CANCELLED', 'the sync was interrupted'));
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let result: SyncResult;
      let verification: SyncVerification | undefined;
      // The handlers stay installed through verify, so Ctrl-C also cancels its checksum queries.
      try {
        result = await runSync(options, { signal: controller.signal, onEvent: reporter, highWater: state, checkpoints: state });
        if (result.status === 'succeeded') await state.setLastSuccessAt(options.highWaterScope!, startedAt);
        if (raw.verify && !controller.signal.aborted) {
          try {
            const { verifyAfterSync } = await import('../../engine/verify/verify-after-sync.js');
            verification = await verifyAfterSync(options, result, (line) => process.stderr.write(`${line}\n`), controller.signal);
          } catch (error) {
            if (!controller.signal.aborted) throw error;
            out(`${summaryLine(result)}\n`);
            throw new PgferryError('PGF_RUN_CANCELLED', 'verification was interrupted; the sync itself had finished (see the line above)');
          }
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      if (raw.json) out(`${JSON.stringify({ type: 'result', result, verification })}\n`);
      else {
        out(`${summaryLine(result)}\n`);
        if (verification) {
          const skipped = verification.notVerified.length > 0 ? `; ${verification.notVerified.length} not verified: filtered` : '';
          out(`verify: ${verification.verified ? 'all tables equal' : 'DIFFERENCES FOUND'} (${verification.tables.length} tables, ${formatBytes(verification.bytesTransferred)} transferred${skipped})\n`);
        }
        if (result.status === 'incomplete') {
          out(`${result.missingObjects.length} schema object(s) not reproduced on the destination:\n`);
          for (const missing of result.missingObjects) out(`  not reproduced: ${missing.object}: ${missing.reason}\n`);
        }
        // Resuming skips committed tables: no help to an incomplete run, whose tables all are.
        if (result.status === 'failed' || result.status === 'cancelled') out(`resume with: pgferry sync … --resume ${result.runId}\n`);
      }
      if (result.status === 'cancelled') throw new PgferryError('PGF_RUN_CANCELLED', `the sync was cancelled; resume with --resume ${result.runId}`);
      if (result.status === 'failed') {
        const failed = result.tables.filter((t) => t.status === 'failed').map((t) => t.table);
        throw new PgferryError('PGF_SYNC_TABLE_FAILED', `${failed.length} table(s) failed: ${failed.join(', ')}; each was left as it was (see the lines above)`);
      }
      if (verification && !verification.verified) {
        const differing = verification.tables.filter((t) => t.status !== 'verified').map((t) => `${t.schema}.${t.name} (${t.status})`);
        throw new PgferryError('PGF_VERIFY_MISMATCH', `the load finished but verification found differences in ${differing.length} table(s): ${differing.join(', ')} (see the lines above)`);
      }
      if (result.status === 'incomplete') {
        const missing = result.missingObjects;
        const named = missing.slice(0, 3).map((m) => `${m.object} (${m.reason})`).join('; ');
        throw new PgferryError(
          'PGF_RUN_INCOMPLETE',
          `every table was copied, but ${missing.length} schema object(s) were not reproduced on the destination: ${named}${missing.length > 3 ? `; and ${missing.length - 3} more` : ''}; fix the destination (see the lines above) and run again`,
          { details: { missingObjects: missing } },
        );
      }
      if (keyedModes.has(mode) && !raw.json && result.totals.written === 0) out('nothing changed on the destination\n');
    });
}
