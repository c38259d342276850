import type { Logger } from '../logger.js';
import { type RunLogLine, appendRunLogs } from '../store/run-log-repository.js';
import { type StoreDb } from '../store/repository-helpers.js';

/** Buffers a run's log lines and writes them in batches, so a chatty engine costs few round trips. */
export class RunLogWriter {
  readonly #db: StoreDb;
  readonly #runId: string;
  readonly #logger: Logger;
  #buffer: RunLogLine[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(db: StoreDb, runId: string, logger: Logger, intervalMs = 500) {
    this.#db = db;
    this.#runId = runId;
    this.#logger = logger;
    this.#timer = setInterval(() => void this.flush(), intervalMs);
    this.#timer.unref();
  }

  write(line: RunLogLine): void {
    this.#buffer.push({ ...line, at: line.at ?? new Date() });
    if (this.#buffer.length >= 200) void this.flush();
  }

  /** Writes the line and every line before it now; rejects when they cannot be stored (a checkpoint must know). */
  async writeNow(line: RunLogLine): Promise<void> {
    this.write(line);
    const lines = this.#buffer;
    this.#buffer = [];
    const written = this.#flushing.then(() => appendRunLogs(this.#db, this.#runId, lines));
    this.#flushing = written.catch(() => undefined);
    await written;
  }

  flush(): Promise<void> {
    const lines = this.#buffer;
    this.#buffer = [];
    this.#flushing = this.#flushing.then(async () => {
      if (lines.length === 0) return;
      try {
        await appendRunLogs(this.#db, this.#runId, lines);
      } catch (error) {
        // Losing log lines must not fail the run; the process log keeps the reason.
        this.#logger.warn({ err: error, runId: this.#runId, lost: lines.length }, 'could not store run log lines');
      }
    });
    return this.#flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
