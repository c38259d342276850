import type { FollowProgress } from '../../engine/follow/follow-api.js';
import type { ProtectionFigures } from '../protection/protection-records.js';
import type { RunRow } from '../../store/store-types.js';
import type { ScheduledTick } from '../job-scheduler.js';

/** Why a worker stopped a run before its executor returned. */
export type AbortKind = 'cancel' | 'timeout' | 'lost' | 'shutdown';

/** What a worker tells its listeners (tests wait on these instead of polling the store). */
export interface WorkerEventMap {
  /** Cron ticks this worker fired (each with its run, or skipped). */
  'tick:fired': { ticks: ScheduledTick[] };
  /** A queued run was claimed and is about to start here. */
  'run:claimed': { run: RunRow };
  /** Runs claimed while shutting down, given back to the queue without starting. */
  'run:released': { runIds: string[] };
  /** A running run was told to stop (its executor still has to return). */
  'run:aborted': { runId: string; kind: AbortKind };
  /** A run's end is stored (succeeded, failed, incomplete or cancelled). */
  'run:finished': { run: RunRow };
  /** A run this worker could not finish before shutting down, ended and queued again once. */
  'run:handed-back': { run: RunRow; next: RunRow | undefined };
  /** Another worker's run whose heartbeat lapsed, failed by this worker. */
  'run:reaped': { run: RunRow };
  /** This worker took the lease of a continuous-sync job and starts following it. */
  'follow:started': { jobId: string; workerId: string };
  /** A follower's progress was stored (every few seconds while it runs). */
  'follow:progress': { jobId: string; progress: FollowProgress };
  /** A follower ended here: paused (or disabled, dropped, taken over), shut down, or failed. */
  'follow:stopped': { jobId: string; workerId: string; reason: 'paused' | 'lost' | 'shutdown' | 'failed' | 'ended' };
  /** This worker took the lease of a protected connection and starts streaming its WAL. */
  'protection:started': { connectionId: string; workerId: string };
  /** A WAL file reached storage (or was found there already) from a protection's stream. */
  'protection:segment': { connectionId: string; file: string; outcome: 'segment:uploaded' | 'segment:already-stored' };
  /** A protection's progress was stored (every few seconds while it streams). */
  'protection:progress': { connectionId: string; figures: ProtectionFigures };
  /** The slot of a disabled protection was dropped (`existed`: false when it was gone already). */
  'protection:slot-dropped': { connectionId: string; slot: string; existed: boolean };
  /** A protection's stream ended here: disabled (or taken over), settings changed, shut down, or failed. */
  'protection:stopped': { connectionId: string; workerId: string; reason: 'disabled' | 'changed' | 'shutdown' | 'failed' | 'ended' };
  /** Every run of this worker ended and its timers are gone. */
  'worker:stopped': { workerId: string };
}

export type WorkerEventName = keyof WorkerEventMap;
type Listener<K extends WorkerEventName> = (payload: WorkerEventMap[K]) => void;

/**
 * A small typed emitter. A listener that throws is logged by the caller's `onError` and never
 * breaks the worker's bookkeeping.
 */
export class WorkerEvents {
  readonly #listeners = new Map<WorkerEventName, Set<Listener<never>>>();

  constructor(private readonly onError: (error: unknown, event: WorkerEventName) => void = () => undefined) {}

  /** Adds a listener; returns the function that removes it. */
  on<K extends WorkerEventName>(event: K, listener: Listener<K>): () => void {
    const set = this.#listeners.get(event) ?? new Set();
    set.add(listener as Listener<never>);
    this.#listeners.set(event, set);
    return () => set.delete(listener as Listener<never>);
  }

  /** Resolves with the first payload of `event` that `matches` (every payload when omitted). */
  next<K extends WorkerEventName>(event: K, matches: (payload: WorkerEventMap[K]) => boolean = () => true): Promise<WorkerEventMap[K]> {
    return new Promise((resolve) => {
      const off = this.on(event, (payload) => {
        if (!matches(payload)) return;
        off();
        resolve(payload);
      });
    });
  }

  emit<K extends WorkerEventName>(event: K, payload: WorkerEventMap[K]): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        (listener as Listener<K>)(payload);
      } catch (error) {
        this.onError(error, event);
      }
    }
  }
}
