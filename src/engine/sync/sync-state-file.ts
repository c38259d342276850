import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import type { CheckpointStore, HighWaterStore } from '../types.js';

interface StateDocument {
  version: 1;
  highWater: Record<string, Record<string, { cursor: string; value: string | null; updatedAt: string }>>;
  runs: Record<string, { committed: string[]; updatedAt: string }>;
  /** Start time of the last successful run per scope (for `{{last_success_at}}`). */
  lastSuccess?: Record<string, string>;
}

/** `$PGFERRY_HOME/sync-state.json` when PGFERRY_HOME is set, else `~/.config/pgferry/state.json`. */
export function defaultSyncStatePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PGFERRY_HOME) return path.resolve(env.PGFERRY_HOME, 'sync-state.json');
  return path.join(os.homedir(), '.config', 'pgferry', 'state.json');
}

/**
 * High-water marks and resume checkpoints for the CLI without a metadata store: a JSON file
 * written atomically (temp file + rename), updates serialised within the process.
 */
export class SyncStateFile implements HighWaterStore, CheckpointStore {
  readonly path: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(filePath: string = defaultSyncStatePath()) {
    this.path = filePath;
  }

  async #read(): Promise<StateDocument> {
    try {
      const parsed = JSON.parse(await readFile(this.path, 'utf8')) as Partial<StateDocument>;
      return { version: 1, highWater: parsed.highWater ?? {}, runs: parsed.runs ?? {}, lastSuccess: parsed.lastSuccess ?? {} };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, highWater: {}, runs: {} };
      throw error;
    }
  }

  #update(change: (doc: StateDocument) => void): Promise<void> {
    const next = this.#queue.then(async () => {
      const doc = await this.#read();
      change(doc);
      await mkdir(path.dirname(this.path), { recursive: true, mode: 0o700 });
      const temp = `${this.path}.${process.pid}.tmp`;
      await writeFile(temp, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
      await rename(temp, this.path);
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async get(scope: string, table: string): Promise<{ cursor: string; value: string | null } | undefined> {
    const entry = (await this.#read()).highWater[scope]?.[table];
    return entry ? { cursor: entry.cursor, value: entry.value } : undefined;
  }

  set(scope: string, table: string, cursor: string, value: string | null): Promise<void> {
    return this.#update((doc) => {
      doc.highWater[scope] = { ...doc.highWater[scope], [table]: { cursor, value, updatedAt: new Date().toISOString() } };
    });
  }

  markCommitted(runId: string, table: string): Promise<void> {
    return this.#update((doc) => {
      const run = doc.runs[runId] ?? { committed: [], updatedAt: '' };
      if (!run.committed.includes(table)) run.committed.push(table);
      run.updatedAt = new Date().toISOString();
      doc.runs[runId] = run;
    });
  }

  async lastSuccessAt(scope: string): Promise<string | undefined> {
    return (await this.#read()).lastSuccess?.[scope];
  }

  setLastSuccessAt(scope: string, startedAt: string): Promise<void> {
    return this.#update((doc) => {
      doc.lastSuccess = { ...doc.lastSuccess, [scope]: startedAt };
    });
  }

  /** Tables and chunks a run committed, or undefined when the run is unknown here. */
  async committed(runId: string): Promise<Set<string> | undefined> {
    const run = (await this.#read()).runs[runId];
    return run ? new Set(run.committed) : undefined;
  }
}
