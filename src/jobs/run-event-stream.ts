import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';

import { listRunLogs } from '../store/run-log-repository.js';
import { getRun } from '../store/run-repository.js';
import { isTerminalRunStatus } from '../store/run-statuses.js';
import type { StoreDatabase } from '../store/store-types.js';
import { runDetailView } from './job-views.js';

/**
 * Streams a run as Server-Sent Events. The worker may be another process, so the stream
 * follows the store: the run row (saved about once a second while running) and new log
 * lines, polled every `intervalMs`, until the run ends or the client goes away.
 */
export async function streamRunEvents(
  db: Kysely<StoreDatabase>,
  runId: string,
  request: FastifyRequest,
  reply: FastifyReply,
  options: { afterLogId?: string | undefined; intervalMs?: number } = {},
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': String(request.id),
  });
  let closed = false;
  request.raw.on('close', () => {
    closed = true;
  });
  const send = (event: string, data: unknown, id?: string) => {
    if (!closed) raw.write(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  raw.write('retry: 2000\n\n');
  let afterId = options.afterLogId;
  let lastRunJson = '';
  try {
    while (!closed) {
      const run = await getRun(db, runId);
      const view = JSON.stringify(runDetailView(run));
      if (view !== lastRunJson) {
        lastRunJson = view;
        send('run', JSON.parse(view));
      }
      for (;;) {
        const lines = await listRunLogs(db, runId, { after_id: afterId, limit: 500 });
        for (const line of lines) {
          send('log', { id: line.id, at: line.at.toISOString(), level: line.level, message: line.message, table: line.table_name, data: line.data ?? null }, line.id);
          afterId = line.id;
        }
        if (lines.length < 500) break;
      }
      if (isTerminalRunStatus(run.status)) {
        send('end', { status: run.status });
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1000));
    }
  } catch (error) {
    send('error', { message: error instanceof Error ? error.message : String(error) });
  } finally {
    raw.end();
  }
}
