/**
 * Which applied position the source may be told is flushed. The destination session commits
 * with `synchronous_commit = off` (as native logical replication's apply worker does): COMMIT
 * answers before its WAL reaches disk, and a destination crash can lose the last batches. They
 * are not lost to the follow — their position row is lost with them, so a resume replays them
 * from the slot — as long as the slot still holds them. So a batch's position is confirmed to
 * the source only once the destination's WAL is flushed past the batch's commit record.
 */
export class DurablePositions {
  /** Committed batches, in commit order: the destination WAL position after each COMMIT, and the position it stored. */
  readonly #waiting: { wal: bigint; position: bigint; at: number }[] = [];
  #flushed = 0n;
  #durable: bigint | null;

  /** `durable`: a position known flushed at the destination, or null when none is yet. */
  constructor(durable: bigint | null) {
    this.#durable = durable;
  }

  /** A batch storing `position` committed; its commit record ends at or before the destination's `wal`. */
  committed(position: bigint, wal: bigint, at = Date.now()): void {
    this.#waiting.push({ wal, position, at });
    this.#advance();
  }

  /** The destination reported its WAL flushed up to `lsn`. */
  flushed(lsn: bigint): void {
    if (lsn > this.#flushed) this.#flushed = lsn;
    this.#advance();
  }

  /** The highest position whose commit is on the destination's disk (null: none known yet). */
  get position(): bigint | null {
    return this.#durable;
  }

  /** Whether some committed position waits for the destination's WAL flush. */
  get waiting(): boolean {
    return this.#waiting.length > 0;
  }

  /** When the oldest position still waiting committed (ms since the epoch; null when none waits). */
  get waitingSince(): number | null {
    return this.#waiting[0]?.at ?? null;
  }

  #advance(): void {
    while (this.#waiting.length > 0 && this.#waiting[0]!.wal <= this.#flushed) this.#durable = this.#waiting.shift()!.position;
  }
}
