import type { Command } from 'commander';

import type { CutoverReport } from '../../engine/follow/follow-api.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { type FollowTargetFlags, parseDurationMs, resolveCliFollow, withFollowTargetOptions } from './follow-cli-support.js';

interface CutoverCommandOptions extends FollowTargetFlags {
  where?: string;
  rules?: string;
  timeout: string;
  json?: boolean;
}

function formatReport(report: CutoverReport): string {
  const lines = [`cut-over check of follow ${report.followId}: destination applied ${report.appliedLsn} ≥ source ${report.targetLsn}`];
  for (const s of report.sequencesSet) lines.push(`  sequence ${s.sequence} set to ${s.value}`);
  for (const t of report.tables) lines.push(`  ${t.equal ? 'equal    ' : 'DIFFERENT'} ${t.table}: ${t.sourceRows} rows at the source, ${t.destinationRows} at the destination${t.detail ? ` (${t.detail})` : ''}`);
  lines.push(`  schema: ${report.schemaEqual ? 'equal' : 'DIFFERENT (see pgferry diff --schema)'}`);
  lines.push(report.equal ? `ready to switch (${report.seconds.toFixed(1)} s)` : 'NOT EQUAL: do not switch traffic');
  return lines.join('\n');
}

export function registerCutoverCommand(program: Command): void {
  withFollowTargetOptions(
    program
      .command('cutover [job]')
      .description('Wait until a follow (a saved continuous-sync JOB, or sync --follow with --from/--to) has applied everything the source wrote, set sequences, compare both sides and report; stop writes to the source first'),
  )
    .option('--where <sql>', 'the filter given to sync --follow (compared on the source side)')
    .option('--rules <file>', 'the rules given to sync --follow (masked columns are left out of the comparison)')
    .option('--timeout <duration>', 'give up waiting for the destination after this long', '5m')
    .option('--json', 'print the report as JSON')
    .action(async (job: string | undefined, raw: CutoverCommandOptions) => {
      const timeoutMs = parseDurationMs(raw.timeout, '--timeout');
      // A saved job is cut over through the store (report kept on the job, job stopped when equal).
      if (job !== undefined) {
        if (raw.from || raw.to || raw.followId) throw new PgferryError('PGF_VALIDATION_FAILED', `cutover ${job}: give either a saved continuous-sync job or --from/--to (a follow started with sync --follow), not both`);
        return (await import('./replication-command.js')).cutoverSavedJob(job, timeoutMs, raw.json === true);
      }
      const { source, destination, selection, followId } = await resolveCliFollow(raw, 'cutover');
      const rules = raw.rules ? await (await import('../../engine/sync/rules-file.js')).readRulesFile(raw.rules) : undefined;
      const { cutover } = await import('../../engine/follow/cutover.js');
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let report: CutoverReport;
      try {
        report = await cutover(
          {
            source,
            destination,
            ...selection,
            where: raw.where,
            rules: rules?.rules,
            ruleKey: rules?.key,
            followId,
            timeoutMs,
          },
          { signal: controller.signal },
        );
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      process.stdout.write(raw.json ? `${JSON.stringify(report)}\n` : `${formatReport(report)}\n`);
      if (!report.equal) {
        const different = report.tables.filter((t) => !t.equal).map((t) => t.table);
        throw new PgferryError(
          'PGF_VERIFY_MISMATCH',
          `the destination does not equal the source at ${report.targetLsn}: ${different.length > 0 ? `tables ${different.join(', ')}` : ''}${!report.schemaEqual ? `${different.length > 0 ? '; ' : ''}the schema differs` : ''}; do not switch traffic`,
        );
      }
    });
}
