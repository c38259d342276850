/**
 * `pgferry … | head`: once the reader closes the pipe, writes fail with EPIPE, which Node
 * raises as an unhandled 'error' event (a stack trace and exit code 1). The command goes on
 * and ends with its own exit code, its further output dropped — a long job (a sync, a WAL
 * streamer) is not cut short because nobody reads its progress; other write errors still throw.
 */
export function dropOutputOnceClosed(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
    throw error;
  });
}
