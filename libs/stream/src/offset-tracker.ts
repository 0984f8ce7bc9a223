import { StreamError } from './errors.ts';

/** Codes of {@link OffsetTrackerError} (declared in errors.ts). */
export const OffsetTrackerErrorCodes = {
  /** `complete` named an offset that is not in flight: never tracked, or completed and behind the commit point. */
  NOT_TRACKED: 'STREAM_OFFSET_NOT_TRACKED',
  /** `complete` was called twice for an offset still in flight behind an unfinished one. */
  ALREADY_COMPLETED: 'STREAM_OFFSET_ALREADY_COMPLETED',
  /** `track` was given an offset not above the previous one. */
  NOT_INCREASING: 'STREAM_OFFSET_NOT_INCREASING',
} as const;

export type OffsetTrackerErrorCode =
  (typeof OffsetTrackerErrorCodes)[keyof typeof OffsetTrackerErrorCodes];

/** A misuse of {@link OffsetTracker}: always a bug in the caller, never retryable. */
export class OffsetTrackerError extends StreamError {
  declare readonly code: OffsetTrackerErrorCode;
  readonly offset: bigint;

  constructor(code: OffsetTrackerErrorCode, offset: bigint) {
    super(code, `${code}: offset ${offset}`, { details: { offset: offset.toString() } });
    this.offset = offset;
  }
}

// Drop the consumed head of the queue once it is this long and at least half of the array, so
// compaction costs O(1) amortized per record.
const COMPACT_AFTER = 1024;

/**
 * Per-partition tracking of out-of-order completion, for checkpointed offsets.
 *
 * Records are tracked in the order they were received (offsets strictly increase; gaps are allowed,
 * as compacted topics and transaction markers leave them) and completed in any order. The offset to
 * commit follows Kafka's convention: the next offset to read, i.e. everything below it is done.
 *
 * Storage is a queue of tracked offsets with a done flag, popped from the head as the head
 * completes: `track` and `committable` are O(1); `complete` is O(1) when offsets are contiguous
 * (the position is computed) and a binary search over the in-flight records where there are gaps.
 *
 * @example
 * tracker.track(5n); tracker.track(6n); tracker.track(9n);
 * tracker.complete(6n); tracker.committable(); // undefined: 5 is not done
 * tracker.complete(5n); tracker.committable(); // 9n: 5 and 6 are done, 7 and 8 do not exist
 * tracker.complete(9n); tracker.committable(); // 10n
 */
export class OffsetTracker {
  #offsets: bigint[] = [];
  #done: boolean[] = [];
  #head = 0;
  #inFlight = 0;
  #lastTracked: bigint | undefined;
  /** Highest offset popped from the head, i.e. done with everything tracked before it. */
  #lastDone: bigint | undefined;
  #lastCommitted: bigint | undefined;

  /** Records a received offset. Throws `STREAM_OFFSET_NOT_INCREASING` if it is not above the previous one. */
  track(offset: bigint): void {
    if (this.#lastTracked !== undefined && offset <= this.#lastTracked) {
      throw new OffsetTrackerError(OffsetTrackerErrorCodes.NOT_INCREASING, offset);
    }
    this.#offsets.push(offset);
    this.#done.push(false);
    this.#lastTracked = offset;
    this.#inFlight++;
  }

  /**
   * Records that an offset's work is done (written, produced and acknowledged, or in the DLQ), in
   * any order. Throws `STREAM_OFFSET_NOT_TRACKED` for an offset not in flight (never tracked, or done
   * and already passed by the commit frontier) and `STREAM_OFFSET_ALREADY_COMPLETED` for a second
   * completion of one still waiting behind an unfinished record.
   */
  complete(offset: bigint): void {
    const i = this.#indexOf(offset);
    // Completed offsets at the head are forgotten, so completing one of them again reads as untracked.
    if (i < 0) throw new OffsetTrackerError(OffsetTrackerErrorCodes.NOT_TRACKED, offset);
    if (this.#done[i])
      throw new OffsetTrackerError(OffsetTrackerErrorCodes.ALREADY_COMPLETED, offset);
    this.#done[i] = true;
    this.#inFlight--;
    if (i === this.#head) this.#popDone();
  }

  /**
   * The offset to commit: the first tracked offset not yet done, or the last done + 1 when nothing
   * is pending (every record below it is done; offsets between tracked ones were never received).
   * `undefined` when nothing was completed since the last {@link markCommitted}.
   */
  committable(): bigint | undefined {
    if (this.#lastDone === undefined) return undefined;
    const frontier =
      this.#head < this.#offsets.length
        ? (this.#offsets[this.#head] as bigint)
        : this.#lastDone + 1n;
    if (this.#lastCommitted !== undefined && frontier <= this.#lastCommitted) return undefined;
    return frontier;
  }

  /** Records that `offset` (a value from {@link committable}) was committed to Kafka. */
  markCommitted(offset: bigint): void {
    if (this.#lastCommitted === undefined || offset > this.#lastCommitted)
      this.#lastCommitted = offset;
  }

  /** Records tracked but not completed. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The last offset given to {@link markCommitted}, if any. */
  get lastCommitted(): bigint | undefined {
    return this.#lastCommitted;
  }

  #popDone(): void {
    const offsets = this.#offsets;
    const done = this.#done;
    let head = this.#head;
    while (head < offsets.length && done[head]) head++;
    this.#lastDone = offsets[head - 1];
    if (head === offsets.length) {
      offsets.length = 0;
      done.length = 0;
      head = 0;
    } else if (head >= COMPACT_AFTER && head * 2 >= offsets.length) {
      offsets.splice(0, head);
      done.splice(0, head);
      head = 0;
    }
    this.#head = head;
  }

  /** Position of a tracked offset still in the queue, or -1. */
  #indexOf(offset: bigint): number {
    const offsets = this.#offsets;
    const head = this.#head;
    const last = offsets.length - 1;
    if (head > last) return -1;
    const first = offsets[head] as bigint;
    if (offset < first || offset > (offsets[last] as bigint)) return -1;
    // Offsets strictly increase, so an offset sits at most (offset - first) places after the head,
    // exactly there when there are no gaps.
    const distance = Number(offset - first);
    if (distance <= last - head) {
      const guess = head + distance;
      if (offsets[guess] === offset) return guess;
      return binarySearch(offsets, offset, head, guess);
    }
    return binarySearch(offsets, offset, head, last);
  }
}

function binarySearch(values: bigint[], target: bigint, lo: number, hi: number): number {
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const value = values[mid] as bigint;
    if (value === target) return mid;
    if (value < target) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
