import type { FollowOptions, FollowProgress } from '../../engine/follow/follow-api.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { progressLine } from './follow-cli-support.js';

/**
 * `pgferry sync --follow`: copy, then stream until SIGINT/SIGTERM; the first signal stops
 * cleanly (the batch in progress is committed and acknowledged), a second one exits at once
 * (the destination's stored position makes that safe too: the next start resumes from it).
 */
export async function runFollowCommand(options: FollowOptions, json: boolean): Promise<void> {
  const { follow } = await import('../../engine/follow/run-follow.js');
  const controller = new AbortController();
  let firstSignalAt = 0;
  const onSignal = () => {
    // One Ctrl-C under npm arrives twice within moments; a later one is a real second request.
    if (firstSignalAt !== 0 && Date.now() - firstSignalAt > 1000) process.exit(130);
    if (firstSignalAt === 0) firstSignalAt = Date.now();
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let lastLine = 0;
  const onProgress = (p: FollowProgress) => {
    if (json) {
      process.stdout.write(`${JSON.stringify({ type: 'progress', progress: p })}\n`);
      return;
    }
    const now = Date.now();
    if (p.phase === 'streaming' && now - lastLine < 5000) return;
    lastLine = now;
    process.stderr.write(`${progressLine(p)}\n`);
  };
  process.stderr.write(`follow ${options.followId}: copying, then streaming; Ctrl-C stops cleanly\n`);
  try {
    const result = await follow(options, {
      signal: controller.signal,
      onProgress,
      onEvent: (event) => {
        if (!json && event.type === 'table:done') process.stderr.write(`copied ${event.table}: ${event.result.status}, ${event.result.rows} rows\n`);
      },
    });
    if (json) process.stdout.write(`${JSON.stringify({ type: 'result', result })}\n`);
    else {
      process.stdout.write(
        `follow ${result.followId} stopped: ${result.changesApplied} changes in ${result.transactionsApplied} transactions applied up to ${result.appliedLsn ?? '-'}${result.copied ? ' (after the initial copy)' : ''}; run the same command to resume\n`,
      );
    }
  } catch (error) {
    if (controller.signal.aborted && !(error instanceof PgferryError)) throw new PgferryError('PGF_RUN_CANCELLED', 'the follow was interrupted', { cause: error });
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
